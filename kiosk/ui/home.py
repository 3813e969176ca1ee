"""The home screen: a grid of 2–6 huge tiles, in the configured order; above them, while
city hall's call went unanswered, the missed-call notice (:class:`MissedBand`)."""

import math
from collections.abc import Callable, Sequence

from kiosk.i18n import Strings
from kiosk.missed import MissedCalls, NoticeWords, notice_words
from kiosk.navigation import MISSED_CALL, MISSED_OK, grid_shape
from kiosk.ui.buttons import KEY_COLOUR
from kiosk.ui.leader import GREEN
from kiosk.ui.paint import (
    ONE_LINE,
    DrawnText,
    draw_focus_ring,
    draw_icon,
    draw_text,
    largest_fitting,
    text_block,
)
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QFont,
    QFontMetricsF,
    QHBoxLayout,
    QPainter,
    QPaintEvent,
    QPen,
    QRectF,
    QResizeEvent,
    Qt,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme
from kiosk.ui.tile import TileButton
from kiosk_contract.config.model import Tile

BAND_PX = 190
"""The missed-call notice's height at 1080 lines (more only where its words need it)."""
TILE_ROW_PX = 340
"""Each row of tiles keeps at least this height (at 1080 lines): the notice takes only
what is left, so the tiles stay as large as the audit wants and their words whole."""
BUTTONS_SHARE = 0.42
"""The notice's two buttons take at most this share of its width; its words the rest."""
TITLE_PX, DETAIL_PX, BUTTON_PX = 56, 44, 64
"""The notice's words as designed (at 1080 lines); smaller, never under MIN_TEXT_PX,
only where a narrow screen has too little room."""


class NoticeButton(QAbstractButton):
    """전화하기 or 확인 on the missed-call notice: a coloured body, its words on one line
    (with the call picture before them on 전화하기), the focus ring while :attr:`focused`."""

    def __init__(
        self, text: str, colour: str, icon: str, theme: Theme, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setText(text)
        self.setAccessibleName(text)
        self.colour = colour
        self.picture = icon
        self.theme = theme
        self.focused = False
        self.pixel_size = theme.px(BUTTON_PX)
        """The size of its words (the band sets it so both buttons fit its share)."""
        self.drawn: list[DrawnText] = []
        """The text of the last paint (read by accessibility checks)."""
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def _font(self, pixel_size: int) -> QFont:
        return self.theme.sized_font(pixel_size)

    def _body(self, rect: QRectF) -> QRectF:
        inset = self.theme.focus_width + self.theme.px(6)
        return rect.adjusted(inset, inset, -inset, -inset)

    def _picture(self) -> tuple[float, float]:
        """The picture's side and the gap after it (none without a picture)."""
        return (self.theme.px(84), self.theme.px(16)) if self.picture else (0.0, 0.0)

    def width_for(self, pixel_size: int) -> float:
        """The width it needs for its words at *pixel_size* (and its picture)."""
        words = text_block(self.text(), self._font(pixel_size), 1e6, wrap=False).width()
        inset = self.theme.focus_width + self.theme.px(6)
        return words + sum(self._picture()) + 2 * (self.theme.px(28) + inset)

    def set_focused(self, focused: bool) -> None:
        if focused != self.focused:
            self.focused = focused
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme = self.theme
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect())
        body = self._body(outer)
        colour = QColor(self.colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour.darker(130) if self.isDown() else colour)
        radius = theme.px(22)
        painter.drawRoundedRect(body, radius, radius)
        if self.focused:
            draw_focus_ring(painter, outer, theme.accent, theme.focus_width)
        pad = theme.px(28)
        inner = body.adjusted(pad, 0, -pad, 0)
        font = self._font(self.pixel_size)
        words = text_block(self.text(), font, 1e6, wrap=False).width()
        picture, gap = self._picture()
        left = inner.left() + max(0.0, (inner.width() - words - picture - gap) / 2)
        if self.picture:
            spot = QRectF(left, body.center().y() - picture / 2, picture, picture)
            draw_icon(painter, theme.icon(self.picture), spot)
        painter.setPen(theme.text)
        painter.setFont(font)
        text_rect = QRectF(left + picture + gap, body.top(), words, body.height())
        self.drawn = []
        draw_text(painter, text_rect.intersected(inner), int(ONE_LINE), self.text(), self.drawn)
        painter.end()


class MissedBand(QWidget):
    """ "시청에서 전화했었습니다" with who and when on the left, 전화하기 and 확인 on the right;
    a calm card outlined in the accent colour. Hidden while no call was missed.

    It takes no more height than :attr:`room` (what the tiles leave, see
    :class:`HomeScreen`): its words get smaller where the room is short (never under
    MIN_TEXT_PX). It steps aside while the schedule banner is up: there is no room for
    both above two rows of tiles, and the banner is about now."""

    def __init__(self, strings: Strings, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.words: NoticeWords | None = None
        self.room = float("inf")
        """The most height it may take (set by the home screen)."""
        self.waiting = False
        """Stepped aside for the schedule banner."""
        self.call_back = NoticeButton(strings["missed_call_back"], GREEN, "call", theme, self)
        self.ok = NoticeButton(strings["missed_ok"], KEY_COLOUR, "", theme, self)
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self._lines: list[tuple[str, QFont, QColor]] = []
        """What the next paint draws: each line's text, font and colour."""
        self._words_rect = QRectF()
        self.setAccessibleName(strings["missed_title"])
        self.setFixedHeight(theme.px(BAND_PX))
        self.hide()

    def show_words(self, words: NoticeWords | None) -> None:
        """Show the notice's words; ``None``: hide it."""
        self.words = words
        if words is not None:
            self.setAccessibleDescription(words.detail)
            self._lay_out()
        self._show_or_hide()

    def set_waiting(self, waiting: bool) -> None:
        """The schedule banner is up: the notice steps aside until it goes (the
        navigator's rule too: see :meth:`kiosk.navigation.Navigator.missed_shown`)."""
        self.waiting = waiting
        self._show_or_hide()

    def _show_or_hide(self) -> None:
        self.setVisible(self.words is not None and not self.waiting)

    def set_room(self, room: float) -> None:
        if room != self.room:
            self.room = room
            self._lay_out()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for button in (self.call_back, self.ok):
            button.theme = theme
        self._lay_out()

    def set_focus_index(self, index: int) -> None:
        self.call_back.set_focused(index == MISSED_CALL)
        self.ok.set_focused(index == MISSED_OK)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        if event.size().width() != event.oldSize().width():
            self._lay_out()
        super().resizeEvent(event)

    def _border(self) -> tuple[int, int]:
        """The card's gap from the band's edge, and its outline's width."""
        return self.theme.px(4), self.theme.px(5)

    def _lay_out(self) -> None:
        """The buttons at the right, as large as their share allows; the words in the
        room left, as large as the height allows; the band as tall as they need."""
        theme, words = self.theme, self.words
        width = self.width()
        if width <= 0 or words is None:
            return
        least = theme.px(MIN_TEXT_PX)
        buttons = (self.call_back, self.ok)

        def buttons_fit(size: int) -> bool:
            return sum(math.ceil(b.width_for(size)) for b in buttons) <= width * BUTTONS_SHARE

        size = largest_fitting(buttons_fit, theme.px(BUTTON_PX), least) or least
        # The card's inside: the words from its left, the buttons (each with room for
        # its focus ring) along its right.
        gap, line = self._border()
        inside = gap + line
        left = inside + theme.px(28)
        right = width - inside - theme.px(4)
        buttons_width = sum(math.ceil(b.width_for(size)) for b in buttons)
        across = right - buttons_width - theme.px(16) - left
        edges = 2 * (inside + theme.px(14))
        self._lines = self._two_lines(words, across, self.room - edges)
        needed = sum(text_block(text, font, across).height() for text, font, _ in self._lines)
        height = math.ceil(max(needed + edges, min(float(theme.px(BAND_PX)), self.room)))
        if height != self.height():
            self.setFixedHeight(height)
        # The buttons' words no taller than their bodies.
        body = height - 2 * inside - 2 * (theme.focus_width + theme.px(6)) - theme.px(8)
        while size > least and QFontMetricsF(theme.sized_font(size)).lineSpacing() > body:
            size -= 1
        self._words_rect = QRectF(left, 0, across, height)
        for button in reversed(buttons):
            button_width = math.ceil(button.width_for(size))
            right -= button_width
            button.pixel_size = size
            button.setGeometry(right, inside, button_width, height - 2 * inside)
            button.update()
        self.update()

    def _two_lines(
        self, words: NoticeWords, across: float, room: float
    ) -> list[tuple[str, QFont, QColor]]:
        """The title over who and when, as large as *room* allows (at the least size
        where even that is too tall: the tiles then give a little)."""
        theme = self.theme
        least = theme.px(MIN_TEXT_PX)
        for step in range(theme.px(TITLE_PX) - least + 1):
            title = theme.sized_font(max(least, theme.px(TITLE_PX) - step))
            detail = theme.sized_font(max(least, theme.px(DETAIL_PX) - step), bold=False)
            blocks = [
                text_block(words.title, title, across),
                text_block(words.detail, detail, across),
            ]
            wide = any(block.width() > across for block in blocks)
            if not wide and sum(block.height() for block in blocks) <= room:
                break
        return [(words.title, title, theme.accent), (words.detail, detail, theme.text)]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme = self.theme
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap, line = self._border()
        card = QRectF(self.rect()).adjusted(gap, gap, -gap, -gap)
        painter.setPen(QPen(theme.accent, line))
        painter.setBrush(theme.background)
        radius = theme.px(22)
        painter.drawRoundedRect(
            card.adjusted(line / 2, line / 2, -line / 2, -line / 2), radius, radius
        )
        area = self._words_rect
        blocks = [text_block(text, font, area.width()).height() for text, font, _ in self._lines]
        top = area.top() + (area.height() - sum(blocks)) / 2
        flags = int(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
        )
        self.drawn = []
        for (text, font, colour), block in zip(self._lines, blocks, strict=True):
            painter.setPen(colour)
            painter.setFont(font)
            rect = QRectF(area.left(), top, area.width(), block)
            draw_text(painter, rect, flags, text, self.drawn)
            top = rect.bottom()
        painter.end()


class HomeScreen(QWidget):
    """Lays the tiles out in rows; a press calls *on_press* with the tile's index."""

    def __init__(
        self,
        tiles: Sequence[Tile],
        theme: Theme,
        language: str,
        on_press: Callable[[int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.buttons = [TileButton(tile, theme, language, self) for tile in tiles]
        for index, button in enumerate(self.buttons):
            button.clicked.connect(lambda _=False, i=index: on_press(i))
        self.missed = MissedBand(Strings("en" if language == "en" else "ko"), theme, self)
        """The missed-call notice (see :meth:`attach_missed`)."""
        rows, cols = grid_shape(len(tiles))
        self._rows = rows
        self.theme = theme
        self._column = QVBoxLayout(self)
        self._column.addWidget(self.missed)
        for row in range(rows):
            in_row = self.buttons[row * cols : (row + 1) * cols]
            # A shorter last row keeps the tile width and sits in the middle.
            side = 1 + (cols - len(in_row)) * 5
            line = QHBoxLayout()
            line.addStretch(side)
            for button in in_row:
                line.addWidget(button, 10)
            line.addStretch(side)
            self._column.addLayout(line, 1)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        margin = theme.px(12)
        self._column.setContentsMargins(margin, 0, margin, margin)
        self._column.setSpacing(0)
        for button in self.buttons:
            button.set_theme(theme)
        self.missed.set_theme(theme)
        self._give_room()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        self._give_room()
        super().resizeEvent(event)

    def _give_room(self) -> None:
        """The notice may take what the rows of tiles leave (the schedule banner above
        makes the screen shorter)."""
        theme = self.theme
        tiles = self._rows * theme.px(TILE_ROW_PX)
        self.missed.set_room(max(0.0, float(self.height() - theme.px(12) - tiles)))

    def set_badge(self, action: str, target: str, badge: str) -> None:
        """Put *badge* on the tiles of *action* and *target* (empty: take it off)."""
        for button in self.buttons:
            if button.tile.action == action and button.tile.target == target:
                button.set_badge(badge)

    def set_focus_index(self, index: int) -> None:
        for i, button in enumerate(self.buttons):
            button.set_focused(i == index)
        self.missed.set_focus_index(index)

    def attach_missed(
        self, missed: MissedCalls, press: Callable[[int], object]
    ) -> Callable[[], None]:
        """Show *missed*'s notice above the tiles from now on; its buttons call *press*
        with :data:`MISSED_CALL` or :data:`MISSED_OK` (the navigator's
        ``press_missed``). Returns the callable that stops following it."""
        band = self.missed
        band.call_back.clicked.connect(lambda: press(MISSED_CALL))
        band.ok.clicked.connect(lambda: press(MISSED_OK))

        def show() -> None:
            notice = missed.notice()
            words = None if notice is None else notice_words(band.strings, notice, missed.now())
            band.show_words(words)

        show()
        return missed.subscribe(show)
