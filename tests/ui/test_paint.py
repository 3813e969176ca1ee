import pytest

from kiosk.ui.paint import fitted_label, fitted_pixel_size, text_block
from kiosk.ui.qt import QFont, QFontMetricsF
from kiosk.ui.theme import FONT_FAMILY


def advance(text: str, size: int) -> float:
    font = QFont(FONT_FAMILY)
    font.setBold(True)
    font.setPixelSize(size)
    return text_block(text, font, 1e6, wrap=False).width()


@pytest.mark.parametrize("text", ["노래교실", "시청과 화상통화", "City hall broadcast", "가"])
@pytest.mark.parametrize("width", [60, 200, 420, 560, 2000])
def test_the_largest_size_that_fits(qapp: object, text: str, width: int) -> None:
    font = QFont(FONT_FAMILY)
    font.setBold(True)
    size = fitted_pixel_size(text, font, width, 88, 48)
    assert 48 <= size <= 88
    assert advance(text, size) <= width or size == 48, "fits, unless at the floor"
    assert size == 88 or advance(text, size + 1) > width, "nothing larger fits"


@pytest.mark.parametrize("text", ["노래교실", "City hall broadcast", "Today's notices"])
@pytest.mark.parametrize(("width", "height"), [(365, 160), (500, 190), (250, 120)])
def test_a_label_wraps_between_words_only_when_one_line_is_too_small(
    qapp: object, text: str, width: int, height: int
) -> None:
    font = QFont(FONT_FAMILY)
    font.setBold(True)
    size = fitted_label(text, font, width, height, 88, 45)
    assert 45 <= size <= 88
    font.setPixelSize(size)
    block = text_block(text, font, width)
    assert block.width() <= width and block.height() <= height
    if block.height() > QFontMetricsF(font).lineSpacing() + 0.01:  # wrapped
        assert advance(text, 45) > width, "one line at the floor would have fitted"
