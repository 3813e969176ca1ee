"""Drawing helpers shared by the big buttons."""

from collections.abc import Callable
from pathlib import Path

from kiosk.ui.qt import QColor, QFont, QFontMetricsF, QPainter, QPen, QRectF, QSvgRenderer, Qt

_renderers: dict[Path, QSvgRenderer] = {}


def draw_icon(painter: QPainter, path: Path, rect: QRectF) -> None:
    """Draw the SVG at *path* centred in *rect*, keeping its aspect ratio."""
    renderer = _renderers.get(path)
    if renderer is None:
        renderer = _renderers[path] = QSvgRenderer(str(path))
    if not renderer.isValid():
        return
    size = renderer.defaultSize().scaled(rect.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRectF(0, 0, size.width(), size.height())
    target.moveCenter(rect.center())
    renderer.render(painter, target)


def draw_focus_ring(painter: QPainter, rect: QRectF, colour: QColor, width: int) -> None:
    """A thick rounded ring just inside *rect*."""
    half = width / 2
    painter.setPen(QPen(colour, width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    radius = width * 2
    painter.drawRoundedRect(rect.adjusted(half, half, -half, -half), radius, radius)


ONE_LINE = Qt.AlignmentFlag.AlignCenter
WRAPPED = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap

DrawnText = tuple[str, QFont, QRectF, int]
"""A text as it was painted: the text, its font, its rectangle and its flags. Painted
controls keep the texts of their last paint in ``drawn``, so that the accessibility
audit can lay each one out again and see that it is whole and large enough."""


def draw_text(
    painter: QPainter, rect: QRectF, flags: int, text: str, drawn: list[DrawnText]
) -> None:
    """``drawText`` in the painter's font, noted in *drawn*."""
    painter.drawText(rect, flags, text)
    drawn.append((text, QFont(painter.font()), QRectF(rect), flags))


def text_block(text: str, font: QFont, width: float, wrap: bool = True) -> QRectF:
    """The rectangle ``drawText`` fills with *text* in *font* in a box *width* wide:
    on one line, or (with *wrap*) broken between words, never inside one (a word
    longer than *width* makes the block wider than *width*).

    Measured as the painter lays text out, fractional advances and the last
    glyph's overhang included: a whole-pixel ``horizontalAdvance`` can say "fits"
    for a line that ``drawText`` then wraps.
    """
    flags = WRAPPED if wrap else ONE_LINE
    return QFontMetricsF(font).boundingRect(QRectF(0, 0, width, 1e6), int(flags), text)


def largest_fitting(fits: Callable[[int], bool], largest: int, smallest: int) -> int | None:
    """The largest size in [smallest, largest] that *fits* (which holds for every size
    below one it holds for); None if none does."""
    if fits(largest):
        return largest
    if not fits(smallest):
        return None
    low, high = smallest, largest  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


def fitted_size(
    text: str, font: QFont, width: float, height: float, largest: int, smallest: int, wrap: bool
) -> int | None:
    """The largest pixel size in [smallest, largest] at which *text* (one line, or
    wrapped between words) fits in *width* x *height*; None if it fits at none."""

    def fits(size: int) -> bool:
        font.setPixelSize(size)
        block = text_block(text, font, width, wrap)
        return block.width() <= width and block.height() <= height

    return largest_fitting(fits, largest, smallest)


def fitted_pixel_size(text: str, font: QFont, width: float, largest: int, smallest: int) -> int:
    """The largest pixel size in [smallest, largest] at which *text* fits in *width* on one
    line; *smallest* if none."""
    size = fitted_size(text, font, width, float("inf"), largest, smallest, wrap=False)
    return smallest if size is None else size


def fitted_label(
    text: str, font: QFont, width: float, height: float, largest: int, smallest: int
) -> int:
    """The pixel size for a tile label that must be read whole, never elided.

    One line at the largest size in [smallest, largest] that fits *width*; if one
    line does not fit even at *smallest*, wrapped between words at the largest size
    whose lines fit *width* x *height*, or else at *smallest* (the caller then
    makes room for the taller block).
    """
    size = fitted_size(text, font, width, float("inf"), largest, smallest, wrap=False)
    if size is None:
        size = fitted_size(text, font, width, height, largest, smallest, wrap=True)
    return smallest if size is None else size
