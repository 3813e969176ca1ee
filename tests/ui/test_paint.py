import pytest

from kiosk.ui.paint import fitted_pixel_size
from kiosk.ui.qt import QFont, QFontMetrics
from kiosk.ui.theme import FONT_FAMILY


def advance(text: str, size: int) -> int:
    font = QFont(FONT_FAMILY)
    font.setBold(True)
    font.setPixelSize(size)
    return QFontMetrics(font).horizontalAdvance(text)


@pytest.mark.parametrize("text", ["노래교실", "시청과 화상통화", "City hall broadcast", "가"])
@pytest.mark.parametrize("width", [60, 200, 420, 560, 2000])
def test_the_largest_size_that_fits(qapp: object, text: str, width: int) -> None:
    font = QFont(FONT_FAMILY)
    font.setBold(True)
    size = fitted_pixel_size(text, font, width, 88, 48)
    assert 48 <= size <= 88
    assert advance(text, size) <= width or size == 48, "fits, unless at the floor"
    assert size == 88 or advance(text, size + 1) > width, "nothing larger fits"
