"""Which meeting the centre is in, as city hall's fleet status reports it. Qt-free;
GUI thread.

The call desk knows (:attr:`kiosk.calls.desk.CallDesk.room_number`), but the desk and
the fleet link are built independently, in either order, after the first frame: the
composition root keeps one :class:`Attendance` in the parts, the calls' service sets
it at each change of the desk's view, and the status report reads it and sends a new
status when it changes (:class:`kiosk.fleet.report.BoxReport`).
"""

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Attendance:
    """The number of the group session's room the centre is in now (0: none)."""

    def __init__(self) -> None:
        self._room = 0
        self._listeners: list[Callable[[], None]] = []

    @property
    def room(self) -> int:
        return self._room

    def set(self, room: int) -> None:
        """The centre is in room *room* now (0: in none); listeners are told once if
        that changed."""
        if room == self._room:
            return
        log.info("in meeting room %d -> %d", self._room, room)
        self._room = room
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* after each change; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
