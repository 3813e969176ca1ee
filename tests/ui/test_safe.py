"""The safe screen systemd shows when the kiosk keeps stopping: calm, readable, and it
needs nothing but what it reads itself."""

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.paths import Paths
from kiosk.ui.qt import QFontMetricsF, QRectF, Qt
from kiosk.ui.safe import BACKGROUND, TEXT, SafeScreen, centre_name
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio


def test_it_says_out_of_service_calmly_and_every_line_fits(qtbot: QtBot, tmp_path: Path) -> None:
    screen = SafeScreen("향교 상촌마을 경로당")
    qtbot.addWidget(screen)
    screen.resize(1920, 1080)
    screen.show()
    qtbot.waitExposed(screen)
    screen.grab().save(str(tmp_path / "safe-screen.png"))
    texts = [label.text() for label in screen.lines]
    assert texts[0] == "잠시 점검 중입니다" and "향교 상촌마을 경로당" in texts
    assert "Out of service for a moment" in texts
    for label in screen.lines:
        laid = QFontMetricsF(label.font()).boundingRect(
            QRectF(label.contentsRect()),
            int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
            label.text(),
        )
        assert QRectF(label.contentsRect()).contains(laid), label.text()
        assert label.font().pixelSize() >= 48
    assert contrast_ratio(TEXT, BACKGROUND) >= AAA_CONTRAST


def test_the_centre_is_named_from_whatever_can_be_read(paths: Paths) -> None:
    assert centre_name(paths) == ""
    paths.config.parent.mkdir(parents=True, exist_ok=True)
    paths.config.write_text("{broken")
    assert centre_name(paths) == ""
    paths.last_good_config.write_text(json.dumps({"centre": {"name": "남원 데모 경로당"}}))
    assert centre_name(paths) == "남원 데모 경로당"
