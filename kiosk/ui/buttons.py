"""Big controls shared by the keypads, the playing, leader and diagnostics screens."""

from collections.abc import Callable
from math import ceil

from kiosk.i18n import Strings
from kiosk.ui.paint import (
    ONE_LINE,
    DrawnText,
    draw_focus_ring,
    draw_text,
    fitted_size,
    text_block,
)
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QFont,
    QGridLayout,
    QPainter,
    QPaintEvent,
    QProgressBar,
    QRectF,
    QSize,
    QSizePolicy,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme

KEY_COLOUR = "#1E3A8A"
"""Keypad keys: white text on it reaches 10:1."""


class KeyButton(QAbstractButton):
    """One big keypad key: its text on one line at the button's font size, or smaller
    (never under :data:`MIN_TEXT_PX`) where the layout gives it less room, across or down.

    Its size hints say how much room that is, so a page of keys needs as much
    as its texts do, and a window too small for it is caught by the audit.
    """

    def __init__(self, text: str, colour: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        self.setAccessibleName(text)
        self.colour = colour
        self.theme = theme
        self.drawn: list[DrawnText] = []
        """The text of the last paint (read by accessibility checks)."""
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Narrower than its text at full size if need be (down to the minimum hint); as
        # tall as the page sets (each page gives its keys a minimum height).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def _insets(self) -> tuple[int, int]:
        """Room around the text, across and down: inside the coloured body, clear of
        its rounded corners."""
        return self.theme.px(8 + 16), self.theme.px(8 + 4)

    def _size_for(self, pixel_size: int) -> QSize:
        font = QFont(self.font())
        font.setPixelSize(pixel_size)
        block = text_block(self.text(), font, 1e6, wrap=False)
        across, down = self._insets()
        return QSize(ceil(block.width()) + 2 * across, ceil(block.height()) + 2 * down)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """The text at the button's font size."""
        return self._size_for(self.font().pixelSize())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """The text at the smallest size allowed."""
        return self._size_for(min(self.font().pixelSize(), self.theme.px(MIN_TEXT_PX)))

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
        across, down = self._insets()
        box = QRectF(self.rect()).adjusted(across, down, -across, -down)
        font = QFont(self.font())
        largest = font.pixelSize()
        smallest = min(largest, self.theme.px(MIN_TEXT_PX))
        fitted = fitted_size(
            self.text(), font, box.width(), box.height(), largest, smallest, wrap=False
        )
        font.setPixelSize(smallest if fitted is None else fitted)
        painter.setFont(font)
        self.drawn = []
        draw_text(painter, box, int(ONE_LINE), self.text(), self.drawn)
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
        # The keys share the height the page has left, down to its minimum for them.
        button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
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


class RingedButton(KeyButton):
    """A big key with the yellow focus ring drawn round it while :attr:`focused` (Enter
    presses it); *ring_px* is the ring's width at 1080 lines (the theme's focus width
    unless said)."""

    def __init__(
        self,
        text: str,
        colour: str,
        theme: Theme,
        parent: QWidget | None = None,
        ring_px: int | None = None,
    ) -> None:
        super().__init__(text, colour, theme, parent)
        self.focused = False
        self.ring_px = ring_px

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.focused:
            theme = self.theme
            ring = theme.focus_width if self.ring_px is None else theme.px(self.ring_px)
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            draw_focus_ring(painter, QRectF(self.rect()), theme.accent, ring)
            painter.end()
