"""Big controls shared by the keypads, the playing, leader and diagnostics screens."""

from collections.abc import Callable

from kiosk.i18n import Strings
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QGridLayout,
    QPainter,
    QPaintEvent,
    QProgressBar,
    QRectF,
    Qt,
    QWidget,
)
from kiosk.ui.theme import Theme

KEY_COLOUR = "#1E3A8A"
"""Keypad keys: white text on it reaches 10:1."""


class KeyButton(QAbstractButton):
    """One big keypad key."""

    def __init__(self, text: str, colour: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        self.setAccessibleName(text)
        self.colour = colour
        self.theme = theme
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(self.colour)
        if not self.isEnabled():
            colour = colour.darker(160)
        elif self.isDown():
            colour = colour.darker(130)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        gap = self.theme.px(8)
        painter.drawRoundedRect(
            QRectF(self.rect()).adjusted(gap, gap, -gap, -gap), gap * 2, gap * 2
        )
        painter.setPen(self.theme.text)
        painter.setFont(self.font())
        painter.drawText(QRectF(self.rect()), int(Qt.AlignmentFlag.AlignCenter), self.text())
        painter.end()


KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", "ok")
"""A phone-style keypad: digits, then 지움 (delete), 0 and 확인 (ok)."""


def build_keypad(
    strings: Strings,
    theme: Theme,
    parent: QWidget,
    on_press: Callable[[str], object],
) -> tuple[QGridLayout, dict[str, KeyButton]]:
    """The 4×3 keypad: its layout, and its buttons by key (``0``–``9``, ``delete``, ``ok``)."""
    grid = QGridLayout()
    keys: dict[str, KeyButton] = {}
    for index, key in enumerate(KEYPAD):
        text = strings[f"enrol_{key}"] if key in ("delete", "ok") else key
        colour = {"delete": "#7C2D12", "ok": "#14532D"}.get(key, KEY_COLOUR)
        button = KeyButton(text, colour, theme, parent)
        button.clicked.connect(lambda _=False, k=key: on_press(k))
        grid.addWidget(button, index // 3, index % 3)
        keys[key] = button
    return grid, keys


def keypad_key(name: str) -> str | None:
    """The keypad key a keyboard key stands for (digits, Backspace, Enter), or ``None``."""
    if name.isdigit() and len(name) == 1:
        return name
    return {"Backspace": "delete", "Return": "ok", "Enter": "ok"}.get(name)


def style_bar(bar: QProgressBar, theme: Theme, height: int) -> None:
    """A thick, high-contrast bar (downloads, microphone level), *height* at 1080 lines."""
    bar.setFixedHeight(theme.px(height))
    bar.setStyleSheet(
        f"QProgressBar {{ border: {theme.px(3)}px solid {theme.display.text}; background: "
        f"{theme.display.background}; }} QProgressBar::chunk {{ background: "
        f"{theme.display.accent}; }}"
    )
