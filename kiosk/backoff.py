"""Waiting between attempts to reach a server again, for every client that reconnects.

Full jitter: attempt *n* (from 0) waits ``uniform(0, min(cap, first * 2**n))``. The
first attempts are quick (a senior's broken call is redialled within a fraction of a
second), and after a server restart the fleet's attempts spread over the whole window
instead of arriving in step: 500 boxes at a 30 s cap knock about 33 times a second,
where a 2 s cap with ±20 % made it 250.

The count starts over only once a connection has stayed up for *steady_s*: a server
that accepts and then drops every connection (overloaded, crash-looping) is not
knocked on at the first, quickest delay again and again.
"""

import random
import time
from collections.abc import Callable

FIRST_S = 0.25
CAP_S = 30.0
STEADY_S = 30.0


class Backoff:
    """Delays between one client's attempts. Not thread-safe: one owner, one loop.

    Use: after each failed or lost attempt, wait :meth:`next` seconds; when a
    connection comes up, say :meth:`connected`.
    """

    def __init__(
        self,
        first: float = FIRST_S,
        cap: float = CAP_S,
        steady_s: float = STEADY_S,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """*first* and *cap* in seconds (0 < first <= cap); *steady_s*: how long a
        connection must stay up (on *clock*, seconds) for the count to start over."""
        if not 0 < first <= cap:
            raise ValueError(f"backoff: need 0 < first ({first}) <= cap ({cap})")
        if steady_s < 0:
            raise ValueError(f"backoff: steady_s ({steady_s}) must not be negative")
        self._first = first
        self._cap = cap
        self._steady_s = steady_s
        self._rng = rng or random.Random()
        self._clock = clock
        self._attempt = 0
        self._up_since: float | None = None

    @property
    def attempt(self) -> int:
        """Attempts counted since the count last started over."""
        return self._attempt

    def ceiling(self) -> float:
        """The longest the next delay can be (seconds)."""
        # The exponent is bounded so that a client failing for weeks never overflows.
        return min(self._cap, self._first * 2.0 ** min(self._attempt, 64))

    def connected(self) -> None:
        """A connection came up now. The count starts over at the next :meth:`next`
        only if it stayed up for *steady_s* by then."""
        self._up_since = self._clock()

    def next(self) -> float:
        """The delay before the next attempt (seconds), and one more attempt counted."""
        if self._up_since is not None:
            if self._clock() - self._up_since >= self._steady_s:
                self._attempt = 0
            self._up_since = None
        delay = self._rng.uniform(0.0, self.ceiling())
        self._attempt += 1
        return delay
