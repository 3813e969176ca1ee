"""A home-screen tile: a huge coloured button with a picture and its label, read whole."""

from kiosk.ui.paint import (
    WRAPPED,
    draw_focus_ring,
    draw_icon,
    fitted_label,
    fitted_pixel_size,
    text_block,
)
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QRectF,
    QSizePolicy,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_LABEL_PX, MIN_TEXT_PX, Theme
from kiosk_contract.config.model import Tile

MIN_ICON_SHARE = 0.35
"""The picture keeps at least this share of a tile's height, however long its label."""


class TileButton(QAbstractButton):
    """Paints one :class:`Tile`; the focus ring shows when :attr:`focused` is set, and a
    quiet badge (e.g. "새 안내 2") in a strip of its own above the picture when
    :attr:`badge` is set.

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
        self.badge = ""
        """Small words in the tile's top corner ("새 안내 2"); empty: none."""
        self.label_px = 0
        """Pixel size the label was last drawn at (read by accessibility checks)."""
        self.label_width = 0.0
        """Width the label had to fit in, in pixels (read by accessibility checks)."""
        self.drawn: list[tuple[str, QFont, QRectF, int]] = []
        """Each text last painted: text, font, rectangle, flags (read by accessibility checks)."""
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

    def set_badge(self, badge: str) -> None:
        if badge != self.badge:
            self.badge = badge
            self.setAccessibleDescription(" ".join(t for t in (self.sub_label, badge) if t))
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
        badge = self._paint_badge(painter, inner) if self.badge else None
        label_font, sub_font = theme.font("label"), theme.font("label_en", bold=False)
        sub_h = 0.0
        if self.sub_label:
            sub_font.setPixelSize(
                fitted_pixel_size(
                    self.sub_label,
                    sub_font,
                    inner.width(),
                    sub_font.pixelSize(),
                    theme.px(MIN_TEXT_PX),
                )
            )
            sub_h = QFontMetricsF(sub_font).lineSpacing()
        # The label has room for one line at its full size; a label that must wrap
        # (one line would be under MIN_LABEL_PX) takes more, down to the smallest picture.
        usual = QFontMetricsF(label_font).lineSpacing()
        self.label_width = inner.width()
        self.label_px = fitted_label(
            self.label,
            label_font,
            inner.width(),
            usual,
            label_font.pixelSize(),
            theme.px(MIN_LABEL_PX),
        )
        label_font.setPixelSize(self.label_px)
        label_h = text_block(self.label, label_font, inner.width()).height()
        most = inner.height() * (1 - MIN_ICON_SHARE) - sub_h
        text_h = min(max(usual, label_h), most) + sub_h
        icon_rect = QRectF(inner.x(), inner.y(), inner.width(), inner.height() - text_h)
        if badge is not None:  # the badge takes the top of the picture's room, not the words'
            icon_rect.setTop(min(badge[2].bottom() + pad / 2, icon_rect.bottom()))
        draw_icon(painter, theme.icon(self.tile.icon), icon_rect.adjusted(0, 0, 0, -pad / 2))

        painter.setPen(theme.text)
        painter.setFont(label_font)
        label_rect = QRectF(inner.x(), icon_rect.bottom(), inner.width(), text_h - sub_h)
        painter.drawText(label_rect, int(WRAPPED), self.label)
        self.drawn = [(self.label, label_font, label_rect, int(WRAPPED))]
        if self.sub_label:
            painter.setFont(sub_font)
            sub_rect = QRectF(inner.x(), label_rect.bottom(), inner.width(), sub_h)
            centred = int(Qt.AlignmentFlag.AlignCenter)
            painter.drawText(sub_rect, centred, self.sub_label)
            self.drawn.append((self.sub_label, sub_font, sub_rect, centred))
        if badge is not None:
            self.drawn.append(badge)
        painter.end()

    def _paint_badge(self, painter: QPainter, inner: QRectF) -> tuple[str, QFont, QRectF, int]:
        """The badge as a pill in the accent colour at the top right; what it drew."""
        theme = self.theme
        font = theme.font("status")
        font.setPixelSize(
            fitted_pixel_size(
                self.badge,
                font,
                inner.width() - theme.px(36),
                font.pixelSize(),
                theme.px(MIN_TEXT_PX),
            )
        )
        words = text_block(self.badge, font, 1e6, wrap=False)
        height = QFontMetricsF(font).lineSpacing() + theme.px(12)
        width = min(words.width() + theme.px(36), inner.width())
        pill = QRectF(inner.right() - width, inner.top(), width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.accent)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(theme.background)
        painter.setFont(font)
        centred = int(Qt.AlignmentFlag.AlignCenter)
        painter.drawText(pill, centred, self.badge)
        return self.badge, QFont(font), pill, centred
