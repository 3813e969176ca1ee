"""City hall's question in a meeting, over the whole window.

Renders what :class:`kiosk.fleet.questions.QuestionBoard` says is on screen and
forwards presses to it: the question in large type, one huge coloured button per
answer (keys 1 to 4 press them, arrows move between them, Enter presses the one in
focus), a line saying what happened ("답을 보냈습니다", "질문이 끝났습니다"), and, when
the host shows it, how many centres chose each answer. After the question ends, 확인
(Enter) puts it away.

It is a child of the kiosk's window covering all of it, above every page (the call
page's meeting picture too), shown only while the board has a question on screen.
While shown it takes the keys it uses before anything else (an application-wide event
filter): the senior's keypad must answer the question, not move the screen below.
"""

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.fleet.questions import Note, OnScreen, QuestionBoard
from kiosk.i18n import Strings
from kiosk.ui.alert import CENTRED, fit_and_draw
from kiosk.ui.paint import DrawnText, draw_focus_ring
from kiosk.ui.qt import (
    QApplication,
    QColor,
    QEvent,
    QKeyEvent,
    QMouseEvent,
    QObject,
    QPainter,
    QPaintEvent,
    QRectF,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme
from kiosk_contract.questions import QuestionState


@dataclass(frozen=True)
class Colours:
    """The question screen's colours; every text on its fill reaches at least 7:1."""

    background: str = "#F8FAFC"
    text: str = "#0B1426"
    muted: str = "#1F2937"
    focus: str = "#0B1426"
    chosen: str = "#FFE14D"
    answers: tuple[str, ...] = ("#14532D", "#7F1D1D", "#1E3A8A", "#5B3A0B")
    """Answer 1 green, 2 red, 3 blue, 4 brown: white text on each."""
    answer_text: str = "#FFFFFF"


COLOURS = Colours()
KEYS = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2, Qt.Key.Key_4: 3}
ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
MOVES = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}


class QuestionOverlay(QWidget):
    """The question screen over the whole *parent* window (see the module's doc)."""

    def __init__(
        self,
        board: QuestionBoard,
        strings: Strings,
        theme: Callable[[], Theme],
        parent: QWidget,
    ) -> None:
        """*theme*: the window's theme now (it changes with the window's height)."""
        super().__init__(parent)
        self.board = board
        self.strings = strings
        self._theme = theme
        self.shown: OnScreen | None = None
        self.focus = 0
        """The answer in focus (Enter presses it)."""
        self.buttons: list[QRectF] = []
        """Where each answer's button was painted (read by presses and tests)."""
        self.confirm: QRectF | None = None
        """Where 확인 was painted (only after the question ended)."""
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()
        parent.installEventFilter(self)  # its resizes
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        unsubscribe = board.subscribe(self.refresh)
        # The window is rebuilt for a new configuration: the old one's overlay stops
        # listening with it.
        parent.destroyed.connect(lambda *_: unsubscribe())
        self.refresh()

    def refresh(self) -> None:
        """Show what the board says now (or hide)."""
        shown = self.board.on_screen
        if shown is not None and (
            self.shown is None or self.shown.question.id != shown.question.id
        ):
            self.focus = shown.chosen if shown.chosen is not None else 0
        self.shown = shown
        parent = self.parentWidget()
        if shown is None:
            self.hide()
            return
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.setFocus()
        self.update()

    # --- input ---------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        parent = self.parentWidget()
        if kind == QEvent.Type.Resize and parent is not None and watched is parent:
            self.setGeometry(parent.rect())
            return False
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and self.isVisible():
            return self.key(Qt.Key(event.key()))
        return False

    def key(self, key: Qt.Key) -> bool:
        """A key while the question shows; ``True``: it was the question's."""
        shown = self.shown
        if shown is None:
            return False
        count = len(shown.question.answers)
        if key in KEYS:
            if KEYS[key] < count:
                self.focus = KEYS[key]
                self.board.answer(KEYS[key])
                self.update()
            return True
        if key in MOVES:
            self.focus = (self.focus + MOVES[key]) % count
            self.update()
            return True
        if key in ENTER:
            if shown.is_open:
                self.board.answer(self.focus)
            else:
                self.board.dismiss()
            return True
        return key == Qt.Key.Key_Escape  # nothing under it moves while it shows

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        spot = event.position()
        for index, rect in enumerate(self.buttons):
            if rect.contains(spot):
                self.focus = index
                self.board.answer(index)
                return
        if self.confirm is not None and self.confirm.contains(spot):
            self.board.dismiss()

    # --- painting ------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(COLOURS.background))
        self.drawn, self.buttons, self.confirm = [], [], None
        shown = self.shown
        if shown is None:
            painter.end()
            return
        theme, strings = self._theme(), self.strings
        px, smallest = theme.px, theme.px(MIN_TEXT_PX)
        area = QRectF(self.rect()).adjusted(px(48), px(32), -px(48), -px(32))
        question = shown.question
        # Who asks, then the question as large as it fits.
        painter.setPen(QColor(COLOURS.muted))
        head = QRectF(area.left(), area.top(), area.width(), px(80))
        fit_and_draw(
            painter, head, int(CENTRED), strings["question_from"], theme.font("detail"),
            smallest, self.drawn,
        )  # fmt: skip
        note_h = px(110)
        buttons_h = min(area.height() * 0.36, px(330))
        text = QRectF(
            area.left(),
            head.bottom() + px(16),
            area.width(),
            area.bottom() - note_h - buttons_h - px(48) - head.bottom() - px(16),
        )
        painter.setPen(QColor(COLOURS.text))
        fit_and_draw(
            painter, text, int(CENTRED), question.text, theme.sized_font(px(110)), smallest,
            self.drawn,
        )  # fmt: skip
        row = QRectF(area.left(), text.bottom() + px(24), area.width(), buttons_h)
        self._draw_answers(painter, row, shown, theme)
        note = QRectF(area.left(), row.bottom() + px(24), area.width(), note_h)
        self._draw_note(painter, note, shown, theme)
        painter.end()

    def _draw_answers(self, painter: QPainter, row: QRectF, shown: OnScreen, theme: Theme) -> None:
        px, smallest = theme.px, theme.px(MIN_TEXT_PX)
        answers = shown.question.answers
        gap = px(28)
        width = (row.width() - gap * (len(answers) - 1)) / len(answers)
        result = shown.question.state is QuestionState.RESULT and shown.question.counts
        ring = theme.focus_width
        for index, answer in enumerate(answers):
            outer = QRectF(row.left() + index * (width + gap), row.top(), width, row.height())
            self.buttons.append(outer)
            body = outer.adjusted(ring * 1.5, ring * 1.5, -ring * 1.5, -ring * 1.5)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(COLOURS.answers[index]))
            painter.drawRoundedRect(body, px(28), px(28))
            if shown.chosen == index:
                draw_focus_ring(painter, body, QColor(COLOURS.chosen), ring)
            if index == self.focus and shown.is_open:
                draw_focus_ring(painter, outer, QColor(COLOURS.focus), ring)
            painter.setPen(QColor(COLOURS.answer_text))
            label = f"{index + 1}  {answer}"
            if shown.chosen == index:
                label = f"✓ {label}"
            inside = body.adjusted(px(20), px(12), -px(20), -px(12))
            if result:
                count = QRectF(inside.left(), inside.bottom() - px(90), inside.width(), px(90))
                inside.setBottom(count.top())
                words = self.strings["question_count"].format(count=shown.question.counts[index])
                fit_and_draw(
                    painter, count, int(CENTRED), words, theme.sized_font(px(80)), smallest,
                    self.drawn,
                )  # fmt: skip
            fit_and_draw(
                painter, inside, int(CENTRED), label, theme.sized_font(px(96)), smallest,
                self.drawn,
            )  # fmt: skip

    def _draw_note(self, painter: QPainter, note: QRectF, shown: OnScreen, theme: Theme) -> None:
        px, smallest, strings = theme.px, theme.px(MIN_TEXT_PX), self.strings
        if shown.is_open:
            words = {
                Note.NONE: strings["question_press"].format(count=len(shown.question.answers)),
                Note.SENT: strings["question_sent"],
                Note.CLOSED: strings["question_closed"],
            }[shown.note]
        elif shown.question.state is QuestionState.RESULT:
            words = strings["question_result"]
        else:
            words = strings["question_closed"]
        text = note
        if not shown.is_open:
            # 확인 beside the words, to put the ended question away.
            width = min(px(420), note.width() / 3)
            self.confirm = QRectF(note.right() - width, note.top(), width, note.height())
            text = note.adjusted(0, 0, -width - px(24), 0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(COLOURS.text))
            painter.drawRoundedRect(self.confirm, px(24), px(24))
            painter.setPen(QColor(COLOURS.background))
            fit_and_draw(
                painter, self.confirm, int(CENTRED), strings["question_ok"],
                theme.font("button"), smallest, self.drawn,
            )  # fmt: skip
        painter.setPen(QColor(COLOURS.text))
        fit_and_draw(painter, text, int(CENTRED), words, theme.font("detail"), smallest, self.drawn)
