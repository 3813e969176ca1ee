"""The call screen's pictures: the far side large, the centre's own picture small in
the lower left corner, framed. A stand-in desk hands the page its frames."""

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.calls.desk import CallView, Phase
from kiosk.calls.tracks import paint_bars
from kiosk.i18n import Strings
from kiosk.status import Level, Status
from kiosk.ui.call import CallPage
from kiosk.ui.theme import Theme
from kiosk_contract.config.model import Display
from tests.calls.signals import near
from tests.conftest import ASSETS

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
    assert not page.notice.isVisible()
    page.show_status(Status(camera=Level.MISSING, microphone=Level.OK))
    assert page.notice.isVisible()
    assert page.notice.text() == "카메라 연결이 끊어졌습니다. 소리로 계속합니다"
    page.grab().save(str(tmp_path / "call-camera-lost.png"))
    page.show_status(Status(camera=Level.OK, microphone=Level.OK))
    assert not page.notice.isVisible()
    page.close_page()


def test_a_call_begun_without_a_camera_says_there_is_none(qtbot: QtBot) -> None:
    desk = Desk(own=False)
    desk.view = CallView(Phase.IDLE)
    page = page_for(qtbot, desk)
    page.show_status(Status(camera=Level.MISSING, microphone=Level.OK))
    page.show_call(CallView(Phase.IN_CALL, "남원시청 복지과", since=1.0))
    assert page.notice.text() == "카메라 없음"
    page.close_page()
