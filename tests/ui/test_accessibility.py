"""Accessibility of every screen at 1024x768, 720p, 1366x768, 1080p and 4K.

Sizes, contrast, a visible focus ring, and every control reachable by keys,
checked over the live widget tree rather than over constants.
"""

import asyncio
import datetime as dt
import itertools
import json
import logging
from collections.abc import Iterator

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.calls.desk import CallDesk, CallView, Notice, Phase
from kiosk.calls.tracks import paint_bars
from kiosk.config import builtin_config
from kiosk.i18n import Strings
from kiosk.media.progress import Progress
from kiosk.messages.service import MessageService
from kiosk.navigation import ALERT_SETTLE_S, Screen
from kiosk.paths import Paths
from kiosk.status import Level
from kiosk.sync.onscreen import load_defaults
from kiosk.ui.alert import PALETTES, ConfirmButton
from kiosk.ui.banner import ScheduleBanner
from kiosk.ui.buttons import KEY_COLOUR, KeyButton
from kiosk.ui.call import BLUE as CALL_BLUE
from kiosk.ui.call import GREEN as CALL_GREEN
from kiosk.ui.call import RED as CALL_RED
from kiosk.ui.call import TEAL as CALL_TEAL
from kiosk.ui.enrolment import EnrolmentWindow
from kiosk.ui.header import MISSING_COLOUR, UNKNOWN_TEXT
from kiosk.ui.leader import GREEN, RED, VideoList
from kiosk.ui.notices import ROW_COLOUR
from kiosk.ui.pages import HomeButton
from kiosk.ui.paint import DrawnText
from kiosk.ui.playing import BAR_COLOUR, STOP_COLOUR
from kiosk.ui.qt import (
    QApplication,
    QEvent,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QImage,
    QLabel,
    QPoint,
    QRect,
    QRectF,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_LABEL_PX, MIN_TEXT_PX, Theme
from kiosk.ui.tile import TileButton
from kiosk.ui.window import KioskWindow
from kiosk_contract.config import KioskConfig, parse_config, read_config
from kiosk_contract.config.calls import Contact
from kiosk_contract.config.model import Tile
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from kiosk_contract.fleet import Level as AlertLevel
from tests.calls.signals import near
from tests.conftest import DEMO_CONFIG
from tests.ui.alerting import LONGEST, PICTURE, ring_a_call, send_alert
from tests.ui.conftest import BuildKiosk, FakeClock, Player, WallClock
from tests.unit.test_navigation import with_contacts

LONG_CONTACTS = [
    Contact(
        id=f"office-{n}",
        name=f"cityhall-office-{n}",
        label="남원시청 사회복지과 노인장애인복지팀 팀장실",
        label_en="Namwon City Hall, senior welfare team 12",
    )
    for n in range(11)
]
"""Eleven more contacts with names as long as the schema allows (24 and 40 characters)."""

SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (3840, 2160)]
"""TVs and panels found in senior centres: 4:3, 720p, 1366x768, 1080p and 4K."""
SIZE_IDS = [f"{width}x{height}" for width, height in SIZES]


MESSAGE_TILE = Tile(
    id="message",
    label="의견 남기기",
    label_en="Message city hall",
    icon="call",
    colour="#134E4A",
    action="message",
)
"""The video message's tile, in place of the demo's 5th (as the message tests have it)."""


@pytest.fixture
def demo_config() -> KioskConfig:
    """The demo's configuration with a message tile, so that the message screen and the
    "nobody answered" screen's 의견 남기기 are audited too."""
    config = read_config(DEMO_CONFIG)
    tiles = list(config.tiles)
    tiles[4] = MESSAGE_TILE
    return msgspec.structs.replace(config, tiles=tiles)


MESSAGE_SERVICES: list[tuple[MessageService, asyncio.AbstractEventLoop]] = []
"""Message services the audit attached to its kiosks (closed after each test)."""


@pytest.fixture(autouse=True)
def _close_message_services() -> Iterator[None]:
    yield
    while MESSAGE_SERVICES:
        service, loop = MESSAGE_SERVICES.pop()
        loop.run_until_complete(service.close())
        loop.close()


def open_messages(kiosk: Kiosk) -> None:
    """Video messages up on *kiosk* (not enrolled: nothing is sent), as the root does."""
    if kiosk.messages is not None:
        return
    loop = asyncio.new_event_loop()
    service = MessageService(
        kiosk.parts.paths, kiosk.navigator, kiosk.status, loop, None, lambda: None
    )
    MESSAGE_SERVICES.append((service, loop))
    kiosk.attach_messages(service)


def message_tile(kiosk: Kiosk) -> int:
    return next(i for i, t in enumerate(kiosk.navigator.tiles) if t.action == "message")


def info_tile(kiosk: Kiosk) -> int:
    """Today's notices' tile."""
    return next(i for i, t in enumerate(kiosk.navigator.tiles) if t.action == "info")


def leave(kiosk: Kiosk) -> None:
    """Home, acknowledging every alert on the way."""
    while kiosk.parts.alerts.current is not None:
        kiosk.parts.alerts.acknowledge(kiosk.parts.alerts.current)
    kiosk.navigator.go_home()


def visit(kiosk: Kiosk, name: str) -> QWidget:
    """Open the screen *name*; return the widget that shows it."""
    nav, window = kiosk.navigator, kiosk.window
    leave(kiosk)
    if name == "not_available":
        # An information tile other than today's notices: not built yet.
        nav.set_opener("info", lambda tile: Screen.NOT_AVAILABLE)
        nav.press_tile(info_tile(kiosk))
        nav.set_opener("info", kiosk.parts.notices.open_tile)
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
    elif name == "leader_calls":
        nav.unlocked("leader")
        nav.open_leader_calls()
    elif name == "call":
        ring_a_call(kiosk)
    elif name == "message":
        open_messages(kiosk)
        nav.press_tile(message_tile(kiosk))
    elif name == "alert":
        send_alert(kiosk, AlertLevel.EMERGENCY, LONGEST)
    elif name == "notices":
        nav.press_tile(info_tile(kiosk))
    elif name == "notice":
        nav.press_tile(info_tile(kiosk))
        nav.key("1")
    assert nav.view.screen.value == name
    return window.stack.currentWidget()


SCREENS = [screen.value for screen in Screen]


def screens(kiosk: Kiosk) -> dict[str, QWidget]:
    """Visit every screen; return the widget shown for each."""
    shown = {name: visit(kiosk, name) for name in SCREENS}
    leave(kiosk)
    return shown


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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
        assert labels or name in ("home", "alert"), name  # the alert paints its words
        for label in labels:
            assert label.font().pixelSize() >= floor, (name, label.text(), label.font().pixelSize())
        leave(kiosk)
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
        "notice rows": ("#FFFFFF", ROW_COLOUR),
        "badge and 새 on accent": (display.background, display.accent),
        "call answer": (display.text, CALL_GREEN),
        "call hang up, decline": (display.text, CALL_RED),
        "call volume": (display.text, CALL_BLUE),
        "의견 남기기": (display.text, CALL_TEAL),
    }
    for level, colours in PALETTES.items():
        pairs[f"{level.value} alert text"] = (colours.text, colours.fill)
        pairs[f"{level.value} 확인"] = (colours.button_text, colours.button)
    for tile in demo_config.tiles:
        pairs[f"text on tile {tile.id}"] = (display.text, tile.colour)
    for name, (fore, back) in pairs.items():
        assert contrast_ratio(fore, back) >= AAA_CONTRAST, name


def test_tile_colours_are_distinct(demo_config: KioskConfig) -> None:
    colours = [tile.colour.upper() for tile in demo_config.tiles]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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
    build: BuildKiosk,
    demo_config: KioskConfig,
    qtbot: QtBot,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
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
    # Today's notices: Down reaches every row, then the home button; Enter presses it.
    visit(kiosk, "notices")
    page = window.notices_page
    rows = len(page.entries)
    for row in range(rows):
        assert [r.focused for r in page.rows[:rows]] == [i == row for i in range(rows)]
        assert not page.home.focused
        qtbot.keyClick(window, Qt.Key.Key_Down)
    assert page.home.focused and not any(r.focused for r in page.rows)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert kiosk.navigator.view.screen is Screen.HOME
    # The leader's contacts: Down reaches every row (over two pages), then the back
    # button; Enter on a row calls it (here: city hall cannot be reached yet).
    kiosk.navigator.reconfigure(with_contacts(demo_config, *LONG_CONTACTS))
    visit(kiosk, "leader_calls")
    calls = window.leader_calls
    count = len(kiosk.navigator.contacts)
    assert count == 12
    for row in range(count):
        assert calls.rows[row].isVisible() and calls.rows[row].focused, row
        assert not calls.back.focused
        qtbot.keyClick(window, Qt.Key.Key_Down)
    assert calls.back.focused and not any(r.focused and r.isVisible() for r in calls.rows)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert kiosk.navigator.view.screen is Screen.LEADER
    kiosk.navigator.open_leader_calls()
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert kiosk.navigator.view.notice == "call_no_server"
    # "Nobody answered": 의견 남기기 in the ring (Enter presses it), the arrows reach
    # the home button and back; key 1 presses 의견 남기기 (the message tile's press).
    visit(kiosk, "call")
    kiosk.navigator.show_not_ready("call_unavailable")
    call = window.call
    assert call is not None and call.leave_message.focused
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert call.home.focused and not call.leave_message.focused
    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert call.leave_message.focused
    open_messages(kiosk)
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert kiosk.navigator.view.screen is Screen.MESSAGE
    assert window.stack.currentWidget() is window.message
    leave(kiosk)
    # In a call: Up and Down make the far side louder and quieter, Enter hangs up.
    asked: list[object] = []
    monkeypatch.setattr(CallDesk, "change_volume", lambda desk, delta: asked.append(delta))
    monkeypatch.setattr(CallDesk, "hang_up", lambda desk: asked.append("hang up"))
    visit(kiosk, "call")
    assert call is not None
    call.show_call(CallView(Phase.IN_CALL, "남원시청 복지과", since=call.desk.now()))
    for key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Return):
        qtbot.keyClick(window, key)
    assert asked == [10, -10, "hang up"]
    leave(kiosk)
    # The alert's one control, 확인, answers Enter (and is always in the ring).
    visit(kiosk, "alert")
    clock.now += ALERT_SETTLE_S
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
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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
    texts = [t for t in (button.label, button.sub_label, button.badge) if t]
    assert [text for text, *_ in button.drawn] == texts
    body = QRectF(button.rect())
    for index, (text, font, rect, flags) in enumerate(button.drawn):
        floor = label_floor if index == 0 else text_floor
        assert font.pixelSize() >= floor, (where, text, font.pixelSize(), floor)
        needed = QFontMetricsF(font).boundingRect(rect, flags, text)
        assert needed.width() <= rect.width() + 0.01, (where, text, "too wide", needed, rect)
        assert needed.height() <= rect.height() + 0.01, (where, text, "cut", needed, rect)
        assert body.contains(rect), (where, text, "outside the tile", rect, body)
    # From the top: the badge, the label, the English line; none over another.
    rects = sorted((rect for *_, rect, _ in button.drawn), key=lambda rect: rect.top())
    for upper, lower in itertools.pairwise(rects):
        assert upper.bottom() <= lower.top() + 0.01, (where, "texts overlap", upper, lower)


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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


def assert_text_fits(where: str, text: str, font: QFont, rect: QRectF, flags: int) -> None:
    """*text* laid out in *rect* with *font* and *flags*, as the painter does, lies
    wholly inside *rect*: no line cut at the top or bottom, no word past the sides."""
    needed = QFontMetricsF(font).boundingRect(rect, flags, text)
    assert needed.width() <= rect.width() + 0.01, (where, text, "too wide", needed, rect)
    assert needed.height() <= rect.height() + 0.01, (where, text, "cut", needed, rect)


def label_flags(label: QLabel) -> int:
    """The flags QLabel draws its plain text with."""
    flags = int(label.alignment().value)
    return flags | int(Qt.TextFlag.TextWordWrap.value) if label.wordWrap() else flags


PAINT_NO_TEXT = {"VideoSurface", "MessagePage", "CallPage", "Pictures", "NoticesPage"}
"""Painted widgets of the kiosk that draw no text (the others record what they draw).
The call's pictures draw "나" over the centre's own picture, which no audited call has."""


def shown_widgets(window: QWidget) -> list[QWidget]:
    return [w for w in window.findChildren(QWidget) if w.isVisible()]


def assert_window_fits(window: QWidget, size: tuple[int, int], name: str) -> None:
    """The window has the size asked for; every widget it shows lies inside its parent;
    every text it shows is whole and no smaller than :data:`MIN_TEXT_PX` (tile labels:
    :data:`MIN_LABEL_PX`), scaled."""
    height = size[1]
    assert window.size().toTuple() == size, (name, "the window is not the size asked for")
    floor = MIN_TEXT_PX * height / 1080 - 1
    texts = 0
    for widget in shown_widgets(window):
        where = f"{name}: {type(widget).__name__} {widget.accessibleName()!r}"
        parent = widget.parentWidget()
        assert parent is not None
        inside = QRect(QPoint(0, 0), parent.size()).contains(widget.geometry())
        assert inside, (where, "outside its parent", widget.geometry(), parent.size())
        if isinstance(widget, QLabel) and widget.text():
            assert widget.font().pixelSize() >= floor, (where, widget.text(), "small")
            rect = QRectF(widget.contentsRect())
            assert_text_fits(where, widget.text(), widget.font(), rect, label_flags(widget))
            texts += 1
        if isinstance(widget, VideoList):
            # Titles scroll up and down, never sideways; each is whole in its row.
            assert not widget.horizontalScrollBar().isVisible(), (where, "scrolls sideways")
            view = QRectF(widget.viewport().rect())
            assert widget.font().pixelSize() >= floor, (where, "small")
            flags = int(Qt.AlignmentFlag.AlignVCenter.value | Qt.TextFlag.TextWordWrap.value)
            for row in range(widget.count()):
                rect, text = widget.text_rect(row), widget.item(row).text()
                assert view.left() <= rect.left() and rect.right() <= view.right(), (where, text)
                assert_text_fits(where, text, widget.font(), rect, flags)
                texts += 1
        if isinstance(widget, TileButton):
            label_floor = MIN_LABEL_PX * height / 1080 - 1
            assert_tile_texts_fit(widget, label_floor, floor)
            texts += len(widget.drawn)
            continue
        drawn: list[DrawnText] | None = getattr(widget, "drawn", None)
        painter = type(widget)
        if painter.__module__.startswith("kiosk.ui") and "paintEvent" in vars(painter):
            assert drawn is not None or painter.__name__ in PAINT_NO_TEXT, (where, "unaudited")
            assert drawn or drawn is None, (where, "shown but drew nothing", widget.size())
        body = QRectF(widget.rect())
        for text, font, rect, flags in drawn or []:
            assert font.pixelSize() >= floor, (where, text, "small", font.pixelSize())
            assert body.contains(rect), (where, text, "outside the control", rect, body)
            assert_text_fits(where, text, font, rect, flags)
            texts += 1
        for first, second in itertools.combinations(drawn or [], 2):
            one, two = (QFontMetricsF(f).boundingRect(r, fl, t) for t, f, r, fl in (first, second))
            assert not one.intersects(two), (where, "texts overlap", first[0], second[0])
    assert texts, (name, "no text checked")


def assert_layout_fits(widget: QWidget, name: str, at_width: bool = True) -> None:
    """*widget*'s layout needs no more room than *widget* has, and (*at_width*) not at its
    width either: words wrapped to the width can need more lines than the minimum size
    assumes."""
    least, layout = widget.minimumSizeHint(), widget.layout()
    where = (name, type(widget).__name__)
    assert least.width() <= widget.width(), (where, "too wide", least, widget.size())
    assert least.height() <= widget.height(), (where, "too tall", least, widget.size())
    if at_width and layout is not None and layout.hasHeightForWidth():
        tall = layout.minimumHeightForWidth(widget.width())
        assert tall <= widget.height(), (where, "too tall at its width", tall, widget.size())


def assert_screen_fits(window: KioskWindow, size: tuple[int, int], name: str) -> None:
    """The kiosk's window fits (see :func:`assert_window_fits`), its theme is for its
    height, and the page it shows needs no more room than the window gives it."""
    assert window.theme.height == size[1], (name, "the theme is not for this height")
    # The bars and the stack; Qt asks the stack's height at the width for its preferred
    # size, whatever its size policy says, so that is asked of the page itself.
    assert_layout_fits(window, name, at_width=False)
    page = window.stack.currentWidget()
    assert page.size() == window.stack.size()
    assert_layout_fits(page, name)
    assert_window_fits(window, size, name)


def settle(window: QWidget) -> None:
    """Let Qt do what it put off: layout requests (posted events) and item views' layouts
    (zero timers); then paint, so that each control records its texts."""
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    window.grab()


def show_state(kiosk: Kiosk, wall: WallClock, name: str) -> None:
    """Show a screen (see :func:`visit`), or one of these states of one:

    - ``home_soon``, ``home_running``: the timetable's banner before and during a class;
    - ``home_problem``: the status strip saying the settings need a look, devices missing;
    - ``leader_busy``: the leader's page with a download going and failed ones;
    - ``leader_pin_wrong``: the keypad after a wrong PIN;
    - ``leader_calls_many``, ``leader_calls_none``: the leader's contacts, two pages of
      the longest names, and none (no call server);
    - ``call_talking``: a call under way with the longest name, its connection unsteady;
    - ``call_meeting``: a town meeting, alone in it so far;
    - ``call_unanswered``: nobody answered a senior's call: 의견 남기기 offered;
    - ``call_alert``: a call ringing with an alert's banner (the longest text);
    - ``alert_picture``, ``alert_longest``: an alert beside its picture, and the longest,
      whose text takes the picture's room;
    - ``alert_caution``, ``alert_info_more``: an alert with its English line, one with
      another waiting behind it;
    - ``notices_many``, ``notices_none``: a list of two pages, and no notices today;
    - ``notice_picture``: the demo's notice with a picture (its English title under it;
      the picture gives way where the text would not stay large beside it).
    """
    if name.startswith("home_"):
        if name == "home_problem":
            kiosk.status.update(
                config_problem="revision 9 refused", camera=Level.MISSING, speaker=Level.MISSING
            )
        else:
            wall.set(9, 52) if name == "home_soon" else wall.set(10, 5)
            kiosk.tick()
            assert kiosk.window.banner.isVisible(), name
        kiosk.navigator.go_home()
    elif name == "leader_busy":
        title = "건강체조 2부 — 허리와 다리"
        errors = (f"{title}: connection reset by peer", "시청 방송 (녹화): checksum mismatch")
        progress = Progress(5, 2, 900, 300, current=title, errors=errors)
        kiosk.status.update(downloads=progress)
        visit(kiosk, "leader")
    elif name in ("leader_calls_many", "leader_calls_none"):
        english = kiosk.strings.language == "en"
        many = with_contacts(kiosk.loaded.config, *LONG_CONTACTS, server=name.endswith("many"))
        kiosk.navigator.reconfigure(many)
        visit(kiosk, "leader_calls")
        page = kiosk.window.leader_calls
        assert page.empty.isVisible() is name.endswith("none"), name
        if not page.empty.isVisible():
            assert page.list.pager.isVisible(), "two pages"
            longest = LONG_CONTACTS[0].label_en if english else LONG_CONTACTS[0].label
            assert page.rows[1].text() == longest
    elif name == "leader_pin_wrong":
        visit(kiosk, "leader_pin")
        for key in ("9", "9", "ok"):
            kiosk.window.pin.press(key)
    elif name == "call_talking":
        visit(kiosk, "call")
        call = kiosk.window.call
        assert call is not None
        since = call.desk.now() - 754
        call.show_call(
            CallView(Phase.IN_CALL, LONG_CONTACTS[0].label, notice=Notice.UNSTEADY, since=since)
        )
    elif name == "call_meeting":
        visit(kiosk, "call")
        call = kiosk.window.call
        assert call is not None
        since = call.desk.now() - 754
        call.show_call(CallView(Phase.IN_ROOM, "군민 회의", notice=Notice.ALONE, since=since))
    elif name == "call_unanswered":
        visit(kiosk, "call")
        kiosk.navigator.show_not_ready("call_unavailable")  # as the call screens do
        assert kiosk.window.call is not None and kiosk.window.call.leave_message.isVisible()
    elif name == "call_alert":
        visit(kiosk, "call")
        send_alert(kiosk, AlertLevel.EMERGENCY, LONGEST)
    elif name in ("alert_picture", "alert_longest"):
        leave(kiosk)
        text = LONGEST if name == "alert_longest" else ""
        send_alert(kiosk, AlertLevel.EMERGENCY, text, picture=PICTURE.read_bytes())
        settle(kiosk.window)
        assert kiosk.window.alert.picture_shown is (name == "alert_picture"), name
    elif name == "alert_caution":
        leave(kiosk)
        send_alert(kiosk, AlertLevel.CAUTION, text_en="Heat wave: stay indoors from noon to 5 pm.")
    elif name == "alert_info_more":
        leave(kiosk)
        send_alert(kiosk, AlertLevel.INFO)
        send_alert(kiosk, AlertLevel.INFO)
    elif name == "notices_many":
        leave(kiosk)
        for _ in range(6):
            send_alert(kiosk, AlertLevel.INFO, LONGEST)
        leave(kiosk)
        visit(kiosk, "notices")
        assert kiosk.window.notices_page.pager.isVisible()
    elif name == "notices_none":
        wall.now += dt.timedelta(hours=2)  # the alerts of today expired
        kiosk.parts.alerts.tick()
        config = kiosk.loaded.config
        kiosk.parts.notices.notices.reconfigure(msgspec.structs.replace(config, notices=[]))
        visit(kiosk, "notices")
        assert kiosk.window.notices_page.empty.isVisible()
    elif name == "notice_picture":
        kiosk.parts.notices.notices.reconfigure(kiosk.loaded.config)  # after notices_none
        visit(kiosk, "notice")  # its picture beside it where the text still fits large
    else:
        visit(kiosk, name)
    assert kiosk.navigator.view.screen.value == AUDITED[name]


AUDITED = {name: name for name in SCREENS} | {
    "home_soon": "home",
    "home_running": "home",
    "home_problem": "home",
    "leader_busy": "leader",
    "leader_pin_wrong": "leader_pin",
    "leader_calls_many": "leader_calls",
    "leader_calls_none": "leader_calls",
    "call_talking": "call",
    "call_alert": "call",
    "call_meeting": "call",
    "call_unanswered": "not_ready",
    "alert_picture": "alert",
    "alert_longest": "alert",
    "alert_caution": "alert",
    "alert_info_more": "alert",
    "notices_many": "notices",
    "notices_none": "notices",
    "notice_picture": "notice",
}
"""Every screen, and the states of them that show the most text (by the screen they are)."""


@pytest.mark.allow_warnings
@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_every_screen_fits_a_window_of_every_size(
    build: BuildKiosk,
    demo_config: KioskConfig,
    language: str,
    size: tuple[int, int],
    player: Player,
    wall: WallClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A page that needs more room than the screen has must fail here, not push the
    window past the screen's edge (where a full-screen kiosk would cut it off)."""
    kiosk = build(demo_config, size, language=language, player=player)
    problems = []
    for name in AUDITED:
        show_state(kiosk, wall, name)
        settle(kiosk.window)
        try:
            assert_screen_fits(kiosk.window, size, name)
        except AssertionError as problem:  # every screen's first problem, not just one
            problems.append(str(problem).splitlines()[0])
        leave(kiosk)
    assert not problems, "\n".join(problems)
    loud = {r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING}
    assert loud == {"wrong PIN (1 of 5)"}, "only the wrong PIN typed on purpose"


@pytest.mark.parametrize("defaults", [True, False], ids=["shipped", "not-shipped"])
@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_the_enrolment_screen_fits_a_window_of_every_size(
    qtbot: QtBot, paths: Paths, language: str, size: tuple[int, int], defaults: bool
) -> None:
    """The technician's screen of a box not enrolled yet, with its longest message."""
    if defaults:
        shipped = {"server": "https://config.example", "centre_prefix": "namwon-", "digits": 3}
        (paths.etc / "enrolment.json").write_text(json.dumps(shipped))
        (paths.etc / "root.json").write_bytes(b"{}")
    strings = Strings("en" if language == "en" else "ko")
    theme = Theme(builtin_config().display, 1080, paths.assets / "icons")
    window = EnrolmentWindow(paths, load_defaults(paths), strings, theme)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.message.setText(strings["enrol_unreachable"])
    settle(window)
    assert window.theme.height == size[1]
    assert_layout_fits(window, "enrolment")
    assert_window_fits(window, size, "enrolment")


def designed_px(widget: QWidget, theme: Theme) -> list[int]:
    """The sizes a control's texts are designed at (before any fitting to the room)."""
    if isinstance(widget, KeyButton):
        return [widget.font().pixelSize()]
    if isinstance(widget, HomeButton):
        return [theme.font("button").pixelSize()]
    if isinstance(widget, ScheduleBanner):
        return [theme.font("status").pixelSize(), theme.font("detail").pixelSize()]
    if isinstance(widget, ConfirmButton):
        return [theme.px(120)]
    return []


@pytest.mark.allow_warnings
@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1920x1080", "3840x2160"])
def test_on_large_screens_nothing_is_smaller_than_designed(
    build: BuildKiosk,
    demo_config: KioskConfig,
    language: str,
    size: tuple[int, int],
    player: Player,
    wall: WallClock,
) -> None:
    """Fitting to small screens must not cost the seniors anything at 1080 lines and up:
    buttons, the banner and the header draw their words at their full size."""
    kiosk = build(demo_config, size, language=language, player=player)
    window, theme = kiosk.window, kiosk.window.theme
    for name in AUDITED:
        show_state(kiosk, wall, name)
        settle(window)
        for widget in shown_widgets(window):
            drawn: list[DrawnText] = getattr(widget, "drawn", [])
            designed = designed_px(widget, theme)
            if designed:
                sizes = [font.pixelSize() for _, font, _, _ in drawn]
                assert sorted(sizes) == sorted(designed), (name, widget.accessibleName())
        header = window.header
        if header.isVisible():
            assert header.centre.font().pixelSize() == theme.font("header").pixelSize()
            assert header.date.isVisible(), name
            assert header.date.font().pixelSize() == theme.font("clock").pixelSize()
        leave(kiosk)
    # Keys as tall as before at least: the PIN keypad's (120 at 1080 lines).
    visit(kiosk, "leader_pin")
    settle(window)
    assert min(key.height() for key in window.pin.keys.values()) >= theme.px(120)


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_a_long_centre_name_leaves_the_time_whole(
    build: BuildKiosk, language: str, size: tuple[int, int]
) -> None:
    """The longest name the schema allows: the date gets smaller, then gives way; the
    time keeps its size and nothing in the header is cut."""
    doc = json.loads(DEMO_CONFIG.read_text())
    doc["centre"]["name"] = "남원시 향교동 제12 경로당 어르신 쉼터 (노인회 분회 사무실 옆 건물)"
    kiosk = build(parse_config(json.dumps(doc).encode()), size, language=language)
    settle(kiosk.window)
    assert_screen_fits(kiosk.window, size, "home")
    header, theme = kiosk.window.header, kiosk.window.theme
    assert header.time.font().pixelSize() == theme.font("clock").pixelSize()
    assert len(header.centre.text()) == 40


# --- the far side large (issue 15) ------------------------------------------------

FAR_SIDE = (200, 40, 40)
OTHER_CENTRES = [(40, 160, 60), (40, 70, 210), (210, 170, 30), (150, 40, 200)]
"""The host's (or caller's) picture and four other centres', each one colour."""
PICTURE_SIZES = [(640, 480), (1280, 720)]
"""What city hall and the centres send: 4:3 webcams and 16:9 ones."""


class FarSides:
    """Stands in for the far sides' pictures the call desk hands the call screen."""

    def __init__(self) -> None:
        self.frames: list[object] = []

    def show(self, size: tuple[int, int], colours: list[tuple[int, int, int]]) -> None:
        self.frames = [paint_bars(size, [colour]) for colour in colours]


@pytest.fixture
def far_sides(monkeypatch: pytest.MonkeyPatch) -> FarSides:
    """Every call desk built from now on gives these pictures as its far sides."""
    sides = FarSides()
    monkeypatch.setattr(CallDesk, "remote_frames", lambda desk: sides.frames)
    return sides


def extent(image: QImage, colour: tuple[int, int, int]) -> QRect | None:
    """Where *colour* is on *image*: its bounding box, found on a grid of 4 px and then
    exact along the box's middle column and row."""

    def has(x: int, y: int) -> bool:
        pixel = image.pixelColor(x, y)
        return near((pixel.red(), pixel.green(), pixel.blue()), colour)

    step = 4
    hits = [
        (x, y)
        for y in range(0, image.height(), step)
        for x in range(0, image.width(), step)
        if has(x, y)
    ]
    if not hits:
        return None
    xs, ys = [x for x, _ in hits], [y for _, y in hits]
    middle_x = (min(xs) + max(xs)) // 2
    middle_y = (min(ys) + max(ys)) // 2
    top, bottom, left, right = min(ys), max(ys), min(xs), max(xs)
    while top > 0 and has(middle_x, top - 1):
        top -= 1
    while bottom < image.height() - 1 and has(middle_x, bottom + 1):
        bottom += 1
    while left > 0 and has(left - 1, middle_y):
        left -= 1
    while right < image.width() - 1 and has(right + 1, middle_y):
        right += 1
    return QRect(QPoint(left, top), QPoint(right, bottom))


def talking(kiosk: Kiosk, phase: Phase, who: str) -> QImage:
    """The call screen in *phase* (a call, a meeting), as the window shows it."""
    visit(kiosk, "call")
    call = kiosk.window.call
    assert call is not None
    call.show_call(CallView(phase, who, since=call.desk.now() - 754))
    settle(kiosk.window)
    return kiosk.window.grab().toImage()


@pytest.mark.parametrize("picture", PICTURE_SIZES, ids=["4x3", "16x9"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_the_far_side_takes_three_quarters_of_the_height_in_a_call(
    build: BuildKiosk,
    demo_config: KioskConfig,
    far_sides: FarSides,
    size: tuple[int, int],
    picture: tuple[int, int],
) -> None:
    """City hall's face, not a stamp: at least 75 % of the screen's height, whole (the
    controls beside it or over its edge leave its middle free), with the hang-up
    button and the call's length on the screen too."""
    far_sides.show(picture, [FAR_SIDE])
    kiosk = build(demo_config, size)
    image = talking(kiosk, Phase.IN_CALL, LONG_CONTACTS[0].label)
    assert_screen_fits(kiosk.window, size, "call")  # the longest name whole beside it too
    box = extent(image, FAR_SIDE)
    assert box is not None
    assert box.height() >= 0.75 * size[1], (box, size)
    aspect = picture[0] / picture[1]
    assert box.width() >= 0.97 * box.height() * aspect, ("cut or squeezed", box)
    call = kiosk.window.call
    assert call is not None
    shown = [w for w in call.findChildren(KeyButton) if w.isVisible()]
    assert {b.text() for b in shown} >= {"끊기", "소리 크게", "소리 작게"}
    assert any("12:34" in label.text() for label in shown_widgets_of(call, QLabel))


@pytest.mark.parametrize("picture", PICTURE_SIZES, ids=["4x3", "16x9"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_in_a_meeting_the_host_is_large_and_four_centres_small_beside(
    build: BuildKiosk,
    demo_config: KioskConfig,
    far_sides: FarSides,
    size: tuple[int, int],
    picture: tuple[int, int],
) -> None:
    far_sides.show(picture, [FAR_SIDE, *OTHER_CENTRES])
    kiosk = build(demo_config, size)
    image = talking(kiosk, Phase.IN_ROOM, "군민 회의")
    assert_screen_fits(kiosk.window, size, "meeting")
    host = extent(image, FAR_SIDE)
    assert host is not None
    assert host.height() >= 0.75 * size[1], (host, size)
    for colour in OTHER_CENTRES:
        small = extent(image, colour)
        assert small is not None, colour
        assert not small.intersects(host), ("over the host", colour, small, host)
        assert small.height() >= size[1] / 10, ("too small to see", colour, small)
        assert small.height() < host.height() / 2, colour


def shown_widgets_of(parent: QWidget, kind: type[QLabel]) -> list[QLabel]:
    return [w for w in parent.findChildren(kind) if w.isVisible() and w.text()]
