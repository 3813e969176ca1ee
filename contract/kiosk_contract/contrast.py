"""Colour contrast as WCAG 2.x defines it.

Seniors with weak eyesight need every text/background pair at 7:1 or more
(WCAG AAA). The configuration refuses colours that miss it, and the
accessibility tests use the same functions over the whole theme.
"""

import re

AAA_CONTRAST = 7.0
"""Minimum contrast ratio for any text on its background."""

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def is_hex_colour(text: str) -> bool:
    """True for ``#RRGGBB``."""
    return bool(_HEX.match(text))


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """Relative luminance (0 black … 1 white) of a ``#RRGGBB`` colour."""
    if not is_hex_colour(colour):
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """Contrast ratio between two colours, from 1.0 (same) to 21.0 (black/white)."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)
