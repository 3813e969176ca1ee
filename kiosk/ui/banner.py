"""The schedule banner above the home tiles: what starts soon or runs now; one press joins."""

from collections.abc import Callable

from kiosk.i18n import Strings
from kiosk.programmes.schedule import Banner, Phase
from kiosk.ui.paint import DrawnText, draw_focus_ring, draw_text, fitted_label, text_block
from kiosk.ui.qt import QAbstractButton, QPainter, QPaintEvent, QRectF, Qt, QWidget
from kiosk.ui.theme import MIN_TEXT_PX, Theme


def banner_text(strings: Strings, banner: Banner, title: str) -> str:
    """``노래교실 — 10분 뒤 시작`` / ``… — 지금 하고 있습니다``."""
    if banner.phase is Phase.RUNNING:
        return strings["banner_running"].format(title=title)
    minutes = (banner.seconds_to_start + 59) // 60
    if banner.seconds_to_start < 60:
        return strings["banner_soon_now"].format(title=title)
    return strings["banner_soon"].format(title=title, minutes=minutes)


class ScheduleBanner(QAbstractButton):
    """A wide accent-coloured button; hidden while nothing is announced."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        title_of: Callable[[str], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self._title_of = title_of
        self.focused = False
        self.banner: Banner | None = None
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Its height too: the window sets a theme only when its height changes, and a
        # 1080-line screen never changes it (the banner was 0 px high there).
        self.set_theme(theme)
        self.hide()

    def show_banner(self, banner: Banner | None) -> None:
        self.banner = banner
        if banner is not None:
            title = self._title_of(banner.occurrence.slot.programme)
            self.setText(banner_text(self.strings, banner, title))
            self.setAccessibleName(f"{self.text()} {self.strings['banner_join']}")
        self.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setFixedHeight(theme.px(150))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme = self.theme
        ring = theme.focus_width
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect()).adjusted(theme.px(12), 0, -theme.px(12), 0)
        body = outer.adjusted(ring * 2, ring, -ring * 2, -ring)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.accent.darker(115) if self.isDown() else theme.accent)
        painter.drawRoundedRect(body, theme.px(24), theme.px(24))
        if self.focused:
            draw_focus_ring(painter, outer, theme.text, ring)
        painter.setPen(theme.background)
        pad = theme.px(30)
        inner = body.adjusted(pad, 0, -pad, 0)
        self.drawn = []
        # "Press to join" on the right, whole; what starts on the left, in the room left
        # (smaller, then on two lines, when a narrow screen has too little).
        join = "▶ " + self.strings["banner_join"]
        join_font = theme.font("status")
        join_width = text_block(join, join_font, inner.width(), wrap=False).width()
        join_rect = QRectF(inner.right() - join_width, inner.top(), join_width, inner.height())
        painter.setFont(join_font)
        right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        draw_text(painter, join_rect, int(right), join, self.drawn)
        what = inner.adjusted(0, 0, -join_width - pad, 0)
        font = theme.font("detail")
        largest, smallest = font.pixelSize(), theme.px(MIN_TEXT_PX)
        font.setPixelSize(
            fitted_label(self.text(), font, what.width(), what.height(), largest, smallest)
        )
        painter.setFont(font)
        left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        draw_text(painter, what, int(left), self.text(), self.drawn)
        painter.end()
