"""The technician's enrolment screen: keypad, messages, legibility."""

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.config import builtin_config
from kiosk.i18n import Strings
from kiosk.paths import Paths
from kiosk.sync.enrolment import load_enrolment
from kiosk.sync.onscreen import load_defaults
from kiosk.ui.buttons import KEY_COLOUR
from kiosk.ui.enrolment import EnrolmentWindow
from kiosk.ui.qt import QLabel, Qt
from kiosk.ui.theme import MIN_TEXT_PX, Theme
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from tests.sync import conftest as sync_fixtures
from tests.sync.conftest import Fleet, make_box
from tests.ui.test_accessibility import (
    SIZE_IDS,
    SIZES,
    assert_layout_fits,
    assert_window_fits,
    settle,
)

identity_service = sync_fixtures.identity_service
"""City hall's identity service for the fleet (a fixture)."""


def window_for(paths: Paths, qtbot: QtBot) -> EnrolmentWindow:
    theme = Theme(builtin_config().display, 1080, paths.assets / "icons")
    window = EnrolmentWindow(paths, load_defaults(paths), Strings("ko"), theme)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    return window


def ship(paths: Paths, server: str, root: bytes, identity: str | None = None) -> None:
    defaults = {"server": server, "centre_prefix": "namwon-", "digits": 3}
    if identity is not None:
        defaults["identity"] = identity
    (paths.etc / "enrolment.json").write_text(json.dumps(defaults))
    (paths.etc / "root.json").write_bytes(root)


def type_in(window: EnrolmentWindow, centre: str, code: str) -> None:
    """The technician's presses: the centre number, OK, the code (OK is left to the test)."""
    for key in centre:
        window.press(key)
    window.press("ok")
    for key in code:
        window.press(key)


def test_keypad_and_keys_build_the_centre_number(
    paths: Paths, qtbot: QtBot, tmp_path: Path
) -> None:
    ship(paths, "http://127.0.0.1:9", b"{}")
    window = window_for(paths, qtbot)
    assert window.entry.text() == "namwon-___"
    assert not window.keys["ok"].isEnabled()
    qtbot.mouseClick(window.keys["4"], Qt.MouseButton.LeftButton)
    qtbot.keyClick(window, Qt.Key.Key_2)
    qtbot.keyClick(window, Qt.Key.Key_7)
    qtbot.keyClick(window, Qt.Key.Key_9)  # a fourth digit is ignored
    assert window.entry.text() == "namwon-427"
    assert window.keys["ok"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Backspace)
    assert window.entry.text() == "namwon-42_"


def test_the_code_is_typed_on_the_same_keypad_in_groups_of_four(paths: Paths, qtbot: QtBot) -> None:
    ship(paths, "https://127.0.0.1:9", b"{}", identity="https://127.0.0.1:9")
    window = window_for(paths, qtbot)
    for key in "007":
        window.press(key)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.title.text() == "namwon-007 경로당 등록"
    assert window.hint.text() == "시청에서 받은 12자리 등록 번호를 누르세요"
    assert window.entry.text() == "____ ____ ____"
    assert not window.keys["ok"].isEnabled()
    for key in "1234567890123":  # a thirteenth digit is ignored
        window.press(key)
    assert window.entry.text() == "1234 5678 9012"
    assert window.keys["ok"].isEnabled()
    assert not window.working, "nothing is sent before OK"
    for _ in range(12):
        qtbot.keyClick(window, Qt.Key.Key_Backspace)
    assert window.entry.text() == "____ ____ ____"
    window.press("delete")  # from an empty code, back to the centre number
    assert window.entry.text() == "namwon-007"
    assert window.title.text() == "이 단말기는 아직 설정되지 않았습니다"
    assert window.hint.text() == "경로당 번호를 누르고 확인을 누르세요"


@pytest.mark.allow_warnings
def test_an_unreachable_server_says_so_and_a_retry_needs_no_new_code(
    paths: Paths, qtbot: QtBot, fleet: Fleet, identity_service: str
) -> None:
    ship(paths, "https://127.0.0.1:9", fleet.root, identity_service)
    window = window_for(paths, qtbot)
    type_in(window, "001", fleet.authority.issue_code("namwon-001"))
    window.press("ok")
    qtbot.waitUntil(lambda: not window.working, timeout=30_000)
    assert window.message.text() == "설정 서버에 연결할 수 없습니다. 인터넷 연결을 확인하세요"
    assert load_enrolment(paths) is None, "a failed first sync undoes the enrolment"
    # The code is spent, but the certificate it bought is kept: once the settings
    # server answers, OK again is enough.
    ship(paths, fleet.url, fleet.root, identity_service)
    window = window_for(paths, qtbot)
    type_in(window, "001", "")
    with qtbot.waitSignal(window.enrolled, timeout=30_000):
        window.press("ok")


@pytest.mark.allow_warnings
def test_a_wrong_code_or_centre_says_so_and_clears_the_code(
    paths: Paths, qtbot: QtBot, fleet: Fleet, identity_service: str
) -> None:
    ship(paths, fleet.url, fleet.root, identity_service)
    window = window_for(paths, qtbot)
    code = fleet.authority.issue_code("namwon-001")
    type_in(window, "999", code)  # the centre number mistyped
    window.press("ok")
    qtbot.waitUntil(lambda: not window.working, timeout=30_000)
    assert window.message.text().startswith("번호가 틀렸거나 이미 쓰였습니다")
    assert window.entry.text() == "____ ____ ____", "typed again whole"
    assert load_enrolment(paths) is None


@pytest.mark.allow_warnings
def test_a_centre_held_by_another_box_says_ask_for_a_replacement_code(
    paths: Paths, qtbot: QtBot, fleet: Fleet, identity_service: str, tmp_path: Path
) -> None:
    code = fleet.authority.issue_code("namwon-002")
    fleet.enrol(make_box(tmp_path, "first"), "namwon-002")  # spends a replacement code
    ship(paths, fleet.url, fleet.root, identity_service)
    window = window_for(paths, qtbot)
    type_in(window, "002", code)
    window.press("ok")
    qtbot.waitUntil(lambda: not window.working, timeout=30_000)
    assert window.message.text() == (
        "다른 단말기가 이 경로당에 등록되어 있습니다. 시청에 교체용 번호를 요청하세요"
    )


def test_a_known_number_and_its_code_enrol(
    paths: Paths, qtbot: QtBot, fleet: Fleet, identity_service: str
) -> None:
    ship(paths, fleet.url, fleet.root, identity_service)
    window = window_for(paths, qtbot)
    type_in(window, "002", fleet.authority.issue_code("namwon-002"))
    with qtbot.waitSignal(window.enrolled, timeout=30_000):
        window.press("ok")
    enrolment = load_enrolment(paths)
    assert enrolment is not None and enrolment.centre_id == "namwon-002"
    assert enrolment.identity == identity_service
    assert [box.centre_id for box in fleet.authority.boxes()] == ["namwon-002"]


def test_without_shipped_defaults_it_says_what_to_do(paths: Paths, qtbot: QtBot) -> None:
    window = window_for(paths, qtbot)
    assert "kiosk enroll" in window.hint.text()
    assert not any(button.isEnabled() for button in window.keys.values())


def test_legible_from_a_step_back(paths: Paths, qtbot: QtBot) -> None:
    ship(paths, "http://127.0.0.1:9", b"{}")
    window = window_for(paths, qtbot)
    for label in window.findChildren(QLabel):
        assert label.font().pixelSize() >= MIN_TEXT_PX, label.text()
    for button in window.keys.values():
        assert button.height() >= 100 and button.font().pixelSize() >= MIN_TEXT_PX
    for colour in (KEY_COLOUR, "#7C2D12", "#14532D"):
        assert contrast_ratio("#FFFFFF", colour) >= AAA_CONTRAST


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_the_code_step_fits_a_window_of_every_size(
    qtbot: QtBot, paths: Paths, language: str, size: tuple[int, int]
) -> None:
    """The code step with its longest hint and message, audited as every screen is."""
    ship(paths, "https://127.0.0.1:9", b"{}", identity="https://127.0.0.1:9")
    strings = Strings("en" if language == "en" else "ko")
    theme = Theme(builtin_config().display, 1080, paths.assets / "icons")
    window = EnrolmentWindow(paths, load_defaults(paths), strings, theme)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    type_in(window, "123", "12345678")
    longest = max(
        ("enrol_wrong_code", "enrol_taken", "enrol_identity_unreachable", "enrol_too_many"),
        key=lambda key: len(strings[key]),
    )
    window.message.setText(strings[longest])
    settle(window)
    assert window.entry.text() == "1234 5678 ____"
    assert_layout_fits(window, "enrolment code")
    assert_window_fits(window, size, "enrolment code")
