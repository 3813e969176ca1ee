"""The safe screen: what a box shows when the kiosk keeps stopping (``kiosk safe-screen``).

systemd starts it (``kiosk-safe.service``) once ``kiosk.service`` has stopped too
often in a short time and given up: never a dark screen. It needs nothing that could
be what is broken (no configuration, network, media or devices): a calm message in
Korean and English and the centre's name if the box knows it (for whoever comes to
look), and after *minutes* it ends so that systemd tries the kiosk again.
"""

import json
import logging
from pathlib import Path

from kiosk.i18n import Strings
from kiosk.paths import Paths
from kiosk.ui.qt import QApplication, QFont, QLabel, Qt, QTimer, QVBoxLayout, QWidget
from kiosk.ui.theme import FONT_FAMILY

log = logging.getLogger(__name__)

BACKGROUND = "#0B1B33"
TEXT = "#FFFFFF"
"""White on deep blue: 16:1."""


class SafeScreen(QWidget):
    """Full screen, nothing to press, nothing that can fail."""

    def __init__(self, centre: str) -> None:
        super().__init__()
        ko, en = Strings("ko"), Strings("en")
        self.setStyleSheet(f"background: {BACKGROUND}; color: {TEXT};")
        column = QVBoxLayout(self)
        column.setSpacing(36)
        column.addStretch(2)
        self.lines: list[QLabel] = []
        texts = [
            (ko["safe_title"], 96, True),
            (ko["safe_detail"], 56, False),
            (en["safe_title"], 48, False),
            (centre, 48, True),
        ]
        for text, size, bold in texts:
            if not text:
                continue
            label = QLabel(text, self)
            font = QFont(FONT_FAMILY)
            font.setPixelSize(size)
            font.setBold(bold)
            label.setFont(font)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            column.addWidget(label)
            self.lines.append(label)
        column.addStretch(3)


def centre_name(paths: Paths) -> str:
    """The centre's name from a configuration on disk, read as plain JSON (no schema:
    whatever is wrong must not stop the safe screen); empty if none can be read."""
    for candidate in (paths.last_good_config, paths.config):
        try:
            return str(json.loads(Path(candidate).read_text())["centre"]["name"])[:60]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return ""


def safe_screen(paths: Paths, minutes: float) -> int:
    """Show the safe screen for *minutes*, then end (systemd tries the kiosk again)."""
    app = QApplication.instance() or QApplication(["kiosk-safe-screen"])
    assert isinstance(app, QApplication)
    screen = SafeScreen(centre_name(paths))
    screen.showFullScreen()
    app.setOverrideCursor(Qt.CursorShape.BlankCursor)
    log.warning("the kiosk kept stopping: showing the safe screen for %.0f minutes", minutes)
    QTimer.singleShot(round(minutes * 60_000), app.quit)
    app.exec()
    return 0
