"""Full-screen message pages ("not available yet", "please wait"), each with one
big, obvious way home."""

from collections.abc import Callable

from kiosk.i18n import Strings
from kiosk.ui.paint import (
    ONE_LINE,
    DrawnText,
    draw_focus_ring,
    draw_icon,
    draw_text,
    fitted_pixel_size,
)
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QLabel,
    QPainter,
    QPaintEvent,
    QRectF,
    Qt,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme


class HomeButton(QAbstractButton):
    """The big yellow "처음으로" button, drawn with the focus ring while :attr:`focused`:
    on most pages always, being the one control there, so Enter presses it."""

    def __init__(self, text: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setText(text)
        self.setAccessibleName(text)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.focused = True
        self.drawn: list[DrawnText] = []
        """The text of the last paint (read by accessibility checks)."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme = self.theme
        ring = theme.focus_width
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect())
        body = outer.adjusted(ring * 2, ring * 2, -ring * 2, -ring * 2)
        fill = theme.accent.darker(115) if self.isDown() else theme.accent
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        radius = theme.px(28)
        painter.drawRoundedRect(body, radius, radius)
        if self.focused:
            draw_focus_ring(painter, outer, theme.text, ring)
        pad = theme.px(20)
        icon = QRectF(
            body.x() + pad, body.y() + pad, body.height() - 2 * pad, body.height() - 2 * pad
        )
        draw_icon(painter, theme.icons / "home.svg", icon)
        painter.setPen(theme.background)
        font = theme.font("button")
        text_rect = body.adjusted(icon.width() + pad, 0, -pad, 0)
        largest = font.pixelSize()
        smallest = min(largest, theme.px(MIN_TEXT_PX))
        font.setPixelSize(
            fitted_pixel_size(self.text(), font, text_rect.width(), largest, smallest)
        )
        painter.setFont(font)
        self.drawn = []
        draw_text(painter, text_rect, int(ONE_LINE), self.text(), self.drawn)
        painter.end()


class MessagePage(QWidget):
    """A calm full-screen message: a picture, a title, a line of detail, and the home button."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        on_home: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.theme = theme
        self.colour = theme.background
        self.icon_name = "info"
        self.setAutoFillBackground(False)
        self.title = QLabel(self)
        self.detail = QLabel(self)
        for label in (self.title, self.detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.home = HomeButton(strings["home_button"], theme, self)
        self.home.clicked.connect(on_home)
        self._layout = QVBoxLayout(self)
        self._layout.addStretch(5)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.detail)
        self._layout.addStretch(1)
        self._layout.addWidget(self.home, 0, Qt.AlignmentFlag.AlignHCenter)
        self._layout.addStretch(1)
        self.set_theme(theme)

    def show_message(self, title: str, detail: str, icon: str, colour: QColor) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.icon_name = icon
        self.colour = colour
        self.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.home.theme = theme
        self.title.setFont(theme.font("title"))
        self.detail.setFont(theme.font("detail", bold=False))
        for label in (self.title, self.detail):
            label.setStyleSheet(f"color: {theme.display.text}; background: transparent;")
        self.home.setFixedSize(theme.px(760), theme.px(250))
        self._layout.setContentsMargins(theme.px(40), theme.px(30), theme.px(40), theme.px(30))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.colour)
        side = self.title.geometry().top() - self.theme.px(40)
        if side > 0:
            rect = QRectF(0, self.theme.px(30), self.width(), side - self.theme.px(20))
            draw_icon(painter, self.theme.icon(self.icon_name), rect)
        painter.end()
