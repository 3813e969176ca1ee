"""The call screen's pictures: the far side large, the centre's own picture small in
the lower left corner, framed; in a meeting the host large and four other centres
small beside it. A stand-in desk hands the page its frames. And the "nobody answered"
screen's 의견 남기기."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.calls.desk import CallView, Phase
from kiosk.calls.group import GroupCall, Watched
from kiosk.calls.phase import Seat
from kiosk.calls.tracks import paint_bars
from kiosk.calls.videoroom import Feed
from kiosk.i18n import Strings
from kiosk.navigation import Command, Screen, View
from kiosk.status import Level, Status
from kiosk.ui.call import CallPage
from kiosk.ui.qt import Qt
from kiosk.ui.theme import Theme
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.model import Display, Tile
from tests.calls.signals import near
from tests.conftest import ASSETS
from tests.ui.alerting import ring_a_call
from tests.ui.conftest import BuildKiosk, FakeClock

FAR = (200, 40, 40)
OWN = (40, 160, 60)


class Desk:
    """What the page reads from a call desk, with fixed pictures."""

    def __init__(self, own: bool) -> None:
        self.view = CallView(Phase.IN_CALL, "남원시청 복지과", since=1.0)
        self.own = own

    def remote_frames(self) -> list[object]:
        return [paint_bars((1280, 720), [FAR])]

    def own_picture(self) -> object | None:
        return paint_bars((640, 480), [OWN]) if self.own else None

    def subscribe(self, listener: Callable[[CallView], None]) -> Callable[[], None]:
        return lambda: None

    def now(self) -> float:
        return 83.0

    def answer(self) -> None: ...
    def hang_up(self) -> None: ...
    def decline(self) -> None: ...
    def change_volume(self, delta: int) -> int:
        return 100


def colour_at(page: CallPage, x: float, y: float) -> tuple[int, int, int]:
    """The colour at (*x*, *y*), fractions of the pictures' area."""
    image = page.pictures.grab().toImage()
    pixel = image.pixelColor(int(image.width() * x), int(image.height() * y))
    return pixel.red(), pixel.green(), pixel.blue()


def page_for(qtbot: QtBot, desk: Desk) -> CallPage:
    theme = Theme(Display(), 1080, ASSETS / "icons")
    page = CallPage(Strings("ko"), theme, desk)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.resize(1920, 1080)
    page.show()
    page.show_call(desk.view)
    return page


def test_the_centre_sees_itself_small_in_the_corner(qtbot: QtBot) -> None:
    page = page_for(qtbot, Desk(own=True))
    assert near(colour_at(page, 0.5, 0.5), FAR)
    assert near(colour_at(page, 0.1, 0.85), OWN)
    assert near(colour_at(page, 0.5, 0.85), FAR)  # the far side stays large
    page.close_page()


def test_without_its_own_picture_nothing_is_drawn_in_the_corner(qtbot: QtBot) -> None:
    page = page_for(qtbot, Desk(own=False))
    assert not near(colour_at(page, 0.1, 0.85), OWN)
    assert near(colour_at(page, 0.5, 0.85), FAR)
    page.close_page()


def test_a_camera_that_comes_loose_in_a_call_is_said_calmly(qtbot: QtBot, tmp_path: Path) -> None:
    desk = Desk(own=True)
    desk.view = CallView(Phase.IDLE)
    page = page_for(qtbot, desk)
    page.show_status(Status(camera=Level.OK, microphone=Level.OK))
    page.show_call(CallView(Phase.IN_CALL, "남원시청 복지과", since=1.0))
    assert page.notice_text() == ""
    page.show_status(Status(camera=Level.MISSING, microphone=Level.OK))
    assert page.notice_text() == "카메라 연결이 끊어졌습니다. 소리로 계속합니다"
    page.grab().save(str(tmp_path / "call-camera-lost.png"))
    page.show_status(Status(camera=Level.OK, microphone=Level.OK))
    assert page.notice_text() == ""
    page.close_page()


def test_a_call_begun_without_a_camera_says_there_is_none(qtbot: QtBot) -> None:
    desk = Desk(own=False)
    desk.view = CallView(Phase.IDLE)
    page = page_for(qtbot, desk)
    page.show_status(Status(camera=Level.MISSING, microphone=Level.OK))
    page.show_call(CallView(Phase.IN_CALL, "남원시청 복지과", since=1.0))
    assert page.notice_text() == "카메라 없음"
    page.close_page()


HOST = (200, 40, 40)
CENTRES = [(235, 120, 160), (40, 70, 210), (210, 170, 30), (150, 40, 200), (30, 190, 190)]
"""Five other centres in the meeting besides the host."""


class Peer:
    """What the desk reads of a connection to a feed: its newest picture."""

    def __init__(self, colour: tuple[int, int, int]) -> None:
        self.frame = paint_bars((640, 480), [colour])

    def picture(self) -> object:
        return self.frame


class MeetingDesk(Desk):
    """A desk in a town meeting: what is on screen is what the group call shows."""

    def __init__(self, group: GroupCall) -> None:
        super().__init__(own=True)
        self.view = CallView(Phase.IN_ROOM, "군민 회의", since=1.0)
        self.group = group

    def remote_frames(self) -> list[object]:
        # As CallDesk.remote_frames: the pictures of the feeds the group call shows.
        return [w.peer.picture() for w in self.group.shown()]


def colours_on(page: CallPage) -> set[tuple[int, int, int]]:
    """Which of the meeting's colours show anywhere on the page (every 8th pixel)."""
    image = page.grab().toImage()
    seen: set[tuple[int, int, int]] = set()
    for y in range(0, image.height(), 8):
        for x in range(0, image.width(), 8):
            pixel = image.pixelColor(x, y)
            rgb = (pixel.red(), pixel.green(), pixel.blue())
            seen.update(c for c in (HOST, *CENTRES) if near(rgb, c))
    return seen


def test_a_meeting_shows_the_host_large_and_four_other_centres(qtbot: QtBot) -> None:
    group = GroupCall(None, 1234, "namwon-001", [], "cityhall-host")  # type: ignore[arg-type]
    feeds = [("cityhall-host", HOST)] + [(f"centre-{n}", c) for n, c in enumerate(CENTRES)]
    for feed_id, (display, colour) in enumerate(reversed(feeds), start=1):
        watched = Watched(Feed(feed_id, display), None, Peer(colour))  # type: ignore[arg-type]
        group.watched[feed_id] = watched
    page = page_for(qtbot, MeetingDesk(group))
    assert near(colour_at(page, 0.35, 0.5), HOST), "the host large, in the middle"
    # Host + four: the centre that joined last (the highest feed id) waits off screen.
    assert colours_on(page) == {HOST, *CENTRES[1:]}
    page.close_page()


MESSAGE_TILE = Tile(
    id="message", label="의견 남기기", icon="call", colour="#134E4A", action="message"
)


def with_message_tile(config: KioskConfig) -> KioskConfig:
    tiles = list(config.tiles)
    tiles[4] = MESSAGE_TILE
    return msgspec.structs.replace(config, tiles=tiles)


def nobody_answered(build: BuildKiosk, config: KioskConfig) -> tuple[Kiosk, View | None]:
    """A kiosk whose senior's call just ended unanswered; and the view the message
    tile's own press gives (``None`` without one)."""
    kiosk = build(config)
    nav = kiosk.navigator
    nav.set_opener("message", lambda tile: Screen.MESSAGE)
    by_tile = None
    index = next((i for i, t in enumerate(nav.tiles) if t.action == "message"), None)
    if index is not None:
        nav.press_tile(index)
        by_tile = nav.view
        nav.go_home()
    ring_a_call(kiosk)
    nav.show_not_ready("call_unavailable")  # what CallScreens does when it ends so
    return kiosk, by_tile


@pytest.mark.parametrize("press", ["key 1", "Enter", "touch"])
def test_nobody_answered_offers_a_message_as_its_tile_would(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, press: str
) -> None:
    kiosk, by_tile = nobody_answered(build, with_message_tile(demo_config))
    window = kiosk.window
    call = window.call
    assert call is not None
    assert window.stack.currentWidget() is call
    assert call.who.text() == "지금은 통화할 수 없습니다"
    assert call.what.text() == "조금 뒤에 다시 걸어 주세요"
    assert call.leave_message.isVisible() and call.leave_message.text() == "1  의견 남기기"
    assert call.home.isVisible() and not call.decline.isVisible()
    assert call.leave_message.focused and not call.home.focused, "Enter presses it"
    # The arrows reach both buttons.
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert call.home.focused and not call.leave_message.focused
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert call.leave_message.focused and not call.home.focused
    if press == "key 1":
        qtbot.keyClick(window, Qt.Key.Key_1)
    elif press == "Enter":
        qtbot.keyClick(window, Qt.Key.Key_Return)
    else:
        qtbot.mouseClick(call.leave_message, Qt.MouseButton.LeftButton)
    assert by_tile is not None and by_tile.screen is Screen.MESSAGE
    assert kiosk.navigator.view == by_tile


def test_nobody_answered_goes_home_by_its_other_button(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk, _ = nobody_answered(build, with_message_tile(demo_config))
    window = kiosk.window
    assert window.call is not None
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert window.call.home.focused
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert kiosk.navigator.view.screen is Screen.HOME


def test_without_a_message_tile_nobody_answered_offers_nothing(
    build: BuildKiosk, demo_config: KioskConfig
) -> None:
    kiosk, by_tile = nobody_answered(build, demo_config)
    window = kiosk.window
    assert by_tile is None and window.call is not None
    assert window.stack.currentWidget() is window.page
    assert window.page.title.text() == "지금은 통화할 수 없습니다"
    assert not window.call.leave_message.isVisible()


@pytest.mark.parametrize("offered", [True, False], ids=["with a message tile", "without"])
def test_an_offer_waits_the_idle_time_a_plain_message_does_not(
    build: BuildKiosk, demo_config: KioskConfig, clock: FakeClock, offered: bool
) -> None:
    """A choice needs time: 의견 남기기 stays up for the idle time, where the plain
    sentence goes home after please_wait_s."""
    config = with_message_tile(demo_config) if offered else demo_config
    kiosk, _ = nobody_answered(build, config)
    idle = config.idle
    clock.now += idle.please_wait_s + 1
    kiosk.navigator.tick()
    shown = kiosk.navigator.view.screen
    assert shown is (Screen.NOT_READY if offered else Screen.HOME)
    clock.now += idle.return_home_after_s
    kiosk.navigator.tick()
    assert kiosk.navigator.view.screen is Screen.HOME


class FloorDesk(MeetingDesk):
    """A desk watching a town meeting with a floor: 말하기 presses are counted."""

    def __init__(self, group: GroupCall) -> None:
        super().__init__(group)
        self.view = CallView(Phase.IN_ROOM, "군민 회의", since=1.0, seat=Seat.WATCHING)
        self.presses = 0
        self.own = False

    def press_speak(self) -> None:
        self.presses += 1


def test_a_watching_centre_has_a_speak_button_and_sees_plainly_when_it_is_on_air(
    qtbot: QtBot, tmp_path: Path
) -> None:
    group = GroupCall(None, 1234, "namwon-001", [], "cityhall-host")  # type: ignore[arg-type]
    group.watched[1] = Watched(Feed(1, "cityhall-host"), None, Peer(HOST))  # type: ignore[arg-type]
    desk = FloorDesk(group)
    page = page_for(qtbot, desk)
    speak = page.talking.speak
    assert speak.isVisible() and speak.text() == "말하기"
    qtbot.mouseClick(speak, Qt.MouseButton.LeftButton)
    assert page.command(Command.RIGHT)  # the remote's arrow presses it too
    assert desk.presses == 2
    assert page.notice_text() == ""
    page.grab().save(str(tmp_path / "watching.png"))

    page.show_call(replace(desk.view, seat=Seat.HAND_UP))
    assert speak.isVisible() and speak.text() == "손 내리기"
    assert page.notice_text() == "손을 들었습니다. 시청에서 차례를 주면 말씀하세요"
    page.grab().save(str(tmp_path / "hand-up.png"))

    desk.own = True
    page.show_call(replace(desk.view, seat=Seat.ON_AIR))
    assert not speak.isVisible()
    assert page.notice_text() == "방송 중: 모든 경로당이 우리를 보고 듣습니다"
    band = page.talking.notice
    image = band.grab().toImage()
    pixel = image.pixelColor(2, 2)
    assert near((pixel.red(), pixel.green(), pixel.blue()), (0x99, 0x1B, 0x1B)), "red on air"
    page.grab().save(str(tmp_path / "on-air.png"))

    page.show_call(replace(desk.view, seat=Seat.WATCHING))
    assert speak.isVisible() and page.notice_text() == ""
    pixel = page.talking.notice.grab().toImage().pixelColor(2, 2)
    assert not near((pixel.red(), pixel.green(), pixel.blue()), (0x99, 0x1B, 0x1B))

    # City hall looks at the audience: the band says so, blue; 말하기 stays.
    page.show_call(replace(desk.view, seat=Seat.HAND_UP, looked_at=True))
    assert speak.isVisible() and speak.text() == "손 내리기"
    assert page.notice_text().startswith("손을 들었습니다")
    seen = "시청에서 우리 모습을 보고 있습니다 (소리는 안 나갑니다)"
    assert seen in page.notice_text()
    pixel = page.talking.notice.grab().toImage().pixelColor(2, 2)
    assert near((pixel.red(), pixel.green(), pixel.blue()), (0x1E, 0x3A, 0x8A)), "blue when seen"
    page.grab().save(str(tmp_path / "looked-at.png"))
    page.close_page()
