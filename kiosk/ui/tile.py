"""A home-screen tile: a huge coloured button with a picture and a Korean label."""

from kiosk.ui.paint import draw_focus_ring, draw_icon, fitted_pixel_size
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QPainter,
    QPaintEvent,
    QRectF,
    QSizePolicy,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_LABEL_PX, Theme
from kiosk_contract.config.model import Tile


class TileButton(QAbstractButton):
    """Paints one :class:`Tile`; the focus ring shows when :attr:`focused` is set.

    Keyboard focus is handled by the core's navigator, not by Qt, so the
    button never takes Qt focus.
    """

    def __init__(
        self, tile: Tile, theme: Theme, language: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.tile = tile
        self.theme = theme
        self.label, self.sub_label = tile.labels(language, theme.display.show_english)
        self.focused = False
        self.label_px = 0
        """Pixel size the label was last drawn at (read by accessibility checks)."""
        self.label_width = 0.0
        """Width the label had to fit in, in pixels (read by accessibility checks)."""
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setText(self.label)
        self.setAccessibleName(self.label)
        self.setAccessibleDescription(self.sub_label)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        expanding = QSizePolicy.Policy.Expanding
        self.setSizePolicy(expanding, expanding)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def set_focused(self, focused: bool) -> None:
        if focused != self.focused:
            self.focused = focused
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme = self.theme
        ring = theme.focus_width
        gap = theme.px(8)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect())
        body = outer.adjusted(ring + gap, ring + gap, -ring - gap, -ring - gap)
        colour = QColor(self.tile.colour)
        if self.isDown():
            colour = colour.darker(130)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        radius = theme.px(28)
        painter.drawRoundedRect(body, radius, radius)
        if self.focused:
            draw_focus_ring(painter, outer, theme.accent, ring)

        pad = theme.px(24)
        inner = body.adjusted(pad, pad, -pad, -pad)
        two_lines = bool(self.sub_label)
        text_share = 0.42 if two_lines else 0.32
        icon_rect = QRectF(inner.x(), inner.y(), inner.width(), inner.height() * (1 - text_share))
        draw_icon(painter, theme.icon(self.tile.icon), icon_rect.adjusted(0, 0, 0, -pad / 2))

        painter.setPen(theme.text)
        font = theme.font("label")
        self.label_width = inner.width()
        self.label_px = fitted_pixel_size(
            self.label, font, inner.width(), font.pixelSize(), theme.px(MIN_LABEL_PX)
        )
        font.setPixelSize(self.label_px)
        painter.setFont(font)
        text_top = icon_rect.bottom()
        label_h = inner.bottom() - text_top
        if two_lines:
            label_h *= 0.62
        label_rect = QRectF(inner.x(), text_top, inner.width(), label_h)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(label_rect, int(flags), self.label)
        if two_lines:
            painter.setFont(theme.font("label_en", bold=False))
            en_rect = QRectF(
                inner.x(), label_rect.bottom(), inner.width(), inner.bottom() - label_rect.bottom()
            )
            painter.drawText(en_rect, int(Qt.AlignmentFlag.AlignCenter), self.sub_label)
        painter.end()
