"""The window does what the navigator says, and every way in reaches it."""

import json
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.config import ConfigTrial
from kiosk.navigation import Screen
from kiosk.programmes.schedule import CentreClock
from kiosk.ui.qt import QPointF, Qt
from kiosk_contract.config import KioskConfig, parse_config
from tests.conftest import DEMO_CONFIG
from tests.ui.conftest import BuildKiosk, FakeClock, Player


def shown_screen(kiosk: Kiosk) -> str:
    window = kiosk.window
    if window.stack.currentWidget() is window.home:
        return "home"
    if window.stack.currentWidget() is window.playing:
        return f"▶ {window.playing.title.text()}"
    if window.stack.currentWidget() is window.notices_page:
        return window.notices_page.title.text()
    return window.page.title.text()


def test_home_is_built_from_the_configuration_in_order(
    build: BuildKiosk, demo_config: KioskConfig
) -> None:
    kiosk = build(demo_config)
    buttons = kiosk.window.home.buttons
    assert [b.tile.label for b in buttons] == [t.label for t in demo_config.tiles]
    assert [b.accessibleName() for b in buttons][:3] == ["노래교실", "건강체조", "시청과 화상통화"]
    assert all(b.isVisible() for b in buttons)
    assert kiosk.window.header.centre.text() == "남원 데모 경로당"
    assert shown_screen(kiosk) == "home"


def test_four_tiles_make_two_rows_of_two(build: BuildKiosk) -> None:
    doc = json.loads(DEMO_CONFIG.read_text())
    doc["tiles"] = doc["tiles"][:4]
    kiosk = build(parse_config(json.dumps(doc).encode()))
    tops = sorted({b.geometry().top() for b in kiosk.window.home.buttons})
    lefts = sorted({b.geometry().left() for b in kiosk.window.home.buttons})
    assert len(tops) == 2 and len(lefts) == 2


def test_number_key_opens_the_tile_and_escape_comes_back(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player
) -> None:
    kiosk = build(demo_config, player=player)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_2)
    assert shown_screen(kiosk) == "▶ 건강체조 1부 — 목과 어깨  1/2편"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    assert shown_screen(kiosk) == "home"
    assert kiosk.programmes.playback.now is None
    qtbot.keyClick(kiosk.window, Qt.Key.Key_6)
    assert shown_screen(kiosk) == "오늘의 안내"
    rows = kiosk.window.notices_page.rows
    assert [r.text() for r in rows] == [n.title for n in demo_config.notices]


def test_keypad_digits_work_like_number_keys(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_3, Qt.KeyboardModifier.KeypadModifier)
    assert shown_screen(kiosk) == "시청과 화상통화"


def test_arrows_move_the_ring_and_enter_presses(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    buttons = kiosk.window.home.buttons
    assert [b.focused for b in buttons] == [True] + [False] * 5
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Right)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Down)
    assert [i for i, b in enumerate(buttons) if b.focused] == [4]
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Right)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Return)
    assert shown_screen(kiosk) == "오늘의 안내"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    assert shown_screen(kiosk) == "home"
    assert buttons[5].focused


def test_remapped_keys_from_a_usb_keypad(build: BuildKiosk, qtbot: QtBot) -> None:
    doc = json.loads(DEMO_CONFIG.read_text())
    doc["keys"] = {"tiles": ["F1", "F2", "F3"], "back": ["F10"]}
    kiosk = build(parse_config(json.dumps(doc).encode()))
    qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
    assert shown_screen(kiosk) == "home"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_F3)
    assert shown_screen(kiosk) == "시청과 화상통화"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    assert shown_screen(kiosk) == "시청과 화상통화"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_F10)
    assert shown_screen(kiosk) == "home"


def test_touch_or_click_on_a_tile_and_on_home(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    qtbot.mouseClick(kiosk.window.home.buttons[5], Qt.MouseButton.LeftButton)
    assert shown_screen(kiosk) == "오늘의 안내"
    qtbot.mouseClick(kiosk.window.notices_page.home, Qt.MouseButton.LeftButton)
    assert shown_screen(kiosk) == "home"
    qtbot.mouseClick(kiosk.window.home.buttons[2], Qt.MouseButton.LeftButton)
    assert shown_screen(kiosk) == "시청과 화상통화"
    qtbot.mouseClick(kiosk.window.page.home, Qt.MouseButton.LeftButton)
    assert shown_screen(kiosk) == "home"


def test_idle_returns_home_on_the_real_tick(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, clock: FakeClock
) -> None:
    kiosk = build(demo_config)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_6)
    clock.now += 119
    kiosk.tick()
    assert shown_screen(kiosk) == "오늘의 안내"
    clock.now += 1
    # The kiosk's own one-second timer must notice.
    qtbot.waitUntil(lambda: shown_screen(kiosk) == "home", timeout=3000)


def test_a_touch_anywhere_restarts_the_idle_countdown(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, clock: FakeClock
) -> None:
    kiosk = build(demo_config)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_6)
    clock.now += 100
    qtbot.mouseClick(kiosk.window.notices_page.title, Qt.MouseButton.LeftButton)
    clock.now += 100
    kiosk.tick()
    assert shown_screen(kiosk) == "오늘의 안내"


@pytest.mark.allow_warnings
@pytest.mark.qt_no_exception_capture
def test_an_unexpected_error_shows_please_wait_then_home(
    build: BuildKiosk,
    demo_config: KioskConfig,
    qtbot: QtBot,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kiosk = build(demo_config)
    monkeypatch.setattr(sys, "excepthook", kiosk.on_unexpected_error)

    def broken(tile: object) -> None:
        raise RuntimeError("speaker on fire")

    # The voice hook runs inside the click handler, outside any capability's
    # own error handling: only the global hook can catch this.
    monkeypatch.setattr(kiosk.navigator, "_announce", broken)
    qtbot.mouseClick(kiosk.window.home.buttons[1], Qt.MouseButton.LeftButton)
    assert shown_screen(kiosk) == "잠시만 기다려 주세요"
    assert "speaker on fire" in caplog.text
    clock.now += demo_config.idle.please_wait_s
    qtbot.waitUntil(lambda: shown_screen(kiosk) == "home", timeout=3000)


@pytest.mark.allow_warnings
def test_invalid_configuration_falls_back_and_tells_the_technician(
    build: BuildKiosk, tmp_path: Path
) -> None:
    broken = tmp_path / "config.json"
    broken.write_text('{"schema_version": 1, "centre": ')
    loaded = ConfigTrial(tmp_path / "trial.json", tmp_path / "last-good.json").load(broken)
    kiosk = build(loaded)
    assert [b.tile.label for b in kiosk.window.home.buttons] == [
        "노래교실",
        "건강체조",
        "시청과 화상통화",
    ]
    assert kiosk.window.status_strip.notice.text() == "⚠ 설정 확인 필요"


def test_no_notice_when_the_configuration_is_good(
    build: BuildKiosk, demo_config: KioskConfig
) -> None:
    kiosk = build(demo_config)
    assert kiosk.window.status_strip.notice.text() == ""


def test_english_is_selectable(build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot) -> None:
    kiosk = build(demo_config, language="en")
    assert kiosk.window.status_strip.items["camera"].text == "Camera"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_3)
    assert kiosk.window.page.home.text() == "Home"
    assert "Not available yet" in kiosk.window.page.detail.text()
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_6)
    assert kiosk.window.notices_page.title.text() == "Today's notices"
    assert kiosk.window.notices_page.rows[0].text() == "Free flu shots for seniors"


def test_header_shows_the_date_and_time(build: BuildKiosk, demo_config: KioskConfig) -> None:
    kiosk = build(demo_config)
    assert kiosk.window.header.date.text().endswith("요일")
    assert kiosk.window.header.time.text().startswith(("오전", "오후"))


def test_a_view_change_is_painted(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    window = kiosk.window
    centre = QPointF(window.width() / 2, window.height() / 2).toPoint()
    before = window.grab().toImage().pixelColor(centre).name()
    kiosk.navigator.press_tile(5)  # today's notices
    after = window.grab().toImage().pixelColor(centre).name()
    assert before != after
    assert kiosk.navigator.view.screen is Screen.NOTICES


@pytest.mark.allow_warnings
def test_unknown_time_zone_falls_back_to_local_time(caplog: pytest.LogCaptureFixture) -> None:
    now = CentreClock("Mars/Olympus_Mons")()
    assert "Mars/Olympus_Mons" in caplog.text
    assert now.tzinfo is not None


def test_a_locked_kiosk_refuses_to_close(build: BuildKiosk, demo_config: KioskConfig) -> None:
    kiosk = build(demo_config)
    kiosk.window.setProperty("locked", True)
    assert not kiosk.window.close()
    assert kiosk.window.isVisible()
    kiosk.window.setProperty("locked", False)
    assert kiosk.window.close()


def test_the_cursor_follows_each_screen_shown(qtbot: QtBot) -> None:
    from kiosk.ui.qt import QApplication, QWidget
    from kiosk.ui.screen import present

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    first, second = QWidget(), QWidget()
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    present(first, app, windowed=False, show_cursor=False)
    assert app.overrideCursor() is not None
    present(second, app, windowed=False, show_cursor=True)  # e.g. a technician screen
    assert app.overrideCursor() is None
    for window in (first, second):
        window.setProperty("locked", False)


def test_full_screen_the_window_has_the_screen_s_size(
    build: BuildKiosk, demo_config: KioskConfig
) -> None:
    """Whatever its pages would like: a window larger than the screen is cut off at the
    screen's edges (offscreen, the screen is 800x800: smaller than any page's minimum
    at the 1080-line theme a window starts with)."""
    from kiosk.ui.qt import QApplication
    from kiosk.ui.screen import present

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    screen = app.primaryScreen()
    assert screen is not None
    kiosk = build(demo_config)
    window = kiosk.window
    present(window, app, windowed=False, show_cursor=True)
    try:
        assert window.size() == screen.geometry().size()
        assert window.theme.height == screen.geometry().height()
    finally:
        window.setProperty("locked", False)
