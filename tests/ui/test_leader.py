"""Leader mode in the window: the gesture, the PIN keypad with its lock-out, the leader's
screen, and its list of city-hall contacts to call."""

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.lockout import MAX_TRIES
from kiosk.navigation import Screen
from kiosk.ui.contacts import LeaderCallsPage
from kiosk.ui.qt import QPoint, Qt
from kiosk.ui.window import CORNER_HOLD_MS
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.calls import Contact
from tests.ui.alerting import ring_a_call
from tests.ui.conftest import BuildKiosk, FakeClock, Player
from tests.unit.test_navigation import CLERK, HEALTH, with_contacts

DEMO_PIN = "1234"


def enter(qtbot: QtBot, kiosk: object, pin: str) -> None:
    window = kiosk.window  # type: ignore[attr-defined]
    for digit in pin:
        qtbot.mouseClick(window.pin.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.pin.keys["ok"], Qt.MouseButton.LeftButton)


def test_three_presses_of_the_leader_key_then_the_pin_open_the_leader_screen(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_F12)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_F12)
    assert kiosk.navigator.view.screen is Screen.HOME
    qtbot.keyClick(kiosk.window, Qt.Key.Key_F12)
    assert kiosk.navigator.view.screen is Screen.LEADER_PIN
    # Digits now go to the keypad, not to the tiles.
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_Return):
        qtbot.keyClick(kiosk.window, key)
    assert kiosk.navigator.view.screen is Screen.LEADER
    leader = kiosk.window.leader
    assert [b.text() for b in leader.start_buttons] == ["노래교실", "건강체조", "시청 방송"]
    assert leader.library.count() == len(demo_config.library)
    assert leader.today.text() == "10:00 노래교실\n14:00 건강체조 (자동 시작)"


def test_holding_the_top_left_corner_opens_the_keypad(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    kiosk.window.activateWindow()
    qtbot.waitUntil(kiosk.window.isActiveWindow)
    corner = QPoint(5, 5)
    qtbot.mousePress(kiosk.window.header, Qt.MouseButton.LeftButton, pos=corner)
    assert kiosk.window.corner_timer.isActive()
    assert kiosk.window.corner_timer.interval() == CORNER_HOLD_MS
    qtbot.mouseRelease(kiosk.window.header, Qt.MouseButton.LeftButton, pos=corner)
    assert not kiosk.window.corner_timer.isActive(), "letting go early cancels"
    qtbot.mousePress(kiosk.window.header, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.waitUntil(lambda: kiosk.navigator.view.screen is Screen.LEADER_PIN, timeout=5000)


@pytest.mark.allow_warnings
def test_wrong_pins_count_down_lock_out_and_stay_locked_after_a_restart(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, "9999")
    assert kiosk.window.pin.message.text() == "비밀번호가 틀렸습니다. 4번 남았습니다"
    for _ in range(MAX_TRIES - 1):
        enter(qtbot, kiosk, "9999")
    assert kiosk.window.pin.message.text().endswith("뒤에 다시 해 보세요")
    assert not kiosk.window.pin.keys["ok"].isEnabled()
    restarted = build(demo_config)
    restarted.navigator.open_leader()
    assert restarted.window.pin.message.text().startswith(("5분", "4분"))
    assert not restarted.window.pin.keys["1"].isEnabled()
    assert restarted.navigator.view.screen is Screen.LEADER_PIN


def test_the_leader_starts_a_programme_and_sets_the_volume(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player
) -> None:
    kiosk = build(demo_config, player=player)
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, DEMO_PIN)
    leader = kiosk.window.leader
    qtbot.mouseClick(leader.louder, Qt.MouseButton.LeftButton)
    assert leader.volume.text() == "방 소리 90"
    qtbot.mouseClick(leader.start_buttons[1], Qt.MouseButton.LeftButton)
    assert kiosk.navigator.view.screen is Screen.PLAYING
    assert kiosk.programmes.playback.volume == 90
    # The leader comes back and stops it.
    kiosk.navigator.go_home()
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, DEMO_PIN)
    item = leader.library.item(0)
    leader.library.itemClicked.emit(item)
    assert kiosk.window.playing.title.text() == "고향의 봄"


def test_the_leader_screen_leaves_by_itself_after_idle(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, clock: FakeClock
) -> None:
    kiosk = build(demo_config)
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, DEMO_PIN)
    clock.now += demo_config.leader.leave_after_s - 1
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.LEADER
    clock.now += 1
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.HOME


def test_download_progress_is_shown_to_the_leader(
    build: BuildKiosk, demo_config: KioskConfig
) -> None:
    from kiosk.media.progress import Progress

    kiosk = build(demo_config)
    kiosk.status.update(
        downloads=Progress(5, 2, 1000, 400, "고향의 봄", ("건강체조 2부: 연결 실패",))
    )
    leader = kiosk.window.leader
    assert leader.progress.value() == 400
    assert leader.downloads.text().splitlines() == [
        "2/5개 준비됨 · 3개 남음",
        "받는 중: 고향의 봄",
        "⚠ 건강체조 2부: 연결 실패",
    ]


def test_leader_mode_opens_over_a_programme_and_stops_it(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player
) -> None:
    kiosk = build(demo_config, player=player)
    window = kiosk.window
    qtbot.keyClick(window, Qt.Key.Key_1)
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_F12)
    assert kiosk.navigator.view.screen is Screen.LEADER_PIN
    assert kiosk.programmes.playback.now is not None, "the class plays on behind the keypad"
    qtbot.mouseClick(window.pin.cancel, Qt.MouseButton.LeftButton)
    assert kiosk.navigator.view.screen is Screen.PLAYING, "cancel returns to the class"
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_F12)
    enter(qtbot, kiosk, DEMO_PIN)
    assert window.leader.playing.text() == "지금 재생 중: 고향의 봄"
    qtbot.mouseClick(window.leader.stop, Qt.MouseButton.LeftButton)
    assert kiosk.programmes.playback.now is None and not kiosk.navigator.busy
    assert window.leader.playing.text() == "재생 중인 것 없음"
    qtbot.mouseClick(window.leader.leave, Qt.MouseButton.LeftButton)
    assert kiosk.navigator.view.screen is Screen.HOME


def test_an_idle_leader_screen_over_a_programme_returns_to_it(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player, clock: FakeClock
) -> None:
    kiosk = build(demo_config, player=player)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, DEMO_PIN)
    clock.now += demo_config.leader.leave_after_s
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.PLAYING
    assert kiosk.programmes.playback.now is not None


def open_the_contacts(qtbot: QtBot, kiosk: Kiosk) -> LeaderCallsPage:
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, DEMO_PIN)
    call = kiosk.window.leader.call
    assert call.isEnabled()
    qtbot.mouseClick(call, Qt.MouseButton.LeftButton)
    assert kiosk.navigator.view.screen is Screen.LEADER_CALLS
    return kiosk.window.leader_calls


def shown_rows(page: LeaderCallsPage) -> list[tuple[str, str]]:
    return [(row.number, row.text()) for row in page.rows if row.isVisible()]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_leaders_call_entry_is_the_list_of_city_hall_contacts(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, language: str
) -> None:
    kiosk = build(with_contacts(demo_config, CLERK, HEALTH), language=language)
    entry = "시청에 전화" if language == "ko" else "Call city hall"
    assert kiosk.window.leader.call.text() == entry
    page = open_the_contacts(qtbot, kiosk)
    if language == "ko":
        assert shown_rows(page) == [("1", "남원시청 복지과"), ("2", "민원실"), ("3", "보건소")]
    else:  # a contact without an English name keeps its Korean one
        welfare = "Namwon City Hall, welfare office"
        assert shown_rows(page) == [("1", welfare), ("2", "민원실"), ("3", "Health centre")]
    assert [row.focused for row in page.rows] == [True, False, False]
    assert not page.empty.isVisible() and page.back.isVisible()
    qtbot.mouseClick(page.back, Qt.MouseButton.LeftButton)
    assert kiosk.navigator.view.screen is Screen.LEADER


def test_a_press_or_a_number_key_calls_that_contact(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(with_contacts(demo_config, CLERK, HEALTH))
    called: list[Contact] = []

    def call(contact: Contact) -> Screen:  # the call screens' part, tested with a desk
        called.append(contact)
        kiosk.navigator.show_not_ready("call_unavailable")
        return Screen.NOT_READY

    kiosk.navigator.set_contact_opener(call)
    page = open_the_contacts(qtbot, kiosk)
    qtbot.mouseClick(page.rows[2], Qt.MouseButton.LeftButton)
    assert called == [HEALTH]
    open_the_contacts(qtbot, kiosk)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_2)
    assert called == [HEALTH, CLERK]


def test_with_city_hall_unreachable_the_call_screens_message_shows(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    ring_a_call(kiosk)  # the call service and its screens, not connected
    kiosk.navigator.go_home()
    page = open_the_contacts(qtbot, kiosk)
    qtbot.mouseClick(page.rows[0], Qt.MouseButton.LeftButton)
    assert kiosk.navigator.view.screen is Screen.NOT_READY
    assert kiosk.window.page.title.text() == "지금은 시청과 연결할 수 없습니다"


@pytest.mark.parametrize("server", [True, False])
def test_with_nobody_to_call_the_list_says_so_plainly(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, server: bool
) -> None:
    calls = msgspec.structs.replace(
        demo_config.calls, contacts=[], server=demo_config.calls.server if server else None
    )
    # The demo's call tile needs its contact while there is a server.
    tiles = [t for t in demo_config.tiles if t.action != "call"] if server else demo_config.tiles
    kiosk = build(msgspec.structs.replace(demo_config, calls=calls, tiles=tiles))
    page = open_the_contacts(qtbot, kiosk)
    assert shown_rows(page) == []
    assert page.empty.isVisible()
    first = page.empty.text().splitlines()[0]
    if server:
        assert first == "전화할 시청 연락처가 설정되어 있지 않습니다"
    else:
        assert first == "이 경로당에는 시청 전화가 설정되어 있지 않습니다"
    assert "준비 중" not in page.empty.text() + kiosk.window.leader.call.text()
    assert page.back.focused
    qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
    assert kiosk.navigator.view.screen is Screen.LEADER_CALLS, "no row, no call"
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Return)
    assert kiosk.navigator.view.screen is Screen.LEADER
