"""The box's status as city hall sees it, and when it is sent. Qt-free; GUI thread.

:class:`BoxReport` gathers a :class:`~kiosk_contract.fleet.BoxStatus` from the parts
that know each fact (the configuration in force, the status board's devices and
downloads, the screen, the alert board, the last error, the meeting room the call desk
is in). It reads what they hold, plus one ``statvfs`` for the disk: cheap enough for
the GUI thread at every change.

:class:`StatusSender` decides when a status goes out: at once when the link connects,
after a change (at most one per :data:`GAP_S`, and not at all when nothing city hall
sees changed, e.g. the focus ring moved), and every ``fleet.status_every_s`` ±10 %
whatever happened, so that city hall's "last heard" stays fresh.
"""

import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import msgspec

from kiosk import __version__
from kiosk.devices.model import Device, Kind
from kiosk.fleet.attendance import Attendance
from kiosk.fleet.board import AlertBoard
from kiosk.logs import LastError
from kiosk.navigation import Navigator, Screen, View
from kiosk.status import Status, StatusBoard
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import WORDS, BoxStatus, DeviceReport, DownloadReport

GAP_S = 2.0
"""A changed status goes out at most this often (seconds)."""

_SCREEN_NAMES = {
    Screen.PLAYING: "programme",
    Screen.LEADER_PIN: "leader",
    Screen.LEADER_CALLS: "leader",  # the leader's list of contacts is leader mode too
}
"""Screens city hall knows by another name (the rest by their own value)."""


def screen_name(view: View) -> str:
    """What the screen shows, in city hall's words: home, programme, call, leader,
    diagnostics, alert, ... (the navigator's screen)."""
    return _SCREEN_NAMES.get(view.screen, view.screen.value)


class BoxReport:
    """Builds the box's status from the parts that know it. GUI thread.

    *config* gives the configuration in force; *state* is the folder whose disk is
    reported; *started* is when the kiosk started, on *clock* (monotonic seconds;
    default: now); *clock* and *wall* (Unix seconds) are the tests' to fake;
    *attendance*: the meeting room the centre is in (none reported without it).
    """

    def __init__(
        self,
        config: Callable[[], KioskConfig],
        status: StatusBoard,
        navigator: Navigator,
        board: AlertBoard,
        errors: LastError,
        state: Path,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        started: float | None = None,
        attendance: Attendance | None = None,
    ) -> None:
        self._config = config
        self._status = status
        self._navigator = navigator
        self._board = board
        self._errors = errors
        self._state = state
        self._clock = clock
        self._wall = wall
        self._started = clock() if started is None else started
        self._attendance = attendance or Attendance()

    def build(self, online_since: int = 0) -> BoxStatus:
        """The status now (*online_since*: Unix seconds the broker connection began)."""
        config = self._config()
        status = self._status.status
        current = self._board.current
        error, error_at = self._errors.last or ("", None)
        return BoxStatus(
            centre=config.centre.id,
            district=config.centre.district,
            name=config.centre.name,
            version=__version__,
            revision=config.revision,
            camera=_devices(status, Kind.CAMERA),
            microphone=_devices(status, Kind.MICROPHONE),
            speaker=_devices(status, Kind.SPEAKER),
            screen=screen_name(self._navigator.view),
            last_error=error[:WORDS],
            last_error_at=error_at,
            config_problem=(status.config_problem or "")[:WORDS],
            disk_free=self._disk_free(),
            uptime_s=int(self._clock() - self._started),
            downloads=DownloadReport(
                done=status.downloads.items_ready,
                total=status.downloads.items_total,
                failed=len(status.downloads.errors),
            ),
            alert=current.id if current is not None else "",
            room=self._attendance.room,
            online_since=online_since,
            at=int(self._wall()),
        )

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* whenever the status may have changed (from the GUI thread,
        or from any thread for a new error: make it a hand-over); returns the
        unsubscribe callable."""
        unsubscribe = [
            self._status.subscribe(lambda _status: listener()),
            self._navigator.subscribe(lambda _view: listener()),
            self._board.subscribe(listener),
            self._errors.subscribe(listener),
            self._attendance.subscribe(listener),
        ]

        def stop() -> None:
            for each in unsubscribe:
                each()

        return stop

    def _disk_free(self) -> int:
        try:
            return shutil.disk_usage(self._state).free
        except OSError:
            return 0


def _devices(status: Status, kind: Kind) -> DeviceReport:
    chosen: Device | None = getattr(status.choice, kind.value)
    return DeviceReport(
        present=sum(1 for device in status.devices if device.kind is kind),
        chosen=chosen.label if chosen is not None else "",
    )


def what_changes(status: BoxStatus) -> BoxStatus:
    """*status* without what changes all the time (its time, the uptime, the disk's
    free bytes): two reports alike here say the same to city hall."""
    return msgspec.structs.replace(status, at=0, uptime_s=0, disk_free=0)


class Timer(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """The event loop's timers (``asyncio.AbstractEventLoop`` is one)."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer: ...


class StatusSender:
    """Sends the status (*build*, then *send*) at the right moments. GUI thread.

    :meth:`now` at each connection, :meth:`changed` whenever a source may have
    changed; *every_s* is the periodic interval (jittered ±10 %), *gap_s* the shortest
    time between two sends for a change.
    """

    def __init__(
        self,
        build: Callable[[], BoxStatus],
        send: Callable[[BoxStatus], None],
        timers: Timers,
        every_s: float,
        gap_s: float = GAP_S,
        rng: random.Random | None = None,
    ) -> None:
        self._build = build
        self._send = send
        self._timers = timers
        self.every_s = every_s
        self._gap_s = gap_s
        self._rng = rng or random.Random()
        self._last: BoxStatus | None = None
        """What the last status sent said (:func:`what_changes`)."""
        self._last_at = float("-inf")
        self._change: Timer | None = None
        self._periodic: Timer | None = None
        self._running = False

    def now(self) -> None:
        """Send the status now (the link connected), and periodically from now on."""
        self._running = True
        self._cancel_change()
        self._post(self._build())
        self._arm_periodic()

    def changed(self) -> None:
        """Something the status shows may have changed: send it soon if it did."""
        if not self._running or self._change is not None:
            return
        delay = max(0.0, self._last_at + self._gap_s - self._timers.time())
        self._change = self._timers.call_later(delay, self._after_change)

    def reconfigure(self, every_s: float) -> None:
        """Send every *every_s* from the next periodic report on."""
        if every_s != self.every_s:
            self.every_s = every_s
            if self._running:
                self._arm_periodic()

    def stop(self) -> None:
        """No more sends (timers cancelled). Safe to call twice."""
        self._running = False
        self._cancel_change()
        if self._periodic is not None:
            self._periodic.cancel()
            self._periodic = None

    def _after_change(self) -> None:
        self._change = None
        status = self._build()
        if what_changes(status) != self._last:
            self._post(status)

    def _on_periodic(self) -> None:
        self._periodic = None
        self.now()

    def _post(self, status: BoxStatus) -> None:
        self._last = what_changes(status)
        self._last_at = self._timers.time()
        self._send(status)

    def _arm_periodic(self) -> None:
        if self._periodic is not None:
            self._periodic.cancel()
        delay = self.every_s * self._rng.uniform(0.9, 1.1)
        self._periodic = self._timers.call_later(delay, self._on_periodic)

    def _cancel_change(self) -> None:
        if self._change is not None:
            self._change.cancel()
            self._change = None
