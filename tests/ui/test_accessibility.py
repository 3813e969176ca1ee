"""Accessibility of every screen at 720p, 1080p and 4K.

Sizes, contrast, a visible focus ring, and every control reachable by keys,
checked over the live widget tree rather than over constants.
"""

import itertools

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.calls import CallService
from kiosk.app.kiosk import Kiosk
from kiosk.calls.desk import CallView, Phase
from kiosk.navigation import Screen
from kiosk.paths import Paths
from kiosk.ui.buttons import KEY_COLOUR
from kiosk.ui.header import MISSING_COLOUR, UNKNOWN_TEXT
from kiosk.ui.home import HomeScreen
from kiosk.ui.leader import GREEN, RED
from kiosk.ui.playing import BAR_COLOUR, STOP_COLOUR
from kiosk.ui.qt import QFontMetrics, QFontMetricsF, QLabel, QPoint, QRectF, Qt, QWidget
from kiosk.ui.theme import MIN_LABEL_PX, MIN_TEXT_PX, Theme
from kiosk.ui.tile import TileButton
from kiosk_contract.config import KioskConfig
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from tests.ui.conftest import BuildKiosk, Player

SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]


def info_tile(kiosk: Kiosk) -> int:
    """A tile whose capability is not built yet (information pages)."""
    return next(i for i, t in enumerate(kiosk.navigator.tiles) if t.action == "info")


def visit(kiosk: Kiosk, name: str) -> QWidget:
    """Open the screen *name*; return the widget that shows it."""
    nav, window = kiosk.navigator, kiosk.window
    nav.go_home()
    if name == "not_available":
        nav.press_tile(info_tile(kiosk))
    elif name == "please_wait":
        nav.fail()
    elif name == "not_ready":
        nav.show_not_ready("video_not_ready")
    elif name == "playing":
        assert kiosk.programmes.start("singing")
    elif name == "leader_pin":
        nav.open_leader()
    elif name in ("leader", "diagnostics"):
        nav.unlocked("technician" if name == "diagnostics" else "leader")
    elif name == "call":
        # The call screen as a call rings (the desk is built but not connected).
        if kiosk.calls is None:
            calls = CallService(
                kiosk.loaded.config, nav, kiosk.status, kiosk.voice, kiosk.parts.wall, demo=True
            )
            kiosk.attach_calls(calls.desk)
        nav.show_call()
        assert window.call is not None
        window.call.show_call(CallView(Phase.RINGING, "남원시청 복지과", answer_at=None))
    assert nav.view.screen.value == name
    return window.stack.currentWidget()


SCREENS = [screen.value for screen in Screen]


def screens(kiosk: Kiosk) -> dict[str, QWidget]:
    """Visit every screen; return the widget shown for each."""
    shown = {name: visit(kiosk, name) for name in SCREENS}
    kiosk.navigator.go_home()
    return shown


@pytest.mark.parametrize("size", SIZES)
def test_tiles_are_at_least_a_quarter_of_the_screen_high(
    build: BuildKiosk, demo_config: KioskConfig, size: tuple[int, int]
) -> None:
    kiosk = build(demo_config, size)
    height = kiosk.window.height()
    for button in kiosk.window.home.buttons:
        assert button.height() >= height / 4, (button.tile.id, button.height(), height)


def one_line_fits(button: TileButton, size: int) -> bool:
    """Whether the label, laid out on one line as the painter does, fits the tile's width."""
    font = button.theme.font("label")
    font.setPixelSize(size)
    line = QFontMetricsF(font).boundingRect(QRectF(0, 0, 1e6, 1e6), 0, button.label)
    return line.width() <= button.label_width


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_tile_labels_are_at_least_40px_at_1080p_and_scale(
    build: BuildKiosk, demo_config: KioskConfig, language: str, size: tuple[int, int]
) -> None:
    kiosk = build(demo_config, size, language=language)
    kiosk.window.grab()  # paint, so that each tile fits its label
    theme = kiosk.window.theme
    scale = theme.height / 1080  # the height the window really has
    for button in kiosk.window.home.buttons:
        assert button.label_px >= 40 * scale, (button.tile.id, button.label_px)
        assert button.label_px >= theme.px(MIN_LABEL_PX), (button.tile.id, button.label_px)
        if one_line_fits(button, button.label_px):
            bigger_fits = one_line_fits(button, button.label_px + 1)
            largest = button.label_px == theme.px(88)
            assert largest or not bigger_fits, ("as large as fits", button.label)
        else:
            floor_fits = one_line_fits(button, theme.px(MIN_LABEL_PX))
            assert not floor_fits, ("wrapped though one line fits", button.label)


@pytest.mark.parametrize("size", SIZES)
def test_every_text_on_every_screen_is_large(
    build: BuildKiosk,
    demo_config: KioskConfig,
    size: tuple[int, int],
    qtbot: QtBot,
    player: Player,
) -> None:
    kiosk = build(demo_config, size, player=player)
    floor = MIN_TEXT_PX * size[1] / 1080 - 1
    for name in SCREENS:
        visit(kiosk, name)
        labels = [w for w in kiosk.window.findChildren(QLabel) if w.isVisible() and w.text()]
        assert labels or name == "home", name
        for label in labels:
            assert label.font().pixelSize() >= floor, (name, label.text(), label.font().pixelSize())
        kiosk.navigator.go_home()
    for item in kiosk.window.status_strip.items.values():
        assert item.font().pixelSize() >= floor


def test_every_colour_pair_of_the_theme_reaches_7_to_1(demo_config: KioskConfig) -> None:
    display = demo_config.display
    pairs = {
        "text on background": (display.text, display.background),
        "clock (accent) on background": (display.accent, display.background),
        "home button text on accent": (display.background, display.accent),
        "unchecked indicator on background": (UNKNOWN_TEXT, display.background),
        "missing indicator": (display.text, MISSING_COLOUR),
        "playing bars": (display.text, BAR_COLOUR),
        "playing notice": (display.accent, BAR_COLOUR),
        "stop button": (display.text, STOP_COLOUR),
        "keypad keys": (display.text, KEY_COLOUR),
        "leader red": (display.text, RED),
        "leader green": (display.text, GREEN),
    }
    for tile in demo_config.tiles:
        pairs[f"text on tile {tile.id}"] = (display.text, tile.colour)
    for name, (fore, back) in pairs.items():
        assert contrast_ratio(fore, back) >= AAA_CONTRAST, name


def test_tile_colours_are_distinct(demo_config: KioskConfig) -> None:
    colours = [tile.colour.upper() for tile in demo_config.tiles]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("size", SIZES)
def test_focus_ring_is_drawn_around_the_focused_tile(
    build: BuildKiosk, demo_config: KioskConfig, size: tuple[int, int], qtbot: QtBot
) -> None:
    kiosk = build(demo_config, size)
    accent = demo_config.display.accent.lower()
    for index, button in enumerate(kiosk.window.home.buttons):
        kiosk.navigator._set(kiosk.navigator.view.__class__(Screen.HOME, focus=index))
        image = button.grab().toImage()
        ring = kiosk.window.theme.focus_width
        # Sample the middle of the left and top edges, inside the ring's band.
        edge_points = [
            QPoint(ring // 2, image.height() // 2),
            QPoint(image.width() // 2, ring // 2),
        ]
        assert all(image.pixelColor(p).name() == accent for p in edge_points), button.tile.id
        other = kiosk.window.home.buttons[(index + 1) % len(kiosk.window.home.buttons)]
        other_image = other.grab().toImage()
        assert other_image.pixelColor(edge_points[0]).name() != accent


def test_every_control_is_reachable_by_keys(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    window = kiosk.window
    reached = set()
    for key in [Qt.Key.Key_Right] * 2 + [Qt.Key.Key_Down] + [Qt.Key.Key_Left] * 2:
        reached.add(kiosk.navigator.view.focus)
        qtbot.keyClick(window, key)
    reached.add(kiosk.navigator.view.focus)
    assert reached == set(range(len(demo_config.tiles)))
    # On every other screen the one control, the home button, answers Enter.
    for name in ("not_available", "please_wait", "not_ready"):
        visit(kiosk, name)
        assert window.page.home.isVisible() and window.page.home.focused
        qtbot.keyClick(window, Qt.Key.Key_Return)
        assert kiosk.navigator.view.screen is Screen.HOME


def test_every_screen_is_covered(
    build: BuildKiosk, demo_config: KioskConfig, player: Player
) -> None:
    kiosk = build(demo_config, player=player)
    assert set(screens(kiosk)) == {screen.value for screen in Screen}


def test_home_button_is_big(build: BuildKiosk, demo_config: KioskConfig) -> None:
    kiosk = build(demo_config)
    kiosk.navigator.press_tile(info_tile(kiosk))
    home = kiosk.window.page.home
    assert home.height() >= kiosk.window.height() / 5
    assert home.width() >= kiosk.window.width() / 3


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_no_text_is_cut_off_in_the_status_strip(
    build: BuildKiosk, demo_config: KioskConfig, language: str, size: tuple[int, int]
) -> None:
    kiosk = build(demo_config, size, language=language)
    theme = kiosk.window.theme
    for item in kiosk.window.status_strip.items.values():
        # Where paintEvent starts the word: padding, the picture, a gap.
        text_left = theme.px(10) + item.height() * 0.7 + theme.px(22)
        advance = QFontMetrics(item.font()).horizontalAdvance(item.text)
        assert item.width() >= text_left + advance, (item.text, item.width())


def assert_tile_texts_fit(button: TileButton, label_floor: float, text_floor: float) -> None:
    """Every text the tile painted, laid out in its own rectangle with its own font and
    flags (word wrap included), lies wholly inside that rectangle and inside the tile:
    no line cut at the top or bottom, no word past the sides, nothing elided."""
    where = f"{button.tile.id} {button.label!r}"
    assert [text for text, *_ in button.drawn] == [t for t in (button.label, button.sub_label) if t]
    body = QRectF(button.rect())
    for index, (text, font, rect, flags) in enumerate(button.drawn):
        floor = label_floor if index == 0 else text_floor
        assert font.pixelSize() >= floor, (where, text, font.pixelSize(), floor)
        needed = QFontMetricsF(font).boundingRect(rect, flags, text)
        assert needed.width() <= rect.width() + 0.01, (where, text, "too wide", needed, rect)
        assert needed.height() <= rect.height() + 0.01, (where, text, "cut", needed, rect)
        assert body.contains(rect), (where, text, "outside the tile", rect, body)
    rects = [rect for *_, rect, _ in button.drawn]
    for upper, lower in itertools.pairwise(rects):
        assert upper.bottom() <= lower.top() + 0.01, (where, "texts overlap", upper, lower)


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_tile_labels_fit_their_tiles_whole(
    build: BuildKiosk, demo_config: KioskConfig, language: str, size: tuple[int, int]
) -> None:
    kiosk = build(demo_config, size, language=language)
    kiosk.window.grab()  # paint, so that each tile lays its texts out
    theme = kiosk.window.theme
    for button in kiosk.window.home.buttons:
        label = button.tile.label_en if language == "en" else button.tile.label
        assert button.label == label
        assert_tile_texts_fit(button, theme.px(MIN_LABEL_PX), theme.px(MIN_TEXT_PX))


# The window cannot be made smaller than its pages' minimum sizes (the 720p case above
# runs at about 1450x1008), so the tiles are also checked on a home screen alone, at
# the share of the screen it has in the window.
HOME_SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (3840, 2160)]


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", HOME_SIZES)
def test_tile_labels_fit_on_a_home_screen_of_every_size(
    qtbot: QtBot, paths: Paths, demo_config: KioskConfig, language: str, size: tuple[int, int]
) -> None:
    width, height = size
    theme = Theme(demo_config.display, height, paths.assets / "icons")
    home = HomeScreen(demo_config.tiles, theme, language, lambda _: None)
    qtbot.addWidget(home)
    home.resize(width, round(height * 0.8))
    home.show()
    qtbot.waitExposed(home)
    home.grab()
    assert home.size().toTuple() == (width, round(height * 0.8))
    for button in home.buttons:
        assert_tile_texts_fit(button, theme.px(MIN_LABEL_PX), theme.px(MIN_TEXT_PX))
