"""Drawing helpers shared by the big buttons."""

from pathlib import Path

from kiosk.ui.qt import QColor, QFont, QFontMetrics, QPainter, QPen, QRectF, QSvgRenderer, Qt

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


def fitted_pixel_size(text: str, font: QFont, width: float, largest: int, smallest: int) -> int:
    """The largest pixel size in [smallest, largest] at which *text* fits in *width* on one line."""

    def fits(size: int) -> bool:
        font.setPixelSize(size)
        return QFontMetrics(font).horizontalAdvance(text) <= width

    if fits(largest):
        return largest
    # Text width grows nearly in proportion to the size: start close, then adjust.
    font.setPixelSize(largest)
    guess = int(largest * width / max(1, QFontMetrics(font).horizontalAdvance(text)))
    size = max(smallest, min(largest - 1, guess))
    if fits(size):
        while size + 1 < largest and fits(size + 1):
            size += 1
        return size
    while size > smallest:
        size -= 1
        if fits(size):
            return size
    return smallest
