"""Today's notices (오늘의 안내): the list, and one notice large.

The pages show what :class:`kiosk.notices.TodaysNotices` lists and where the
navigator's ring is (:attr:`kiosk.navigation.View.entry`), and forward presses.
Rows carry their number: the remote's number keys open them. A list longer than
the screen holds shows the page the ring is on, and a row that turns the page.
"""

import datetime as dt
from collections.abc import Callable, Sequence

from kiosk.i18n import Strings
from kiosk.notices import Entry
from kiosk.ui.alert import (
    PALETTES,
    draw_picture,
    first_words,
    fit_and_draw,
    fit_pair,
    level_word,
    load_picture,
    pair_size,
)
from kiosk.ui.buttons import KEY_COLOUR, KeyButton
from kiosk.ui.pages import HomeButton
from kiosk.ui.paint import DrawnText, text_block
from kiosk.ui.qt import (
    QColor,
    QImage,
    QPainter,
    QPaintEvent,
    QRectF,
    QResizeEvent,
    Qt,
    QWidget,
)
from kiosk.ui.rows import ListPage, NumberedRow
from kiosk.ui.theme import MIN_TEXT_PX, Theme

ROW_COLOUR = "#334155"
"""A notice's row (white text on it: 10:1); an alert's row has its level's colours."""
TITLE_PX = 120
PICTURE_SHARE = 0.34
"""The most of a notice's width its picture takes."""
LARGE_WITH_PICTURE_PX = 64
"""A notice's picture is shown only while its text still fits this large beside it (at
1080 lines): the words matter more than the picture."""
HOME_PX = 180


def entry_title(strings: Strings, entry: Entry, zone: dt.tzinfo | None) -> str:
    """A notice's title in the screen's language, or an alert's: its level and time."""
    if entry.level is None:
        return entry.title_en if strings.language == "en" and entry.title_en else entry.title
    when = strings.time(dt.datetime.fromtimestamp(entry.issued_at, zone))
    return strings["notices_alert_title"].format(level=level_word(strings, entry.level), time=when)


def row_title(strings: Strings, entry: Entry, zone: dt.tzinfo | None) -> str:
    """The row's words: a notice's title; an alert's level and its first words (alerts
    have no title, and two of the same level and hour would read alike)."""
    if entry.level is None:
        return entry_title(strings, entry, zone)
    return strings["notices_alert_row"].format(
        level=level_word(strings, entry.level), text=first_words(entry.text, SUMMARY_CHARS)
    )


SUMMARY_CHARS = 18


def entry_colours(entry: Entry) -> tuple[str, str]:
    """Fill and text colour of *entry*'s row and title band."""
    if entry.level is None:
        return ROW_COLOUR, "#FFFFFF"
    palette = PALETTES[entry.level]
    return palette.fill, palette.text


class NoticesPage(ListPage):
    """Today's list, or "오늘은 안내가 없습니다"; the home button below."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        zone: Callable[[], dt.tzinfo | None],
        on_open: Callable[[int], object],
        on_focus: Callable[[int], object],
        on_home: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        """*on_open*: a row was pressed; *on_focus*: the ring goes to a row (turning the
        page); *on_home*: 처음으로."""
        super().__init__(strings["notices_title"], theme, on_open, on_focus, parent)
        self.strings = strings
        self._zone = zone
        self.entries: list[Entry] = []
        self.unseen: set[str] = set()
        self.focus = 0
        self.empty.setText(f"{strings['notices_none']}\n{strings['notices_none_detail']}")
        self.home = HomeButton(strings["home_button"], theme, self)
        self.home.clicked.connect(on_home)
        self.set_theme(theme)

    def show_list(self, entries: Sequence[Entry], focus: int, unseen: set[str]) -> None:
        """*entries* with the ring on row *focus* (``len(entries)``: the home button)."""
        self.entries, self.focus, self.unseen = list(entries), focus, unseen
        self._place()

    def per_page(self) -> int:
        """How many rows fit between the title and the home button."""
        return self.list.per_page(self._list_bottom() - self._list_top())

    def set_theme(self, theme: Theme) -> None:
        self.home.theme = theme
        super().set_theme(theme)

    # --- internals ---------------------------------------------------------------

    def _list_top(self) -> int:
        return self.theme.px(10) + self.theme.px(TITLE_PX)

    def _list_bottom(self) -> int:
        return self.height() - self.theme.px(20) - self.theme.px(HOME_PX) - self.theme.px(16)

    def _place(self) -> None:
        px = self.theme.px
        side = px(36)
        width = self.width() - 2 * side
        self.title.setGeometry(side, px(10), width, px(TITLE_PX))
        home_w, home_h = min(px(760), width), px(HOME_PX)
        self.home.setGeometry(
            (self.width() - home_w) // 2, self.height() - px(20) - home_h, home_w, home_h
        )
        count = len(self.entries)
        self.home.focused = self.focus >= count
        self.home.update()
        self.empty.setVisible(count == 0)
        self.empty.setGeometry(
            side, self._list_top(), width, self._list_bottom() - self._list_top()
        )
        top = self._list_top()
        self.list.place(
            count,
            self.focus,
            (side, top, width, self._list_bottom() - top),
            self._show_row,
            self.strings["notices_more"],
        )

    def _show_row(self, index: int, row: NumberedRow) -> None:
        entry = self.entries[index]
        new = self.strings["notices_row_new"] if entry.key in self.unseen else ""
        title = row_title(self.strings, entry, self._zone())
        row.show_row(str(index + 1), title, entry_colours(entry), new)


class NoticePage(QWidget):
    """One notice: its title, its text as large as fits, its picture beside it while
    the text still fits large; the list and home buttons below."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        zone: Callable[[], dt.tzinfo | None],
        on_list: Callable[[], object],
        on_home: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self._zone = zone
        self.entry: Entry | None = None
        self.position = ""
        self.picture: QImage | None = None
        self.picture_shown = False
        """Whether the last paint had room for the picture (read by tests)."""
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self.back = KeyButton(strings["notices_back"], KEY_COLOUR, theme, self)
        self.back.clicked.connect(on_list)
        self.home = HomeButton(strings["home_button"], theme, self)
        self.home.clicked.connect(on_home)
        self.set_theme(theme)

    def show_entry(self, entry: Entry | None, position: int, count: int) -> None:
        if entry != self.entry:
            picture = entry.picture if entry is not None else None
            self.picture = load_picture(picture)
        self.entry = entry
        self.position = self.strings["notice_position"].format(position=position, count=count)
        self.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.back.theme = theme
        self.back.setFont(theme.font("button"))
        self.home.theme = theme
        self._place()
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        self._place()

    def _place(self) -> None:
        px = self.theme.px
        height = px(200)
        top = self.height() - px(20) - height
        home_w = min(px(760), (self.width() - px(36) * 3) * 6 // 10)
        back_w = min(px(560), self.width() - px(36) * 3 - home_w)
        left = (self.width() - home_w - back_w - px(36)) // 2
        self.back.setGeometry(left, top, back_w, height)
        self.home.setGeometry(left + back_w + px(36), top, home_w, height)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme, px, strings = self.theme, self.theme.px, self.strings
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.background)
        self.drawn = []
        entry = self.entry
        if entry is None:
            painter.end()
            return
        smallest = px(MIN_TEXT_PX)
        side = px(36)
        area = QRectF(self.rect()).adjusted(side, px(20), -side, 0)
        fill, ink = entry_colours(entry)
        band = QRectF(area.left(), area.top(), area.width(), px(190))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(band, px(20), px(20))
        painter.setPen(QColor(ink))
        inner = band.adjusted(px(24), px(6), -px(24), -px(6))
        position_font = theme.font("detail", bold=False)
        position_w = text_block(self.position, position_font, 1e6, wrap=False).width() + 2
        spot = QRectF(inner.right() - position_w, inner.top(), position_w, inner.height())
        right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        fit_and_draw(painter, spot, right, self.position, position_font, smallest, self.drawn)
        title = entry_title(strings, entry, self._zone())
        title_rect = inner.adjusted(0, 0, -position_w - px(30), 0)
        english = ""
        if strings.language == "ko" and theme.display.show_english and entry.level is None:
            english = entry.title_en
        fit_pair(painter, title_rect, title, english, theme.font("title"), smallest, self.drawn)
        body = QRectF(
            area.left(),
            band.bottom() + px(24),
            area.width(),
            self.back.y() - band.bottom() - px(48),
        )
        self._draw_body(painter, body, entry)
        painter.end()

    def _draw_body(self, painter: QPainter, body: QRectF, entry: Entry) -> None:
        theme, px = self.theme, self.theme.px
        text = entry.text
        if self.strings.language == "en" and entry.text_en:
            text = entry.text_en
        font = theme.sized_font(px(96))
        beside = body.adjusted(0, 0, -body.width() * PICTURE_SHARE - px(30), 0)
        self.picture_shown = False
        large = px(LARGE_WITH_PICTURE_PX)
        if self.picture is not None and pair_size(beside, text, "", font, large) is not None:
            self.picture_shown = True
            spot = QRectF(
                beside.right() + px(30),
                body.top(),
                body.right() - beside.right() - px(30),
                body.height(),
            )
            draw_picture(painter, self.picture, spot)
            body = beside
        painter.setPen(theme.text)
        top_left = int(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        )
        fit_and_draw(painter, body, top_left, text, font, px(MIN_TEXT_PX), self.drawn)
