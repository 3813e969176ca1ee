"""Numbered rows, a page of them at a time: today's notices and the leader's contacts.

Each row carries its number (the remote's number key presses it) and the ring while
the navigator's focus is on it. A list longer than its room shows the page the ring
is on, and an outlined last row that turns the page (for touch; keys just move on).
"""

from collections.abc import Callable

from kiosk.ui.alert import WRAPPED_LEFT, fit_and_draw
from kiosk.ui.paint import DrawnText, draw_focus_ring, text_block
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QLabel,
    QPainter,
    QPaintEvent,
    QPen,
    QRectF,
    QResizeEvent,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme

ROW_PX = 124
"""Height of a row, at 1080 lines."""
GAP_PX = 12


class NumberedRow(QAbstractButton):
    """One row of a list: its number, its title (one or two lines, whole), and a pill
    ("새") if it has one; the ring when the navigator's focus is on it."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.number = ""
        self.fill, self.ink = "#334155", "#FFFFFF"
        self.new = ""
        self.focused = False
        self.outlined = False
        """Drawn as an outline (the row that turns the page), not as an entry."""
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def show_row(self, number: str, title: str, colours: tuple[str, str], new: str) -> None:
        self.number, self.new = number, new
        self.fill, self.ink = colours
        self.setText(title)
        self.setAccessibleName(f"{number} {title}".strip())
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme, px = self.theme, self.theme.px
        ring = theme.focus_width
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect())
        body = outer.adjusted(ring, ring, -ring, -ring)
        fill = QColor(self.fill)
        painter.setPen(QPen(QColor(self.ink), px(4)) if self.outlined else Qt.PenStyle.NoPen)
        painter.setBrush(fill.darker(130) if self.isDown() else fill)
        painter.drawRoundedRect(body, px(20), px(20))
        if self.focused:
            draw_focus_ring(painter, outer, theme.accent, ring)
        self.drawn = []
        smallest = px(MIN_TEXT_PX)
        inner = body.adjusted(px(24), px(6), -px(24), -px(6))
        painter.setPen(QColor(self.ink))
        if self.number:
            # The number in a disc: the key on the remote that presses the row.
            font = theme.font("detail")
            disc = QRectF(inner.left(), 0, px(84), px(84))
            disc.moveCenter(QRectF(inner.left(), inner.top(), px(84), inner.height()).center())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.ink))
            painter.drawEllipse(disc)
            painter.setPen(QColor(self.fill))
            centre = int(Qt.AlignmentFlag.AlignCenter)
            fit_and_draw(painter, disc, centre, self.number, font, smallest, self.drawn)
            painter.setPen(QColor(self.ink))
            inner.setLeft(disc.right() + px(28))
        if self.new:
            font = theme.font("status")
            width = text_block(self.new, font, 1e6, wrap=False).width() + px(36)
            pill = QRectF(inner.right() - width, 0, width, px(64))
            pill.moveCenter(QRectF(pill.left(), inner.top(), width, inner.height()).center())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.accent)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(theme.background)
            centre = int(Qt.AlignmentFlag.AlignCenter)
            fit_and_draw(painter, pill, centre, self.new, font, smallest, self.drawn)
            painter.setPen(QColor(self.ink))
            inner.setRight(pill.left() - px(24))
        fit_and_draw(
            painter,
            inner,
            int(WRAPPED_LEFT),
            self.text(),
            theme.font("button"),
            smallest,
            self.drawn,
        )
        painter.end()


RowFiller = Callable[[int, NumberedRow], None]
"""Shows entry *index* of the list in *row* (its number, title and colours)."""


class PagedRows:
    """The rows of one list on *parent*, the page the ring is on, and the pager row.

    *on_press* gets the index of a row pressed; *on_focus* the first row of the page
    the pager turns to (the navigator moves its ring there)."""

    def __init__(
        self,
        parent: QWidget,
        theme: Theme,
        on_press: Callable[[int], object],
        on_focus: Callable[[int], object],
    ) -> None:
        self.parent = parent
        self.theme = theme
        self._on_press = on_press
        self._on_focus = on_focus
        self.rows: list[NumberedRow] = []
        self.pager = NumberedRow(theme, parent)
        self.pager.clicked.connect(self._turn_page)
        self.first = 0
        """The first row on the page shown."""
        self._shown = 1
        self._count = 0

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for row in (*self.rows, self.pager):
            row.theme = theme

    def per_page(self, room: int) -> int:
        """How many rows fit in *room* pixels down."""
        return max(1, int(room // self.theme.px(ROW_PX + GAP_PX)))

    def place(
        self,
        count: int,
        focus: int,
        area: tuple[int, int, int, int],
        fill: RowFiller,
        more: str,
    ) -> None:
        """*count* rows in *area* (left, top, width, height), the ring on row *focus*
        (``count``: none of them); *more* is the pager's words, with ``{page}`` and
        ``{pages}``."""
        px = self.theme.px
        left, top, width, room = area
        while len(self.rows) < count:
            row = NumberedRow(self.theme, self.parent)
            index = len(self.rows)
            row.clicked.connect(lambda _=False, i=index: self._on_press(i))
            self.rows.append(row)
        self._count = count
        per_page = self.per_page(room)
        paged = count > per_page
        shown = max(per_page - 1 if paged else per_page, 1)
        self.first = (max(min(focus, count - 1), 0) // shown) * shown
        step = px(ROW_PX + GAP_PX)
        for index, row in enumerate(self.rows):
            visible = index < count and self.first <= index < self.first + shown
            row.setVisible(visible)
            if not visible:
                continue
            fill(index, row)
            row.focused = index == focus
            row.setGeometry(left, top + (index - self.first) * step, width, px(ROW_PX))
        self.pager.setVisible(paged)
        if paged:
            pages = (count + shown - 1) // shown
            text = more.format(page=self.first // shown + 1, pages=pages)
            colours = (self.theme.display.background, self.theme.display.text)
            self.pager.show_row("", text, colours, "")
            self.pager.outlined = True
            self.pager.focused = False
            self.pager.setGeometry(left, top + shown * step, width, px(ROW_PX))
        self._shown = shown

    def _turn_page(self) -> None:
        """The ring to the next page's first row (after the last page, the first's)."""
        following = self.first + self._shown
        self._on_focus(following if following < self._count else 0)


class ListPage(QWidget):
    """A page of a title over numbered rows (or, with none, a label saying why), on the
    theme's background. Subclasses add their controls below and lay it all out in
    :meth:`_place`, called whenever the size or the theme changes."""

    def __init__(
        self,
        title: str,
        theme: Theme,
        on_press: Callable[[int], object],
        on_focus: Callable[[int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.theme = theme
        self.title = QLabel(title, self)
        self.empty = QLabel(self)
        for label in (self.title, self.empty):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.list = PagedRows(self, theme, on_press, on_focus)
        self.rows = self.list.rows
        self.pager = self.list.pager

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.title.setFont(theme.font("title"))
        self.empty.setFont(theme.font("detail"))
        for label in (self.title, self.empty):
            label.setStyleSheet(f"color: {theme.display.text}; background: transparent;")
        self.list.set_theme(theme)
        self._place()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        self._place()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.theme.background)
        painter.end()

    def _place(self) -> None:
        """Lay the page out for its size and theme."""
        raise NotImplementedError
