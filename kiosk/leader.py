"""The deliberate gesture that opens leader mode. Qt-free.

Seniors must not open it by accident, and a leader must not need a keyboard:
either hold the top-left corner of the screen for :data:`HOLD_S` seconds (a
timer in the window), or press the leader key (``keys.leader``, F12 by default)
:data:`PRESSES` times within :data:`HOLD_S` seconds (counted here).
"""

HOLD_S = 3.0
PRESSES = 3


class LeaderGesture:
    """Feed it leader-key presses with their times; it says when the gesture is complete."""

    def __init__(self) -> None:
        self._presses: list[float] = []

    def key(self, t: float) -> bool:
        """The leader key was pressed at *t*; ``True`` when it completes the gesture."""
        self._presses = [p for p in self._presses if t - p < HOLD_S] + [t]
        if len(self._presses) >= PRESSES:
            self._presses = []
            return True
        return False
