"""The box's status report: what it says (from the real parts that know each fact),
and when it goes out (on a virtual clock)."""

import heapq
import itertools
import logging
import random
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from kiosk import __version__
from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from kiosk.fleet.attendance import Attendance
from kiosk.fleet.board import AlertBoard
from kiosk.fleet.report import BoxReport, StatusSender
from kiosk.logs import LastError
from kiosk.media.progress import Progress
from kiosk.navigation import Navigator
from kiosk.status import Level, Status, StatusBoard
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import BoxStatus, DeviceReport, DownloadReport
from tests.alerts import AlertDesk

CAMERA = Device(Kind.CAMERA, "/dev/video0", "C920", Link.USB)
SPEAKERPHONE_MIC = Device(Kind.MICROPHONE, "plughw:CARD=S510,DEV=0", "S510", Link.SPEAKERPHONE)
SPEAKERPHONE = Device(Kind.SPEAKER, "plughw:CARD=S510,DEV=0", "S510", Link.SPEAKERPHONE)
TV = Device(Kind.SPEAKER, "plughw:CARD=HDMI,DEV=3", "HDMI 0", Link.HDMI)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Parts:
    """The real Qt-free parts a status is gathered from."""

    def __init__(self, config: KioskConfig, tmp_path: Path) -> None:
        self.config = config
        self.clock = Clock(100.0)
        self.wall = Clock(1_800_000_000.0)
        self.status = StatusBoard(Status(config_problem=None))
        self.navigator = Navigator(config.tiles, config.keys, config.idle, self.clock)
        self.board = AlertBoard(tmp_path / "alerts.json", self.wall)
        self.errors = LastError()
        self.attendance = Attendance()
        self.report = BoxReport(
            lambda: self.config,
            self.status,
            self.navigator,
            self.board,
            self.errors,
            tmp_path,
            self.clock,
            self.wall,
            attendance=self.attendance,
        )


@pytest.fixture
def parts(demo_config: KioskConfig, tmp_path: Path) -> Parts:
    return Parts(demo_config, tmp_path)


def test_the_status_says_what_each_part_knows(parts: Parts, demo_config: KioskConfig) -> None:
    parts.status.update(
        devices=(CAMERA, SPEAKERPHONE_MIC, SPEAKERPHONE, TV),
        choice=Choice(CAMERA, SPEAKERPHONE_MIC, SPEAKERPHONE),
        downloads=Progress(items_total=12, items_ready=7, errors=("a.mp4: 404",)),
        config_problem="revision 9 refused: signature",
    )
    parts.clock.now += 42.7
    status = parts.report.build(online_since=1_799_999_990)
    assert status.centre == demo_config.centre.id
    assert status.district == demo_config.centre.district
    assert status.name == demo_config.centre.name
    assert status.version == __version__
    assert status.revision == demo_config.revision
    assert status.camera == DeviceReport(present=1, chosen="C920")
    assert status.microphone == DeviceReport(present=1, chosen="S510")
    assert status.speaker == DeviceReport(present=2, chosen="S510")
    assert status.downloads == DownloadReport(done=7, total=12, failed=1)
    assert status.config_problem == "revision 9 refused: signature"
    assert status.screen == "home"
    assert status.uptime_s == 42
    assert status.disk_free > 0
    assert status.online_since == 1_799_999_990
    assert status.at == 1_800_000_000
    assert (status.last_error, status.last_error_at, status.alert) == ("", None, "")
    assert status.room == 0, "in no meeting"
    parts.attendance.set(1001)
    assert parts.report.build().room == 1001


def test_the_screen_is_named_as_city_hall_knows_it(parts: Parts) -> None:
    assert parts.report.build().screen == "home"
    parts.navigator.show_playing()
    assert parts.report.build().screen == "programme"
    parts.navigator.show_call()
    assert parts.report.build().screen == "call"
    parts.navigator.go_home()
    parts.navigator.open_leader()
    parts.navigator.unlocked("leader")
    parts.navigator.open_leader_calls()
    assert parts.report.build().screen == "leader", "the console's 관리자 화면"


def test_the_alert_waiting_and_the_last_error_are_reported(
    parts: Parts, caplog: pytest.LogCaptureFixture
) -> None:
    desk = AlertDesk()
    alert = desk.alert(issued=parts.wall.now)
    assert parts.board.offer(alert) is None
    assert parts.report.build().alert == alert.id
    logger = logging.getLogger("kiosk.test")
    logger.addHandler(parts.errors)
    try:
        logger.warning("not an error")
        assert parts.report.build().last_error == ""
        try:
            raise OSError("disk gone")
        except OSError:
            logger.exception("cannot save\nthe record")
    finally:
        logger.removeHandler(parts.errors)
        caplog.clear()
    status = parts.report.build()
    assert status.last_error == "kiosk.test: cannot save the record (OSError: disk gone)"
    assert status.last_error_at is not None


def test_every_source_of_the_status_tells_of_a_change(parts: Parts) -> None:
    heard: list[str] = []
    stop = parts.report.subscribe(lambda: heard.append("changed"))
    parts.status.update(camera=Level.MISSING)
    parts.navigator.show_playing()
    parts.board.offer(AlertDesk().alert(issued=parts.wall.now))
    parts.errors.handle(logging.makeLogRecord({"levelno": logging.ERROR, "msg": "x"}))
    parts.attendance.set(1001)  # the centre went into a meeting
    assert len(heard) == 5
    stop()
    parts.navigator.show_call()
    parts.attendance.set(0)
    assert len(heard) == 5


# --- when it is sent -----------------------------------------------------------------


class VirtualTimers:
    """``loop.call_later`` and ``loop.time`` on a clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[[], object], list[bool]]] = []
        self._count = 0

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], object]) -> "VirtualTimer":
        cancelled = [False]
        self._count += 1
        heapq.heappush(self._queue, (self.now + delay, self._count, callback, cancelled))
        return VirtualTimer(cancelled)

    def advance(self, seconds: float) -> None:
        """Move the clock, running every timer due on the way."""
        end = self.now + seconds
        while self._queue and self._queue[0][0] <= end:
            when, _, callback, cancelled = heapq.heappop(self._queue)
            self.now = when
            if not cancelled[0]:
                callback()
        self.now = end


class VirtualTimer:
    def __init__(self, cancelled: list[bool]) -> None:
        self._cancelled = cancelled

    def cancel(self) -> None:
        self._cancelled[0] = True


class Sends:
    """A status source the test changes, and what was sent when."""

    def __init__(self, timers: VirtualTimers) -> None:
        self.timers = timers
        self.screen = "home"
        self.sent: list[tuple[float, str]] = []

    def build(self) -> BoxStatus:
        # The time and uptime change at every build: they do not count as a change.
        return BoxStatus(
            centre="c-1", screen=self.screen, at=int(self.timers.now), uptime_s=int(self.timers.now)
        )

    def send(self, status: BoxStatus) -> None:
        self.sent.append((self.timers.now, status.screen))


@pytest.fixture
def timers() -> VirtualTimers:
    return VirtualTimers()


def sender_for(timers: VirtualTimers, every_s: float = 120) -> tuple[StatusSender, Sends]:
    sends = Sends(timers)
    sender = StatusSender(sends.build, sends.send, timers, every_s, 2.0, random.Random(4))
    return sender, sends


def test_nothing_is_sent_before_the_link_connects(timers: VirtualTimers) -> None:
    sender, sends = sender_for(timers)
    sender.changed()
    timers.advance(1000)
    assert sends.sent == []


def test_a_change_goes_out_at_most_once_per_gap(timers: VirtualTimers) -> None:
    sender, sends = sender_for(timers)
    sender.now()
    assert sends.sent == [(0.0, "home")]
    timers.advance(0.5)
    sends.screen = "programme"
    sender.changed()
    sender.changed()
    timers.advance(0.1)
    sends.screen = "call"
    sender.changed()
    timers.advance(5)
    # Within 2 s of the first send: held back, and what went out is the latest.
    assert sends.sent == [(0.0, "home"), (2.0, "call")]
    timers.advance(10)
    sends.screen = "home"
    sender.changed()
    timers.advance(0)
    assert sends.sent[-1] == (pytest.approx(15.6), "home"), "long after the last send: at once"


def test_a_status_city_hall_already_has_is_not_sent_again(timers: VirtualTimers) -> None:
    sender, sends = sender_for(timers)
    sender.now()
    timers.advance(10)
    sender.changed()  # e.g. the focus ring moved: nothing city hall sees
    timers.advance(10)
    sends.screen = "programme"
    sender.changed()
    sends.screen = "home"  # back before it went out
    timers.advance(10)
    assert sends.sent == [(0.0, "home")]


def test_the_status_goes_out_periodically_changed_or_not(timers: VirtualTimers) -> None:
    sender, sends = sender_for(timers, every_s=100)
    sender.now()
    timers.advance(1000)
    times = [at for at, _ in sends.sent]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 9 <= len(gaps) <= 11
    assert all(90 <= gap <= 110 for gap in gaps), gaps
    assert len({round(gap, 3) for gap in gaps}) > 1, "jittered, not in step with the fleet"
    sender.reconfigure(30)
    before = len(sends.sent)
    timers.advance(100)
    assert 3 <= len(sends.sent) - before <= 4
    sender.stop()
    sender.stop()
    before = len(sends.sent)
    sender.changed()
    timers.advance(1000)
    assert len(sends.sent) == before


def test_what_city_hall_reads_is_plain_json(parts: Parts) -> None:
    parts.attendance.set(1001)
    decoded = msgspec.json.decode(msgspec.json.encode(parts.report.build()), type=BoxStatus)
    assert decoded.centre == parts.config.centre.id
    assert decoded.room == 1001


def test_an_older_status_without_a_room_reads_as_in_none() -> None:
    older = b'{"centre": "c-1", "screen": "call", "at": 1800000000}'
    assert msgspec.json.decode(older, type=BoxStatus).room == 0
    with pytest.raises(msgspec.ValidationError, match="room"):
        msgspec.json.decode(b'{"centre": "c-1", "room": -1}', type=BoxStatus)
