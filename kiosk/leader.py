"""The deliberate gesture that opens leader mode. Qt-free.

Seniors must not open it by accident, and a leader must not need a keyboard:
either hold the top-left corner of the screen for :data:`HOLD_S` seconds, or
press the leader key (``keys.leader``, F12 by default) :data:`PRESSES` times
within :data:`HOLD_S` seconds.
"""

HOLD_S = 3.0
PRESSES = 3


class LeaderGesture:
    """Feed it presses with their times; it says when the gesture is complete."""

    def __init__(self) -> None:
        self._held_since: float | None = None
        self._presses: list[float] = []

    def corner_down(self, t: float) -> None:
        self._held_since = t

    def corner_up(self) -> None:
        self._held_since = None

    def held(self, t: float) -> bool:
        """Call while the corner may be held; ``True`` once, when it has been long enough."""
        if self._held_since is not None and t - self._held_since >= HOLD_S:
            self._held_since = None
            return True
        return False

    def key(self, t: float) -> bool:
        """The leader key was pressed at *t*; ``True`` when it completes the gesture."""
        self._presses = [p for p in self._presses if t - p < HOLD_S] + [t]
        if len(self._presses) >= PRESSES:
            self._presses = []
            return True
        return False
