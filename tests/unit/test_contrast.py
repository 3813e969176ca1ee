import pytest

from kiosk_contract.contrast import contrast_ratio, relative_luminance


def test_black_on_white_is_the_maximum() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)


def test_same_colour_has_no_contrast() -> None:
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)


def test_known_wcag_value() -> None:
    # #767676 on white is the classic "just passes AA" grey: 4.54:1.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


def test_luminance_rejects_non_colours() -> None:
    with pytest.raises(ValueError, match="RRGGBB"):
        relative_luminance("red")
