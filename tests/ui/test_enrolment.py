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
from tests.sync.conftest import Fleet


def window_for(paths: Paths, qtbot: QtBot) -> EnrolmentWindow:
    theme = Theme(builtin_config().display, 1080, paths.assets / "icons")
    window = EnrolmentWindow(paths, load_defaults(paths), Strings("ko"), theme)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    return window


def ship(paths: Paths, server: str, root: bytes) -> None:
    defaults = {"server": server, "centre_prefix": "namwon-", "digits": 3}
    (paths.etc / "enrolment.json").write_text(json.dumps(defaults))
    (paths.etc / "root.json").write_bytes(root)


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


@pytest.mark.allow_warnings
def test_an_unreachable_server_says_so_and_stays(paths: Paths, qtbot: QtBot, fleet: Fleet) -> None:
    ship(paths, "http://127.0.0.1:9", (fleet.repo.path / "root.json").read_bytes())
    window = window_for(paths, qtbot)
    for key in "001":
        window.press(key)
    window.press("ok")
    qtbot.waitUntil(lambda: not window.working, timeout=30_000)
    assert window.message.text() == "설정 서버에 연결할 수 없습니다. 인터넷 연결을 확인하세요"
    assert load_enrolment(paths) is None, "a failed first sync undoes the enrolment"


@pytest.mark.allow_warnings
def test_an_unknown_centre_number_says_so(paths: Paths, qtbot: QtBot, fleet: Fleet) -> None:
    ship(paths, fleet.url, (fleet.repo.path / "root.json").read_bytes())
    window = window_for(paths, qtbot)
    for key in "999":
        window.press(key)
    window.press("ok")
    qtbot.waitUntil(lambda: not window.working, timeout=30_000)
    assert window.message.text() == "이 번호의 경로당이 없습니다. 번호를 확인하세요"


def test_a_known_number_enrols(paths: Paths, qtbot: QtBot, fleet: Fleet) -> None:
    ship(paths, fleet.url, (fleet.repo.path / "root.json").read_bytes())
    window = window_for(paths, qtbot)
    for key in "002":
        window.press(key)
    with qtbot.waitSignal(window.enrolled, timeout=30_000):
        window.press("ok")
    enrolment = load_enrolment(paths)
    assert enrolment is not None and enrolment.centre_id == "namwon-002"


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
