"""The missed-call notice on the home screen: what it says, that it fits every screen
at the audit's sizes and contrast without pushing the tiles off, that keys and presses
reach its buttons, and that it is still there after a restart."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.navigation import MISSED_CALL, MISSED_OK, Screen
from kiosk.ui.buttons import KEY_COLOUR
from kiosk.ui.home import BUTTON_PX, DETAIL_PX, TITLE_PX, MissedBand
from kiosk.ui.leader import GREEN
from kiosk.ui.qt import QImage, QPoint, Qt
from kiosk_contract.config import KioskConfig, read_config
from kiosk_contract.config.calls import Contact
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from tests.conftest import DEMO_CONFIG
from tests.e2e.xserver import colour_share, xvfb
from tests.ui.alerting import ring_a_call
from tests.ui.conftest import BuildKiosk, WallClock
from tests.ui.test_accessibility import SIZE_IDS, SIZES, assert_screen_fits, settle

LONGEST = Contact(
    id="office-1",
    name="cityhall-office-1",
    label="남원시청 사회복지과 노인장애인복지팀 팀장실",
    label_en="Namwon City Hall, senior welfare team 12",
)
"""A contact with labels as long as the schema allows (24 and 40 characters)."""


def welfare(config: KioskConfig) -> Contact:
    return config.calls.contacts[0]


def band(kiosk: Kiosk) -> MissedBand:
    return kiosk.window.home.missed


def miss(kiosk: Kiosk, contact: Contact, minutes_ago: float = 45, times: int = 1) -> None:
    """*contact* rang *times* times, the last *minutes_ago*, and nobody answered."""
    now = kiosk.parts.wall()
    for n in range(times):
        ago = dt.timedelta(minutes=minutes_ago + (times - 1 - n) * 10)
        kiosk.parts.missed.missed(contact, now - ago)


def with_longest(config: KioskConfig) -> KioskConfig:
    calls = msgspec.structs.replace(config.calls, contacts=[*config.calls.contacts, LONGEST])
    return msgspec.structs.replace(config, calls=calls)


def test_the_notice_says_who_and_when(
    build: BuildKiosk, demo_config: KioskConfig, wall: WallClock
) -> None:
    wall.set(15, 0)
    kiosk = build(demo_config)
    assert not band(kiosk).isVisible()
    miss(kiosk, welfare(demo_config), minutes_ago=45)
    settle(kiosk.window)
    shown = band(kiosk)
    assert shown.isVisible()
    assert [text for text, *_ in shown.drawn] == [
        "시청에서 전화했었습니다",
        "남원시청 복지과 · 오늘 오후 2:15",
    ]
    assert shown.call_back.text() == "전화하기" and shown.ok.text() == "확인"
    miss(kiosk, welfare(demo_config), minutes_ago=5)
    settle(kiosk.window)
    assert shown.drawn[1][0] == "남원시청 복지과 · 오늘 오후 2:55 · 2번"
    # Midnight passes: "오늘" becomes "어제" by itself.
    wall.now += dt.timedelta(hours=9, minutes=30)
    kiosk.tick()
    settle(kiosk.window)
    assert shown.drawn[1][0] == "남원시청 복지과 · 어제 오후 2:55 · 2번"


def test_the_notice_in_english(build: BuildKiosk, demo_config: KioskConfig) -> None:
    kiosk = build(demo_config, language="en")
    miss(kiosk, welfare(demo_config), minutes_ago=30)
    settle(kiosk.window)
    title, detail = (text for text, *_ in band(kiosk).drawn)
    assert title == "City hall called"
    assert detail == "Namwon City Hall, welfare office · today 7:30 AM"
    assert band(kiosk).call_back.text() == "Call back"


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_the_notice_fits_every_screen_and_leaves_the_tiles_large(
    build: BuildKiosk,
    demo_config: KioskConfig,
    wall: WallClock,
    language: str,
    size: tuple[int, int],
) -> None:
    """The longest label, a date before yesterday and a two-digit count: every text
    whole and at least the audit's size, the tiles still a quarter of the screen high
    and their words whole. With the schedule banner up the notice steps aside (no room
    for both above two rows of tiles) and is back when the banner goes."""
    config = with_longest(demo_config)
    kiosk = build(config, size, language=language)
    miss(kiosk, LONGEST, minutes_ago=3 * 24 * 60, times=12)
    settle(kiosk.window)
    shown = band(kiosk)
    assert shown.isVisible()
    texts = [text for text, *_ in shown.drawn]
    label = LONGEST.label_en if language == "en" else LONGEST.label
    assert texts[0] == shown.strings["missed_title"]
    assert texts[1].startswith(label) and texts[1].endswith(
        "12 times" if language == "en" else "12번"
    )
    assert_screen_fits(kiosk.window, size, "home_missed")
    height = kiosk.window.height()
    for button in kiosk.window.home.buttons:
        assert button.height() >= height / 4, (button.tile.id, button.height(), height)
    wall.set(9, 52)  # a class starts soon: the schedule banner shows
    kiosk.tick()
    settle(kiosk.window)
    assert kiosk.window.banner.isVisible() and not shown.isVisible()
    assert_screen_fits(kiosk.window, size, "home_banner_missed")
    wall.set(12, 0)  # long after the class
    kiosk.tick()
    settle(kiosk.window)
    assert not kiosk.window.banner.isVisible() and shown.isVisible()


def test_at_1080_lines_nothing_is_smaller_than_designed(
    build: BuildKiosk, demo_config: KioskConfig
) -> None:
    kiosk = build(demo_config, (1920, 1080))
    miss(kiosk, welfare(demo_config))
    settle(kiosk.window)
    shown = band(kiosk)
    assert [font.pixelSize() for _, font, _, _ in shown.drawn] == [TITLE_PX, DETAIL_PX]
    for button in (shown.call_back, shown.ok):
        assert [font.pixelSize() for _, font, _, _ in button.drawn] == [BUTTON_PX]
        assert button.height() >= 150  # a big press, as tall as the band


def test_its_colours_reach_7_to_1(demo_config: KioskConfig) -> None:
    display = demo_config.display
    pairs = {
        "title (accent) on the card": (display.accent, display.background),
        "who and when on the card": (display.text, display.background),
        "전화하기": (display.text, GREEN),
        "확인": (display.text, KEY_COLOUR),
    }
    for name, (fore, back) in pairs.items():
        assert contrast_ratio(fore, back) >= AAA_CONTRAST, name


def test_keys_reach_both_buttons_and_enter_on_ok_puts_it_away(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    window, nav = kiosk.window, kiosk.navigator
    miss(kiosk, welfare(demo_config))
    shown = band(kiosk)
    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert nav.view.focus == MISSED_CALL
    assert shown.call_back.focused and not shown.ok.focused
    assert not any(tile.focused for tile in window.home.buttons)
    # The ring is drawn, in the accent colour, around 전화하기.
    image = shown.call_back.grab().toImage()
    ring = window.theme.focus_width
    spot = QPoint(ring // 2, image.height() // 2)
    assert image.pixelColor(spot).name() == demo_config.display.accent.lower()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert nav.view.focus == MISSED_OK and shown.ok.focused and not shown.call_back.focused
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert nav.view.focus == 0 and window.home.buttons[0].focused and not shown.ok.focused
    qtbot.keyClick(window, Qt.Key.Key_Up)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert not shown.isVisible()
    assert kiosk.parts.missed.notice() is None
    assert nav.view.screen is Screen.HOME and nav.view.focus == 0


def test_enter_on_call_back_places_the_call_as_the_leaders_list_does(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    """The calls are built (not connected: the demo's city hall is not there): 전화하기
    asks the desk to call the contact; the line is down, so the screen says so calmly
    and the notice stays for later."""
    kiosk = build(demo_config)
    ring_a_call(kiosk)  # the call service is up
    assert kiosk.calls is not None
    asked: list[str] = []
    desk_call = kiosk.calls.call

    def call(contact_id: str) -> bool:
        asked.append(contact_id)
        return desk_call(contact_id)

    kiosk.calls.call = call  # type: ignore[method-assign]
    # The kiosk tells the record of rings that ran out, and of calls that connected.
    assert kiosk.calls.missed == kiosk.parts.missed.missed
    assert kiosk.calls.talked == kiosk.parts.missed.talked
    kiosk.navigator.go_home()
    miss(kiosk, welfare(demo_config))
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Up)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Return)
    assert asked == ["city-hall"]
    assert kiosk.navigator.view.screen is Screen.NOT_READY
    assert kiosk.navigator.view.notice == "call_no_server"
    assert kiosk.parts.missed.notice() is not None


def test_a_touch_on_call_back_places_the_call_and_talking_clears_the_notice(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    called: list[str] = []

    def opener(contact: Contact) -> Screen:
        called.append(contact.id)
        return Screen.CALL

    kiosk.navigator.set_contact_opener(opener)
    miss(kiosk, welfare(demo_config))
    settle(kiosk.window)
    shown = band(kiosk)
    qtbot.mouseClick(shown.call_back, Qt.MouseButton.LeftButton)
    assert called == ["city-hall"]
    assert kiosk.navigator.view.screen is Screen.CALL
    kiosk.parts.missed.talked(welfare(demo_config))  # the desk: it connected
    kiosk.navigator.go_home()
    settle(kiosk.window)
    assert kiosk.parts.missed.notice() is None and not shown.isVisible()


def test_a_touch_on_ok_puts_it_away(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    miss(kiosk, welfare(demo_config))
    settle(kiosk.window)
    qtbot.mouseClick(band(kiosk).ok, Qt.MouseButton.LeftButton)
    assert not band(kiosk).isVisible()
    assert kiosk.parts.missed.notice() is None


def test_still_there_after_a_restart(build: BuildKiosk, demo_config: KioskConfig) -> None:
    first = build(demo_config)
    miss(first, welfare(demo_config), times=2)
    first.close()
    again = build(demo_config)
    settle(again.window)
    assert band(again).isVisible()
    assert band(again).drawn[1][0].endswith("· 2번")


@pytest.mark.xvfb
@pytest.mark.parametrize("size", [(1920, 1080), (1024, 768)], ids=["1920x1080", "1024x768"])
def test_on_a_real_x_server_keys_reach_the_notice(tmp_path: Path, size: tuple[int, int]) -> None:
    """:mod:`tests.ui.missed_shots` in its own process (Qt on xcb): the notice painted,
    Up (xdotool) puts the ring on 전화하기, Right and Return (확인) put it away."""
    out = tmp_path / "shots"
    width, height = size
    with xvfb(width, height) as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        done = subprocess.run(
            [sys.executable, "-m", "tests.ui.missed_shots", str(out), f"{width}x{height}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    names = ["home-missed", "home-missed-focus", "home-missed-gone"]
    assert done.stdout.split() == names
    shots = {name: QImage(str(out / f"{name}.png")) for name in names}
    top = round(height * 0.24)  # under the header: where the notice is
    band_of = {name: image.copy(0, 0, width, top) for name, image in shots.items()}
    green, x, _ = colour_share(band_of["home-missed"], GREEN, step=3)
    assert green > 0.04 and x > width * 0.55, "전화하기 large, on the right"
    accent, _, _ = colour_share(band_of["home-missed-focus"], "#FFE14D", step=3)
    before, _, _ = colour_share(band_of["home-missed"], "#FFE14D", step=3)
    assert accent > before * 1.2, "the focus ring drawn around 전화하기"
    # Put away with 확인: the first tile moves up into the notice's place.
    first = read_config(DEMO_CONFIG).tiles[0].colour
    then, _, _ = colour_share(band_of["home-missed"], first, step=3)
    now, _, _ = colour_share(band_of["home-missed-gone"], first, step=3)
    assert now > then + 0.02, "put away with 확인"
