"""Waiting between reconnection attempts: short at first, capped, with jitter so
500 centres do not all knock on city hall's server in the same instant."""

import random


class Backoff:
    """Delays of *first* doubling up to *cap* seconds, each ±*jitter* (a fraction)."""

    def __init__(
        self,
        first: float = 0.25,
        cap: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self._first = first
        self._cap = cap
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._next = first

    def reset(self) -> None:
        self._next = self._first

    def next(self) -> float:
        """The next delay (and doubles the one after)."""
        base = self._next
        self._next = min(self._cap, self._next * 2)
        return base * (1 + self._rng.uniform(-self._jitter, self._jitter))
