"""The schedule banner above the home tiles: what starts soon or runs now; one press joins."""

from collections.abc import Callable

from kiosk.i18n import Strings
from kiosk.programmes.schedule import Banner, Phase
from kiosk.ui.paint import draw_focus_ring
from kiosk.ui.qt import QAbstractButton, QPainter, QPaintEvent, QRectF, Qt, QWidget
from kiosk.ui.theme import Theme


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
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
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
        painter.setFont(theme.font("detail"))
        painter.drawText(
            body.adjusted(pad, 0, -pad, 0),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            self.text(),
        )
        painter.setFont(theme.font("status"))
        painter.drawText(
            body.adjusted(pad, 0, -pad, 0),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
            "▶ " + self.strings["banner_join"],
        )
        painter.end()
