"""Big painted buttons shared by the keypads, the playing screen and the leader screen."""

from kiosk.ui.qt import QAbstractButton, QColor, QPainter, QPaintEvent, QRectF, Qt, QWidget
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
