"""The call screen: who is calling, the big answer and hang-up buttons, the far
side's picture large (other centres small), the call's length and calm notices; an
alert from city hall that came during the call as a banner on top.

In a call or meeting the far side takes at least three quarters of the screen's
height (:func:`arrange`): the controls (who, the length, 소리 크게/작게, 끊기) and, in a
meeting, up to four other centres stand in a column beside it on 16:9 screens, or in a
row under it where a column would cost the picture that (a 16:9 picture on a 4:3
screen). A notice lies in a band over the picture's foot, the centre's own picture
("나") small in its lower left corner.

It shows what :class:`kiosk.calls.desk.CallDesk` says and hands presses back to
it. Pictures are repainted 15 times a second while a call or session is up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.calls.desk import CallDesk, CallView, Notice, Phase
from kiosk.calls.phase import Seat
from kiosk.i18n import Strings
from kiosk.navigation import Command
from kiosk.status import Level, Status
from kiosk.ui.alert import AlertBar
from kiosk.ui.buttons import KeyButton, RingedButton
from kiosk.ui.pages import HomeButton
from kiosk.ui.paint import fitted_size
from kiosk.ui.qt import (
    QColor,
    QHBoxLayout,
    QImage,
    QLabel,
    QPainter,
    QPaintEvent,
    QPen,
    QPoint,
    QRectF,
    QResizeEvent,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme

if TYPE_CHECKING:
    from av import VideoFrame  # frames exist only once a call loaded the media stack

GREEN = "#14532D"
RED = "#991B1B"
BLUE = "#1E3A8A"
TEAL = "#134E4A"
"""White text on each reaches at least 7:1."""
FRAME_MS = 66
TALKING = (Phase.IN_CALL, Phase.IN_ROOM, Phase.RECONNECTING)
SAID = {Seat.HAND_UP: "call_hand_up", Seat.ON_AIR: "call_on_air"}
"""The band over the picture in a town meeting with a floor, above any other notice."""


def to_image(frame: VideoFrame, width: int, height: int) -> QImage:
    """*frame* scaled to *width*×*height* as a QImage (a copy Qt owns).

    Converted straight into Qt's native raster layout (32-bit, B G R x in memory),
    so painting it is a plain copy, and read through the plane's buffer: the one
    copy made is Qt's own."""
    bgra = frame.reformat(width=width, height=height, format="bgra")
    plane = bgra.planes[0]
    image = QImage(memoryview(plane), width, height, plane.line_size, QImage.Format.Format_RGB32)
    return image.copy()


def fit(box: QRectF, aspect: float) -> QRectF:
    """The largest rectangle of *aspect* (width/height) centred in *box*."""
    width = min(box.width(), box.height() * aspect)
    height = width / aspect
    return QRectF(box.center().x() - width / 2, box.center().y() - height / 2, width, height)


PANEL_SHARE = 0.24
"""The controls' column beside the far side, a share of the screen's width: a 16:9
picture beside it keeps 76 % of the height, a 4:3 one all of it."""
LARGE = 0.75
"""The far side takes at least this share of the screen's height."""
SELF_SHARE = 0.2
"""The centre's own picture, a share of the main picture's width."""
ASPECT = 4 / 3
"""The far side's shape until its first picture says otherwise."""


def arrange(area: QRectF, aspect: float, panel: float, bar: float) -> tuple[QRectF, QRectF]:
    """Where the main far side and the controls go in *area*: the picture's box and the
    controls' box.

    The controls stand in a column *panel* wide on the right where the picture keeps
    :data:`LARGE` of the height beside it (16:9 screens); otherwise (4:3 screens, a
    16:9 picture) in a row along the bottom, at least *bar* high, the picture as wide as
    the screen above it."""
    beside = QRectF(area.left(), area.top(), area.width() - panel, area.height())
    if fit(beside, aspect).height() >= LARGE * area.height() - 0.5:
        column = QRectF(beside.right(), area.top(), panel, area.height())
        return beside, column
    height = min(area.height() - bar, area.width() / aspect)
    top = QRectF(area.left(), area.top(), area.width(), height)
    row = QRectF(area.left(), top.bottom(), area.width(), area.height() - height)
    return top, row


def grid(box: QRectF, count: int, aspect: float) -> list[QRectF]:
    """*count* cells in *box*, in the columns and rows that show pictures of *aspect*
    largest."""
    best: list[QRectF] = []
    best_area = -1.0
    for columns in range(1, count + 1):
        rows = -(-count // columns)
        width, height = box.width() / columns, box.height() / rows
        picture = fit(QRectF(0, 0, width, height), aspect)
        if picture.width() * picture.height() > best_area:
            best_area = picture.width() * picture.height()
            best = [
                QRectF(
                    box.left() + (i % columns) * width,
                    box.top() + (i // columns) * height,
                    width,
                    height,
                )
                for i in range(count)
            ]
    return best


class Pictures(QWidget):
    """The far sides, painted under the controls: the first large in :attr:`main`, the
    others small in :attr:`smalls`, what the centre sends small in the main picture's
    lower left corner, framed, and the controls' background in :attr:`panel`."""

    def __init__(
        self,
        frames: Callable[[], list[VideoFrame]],
        own: Callable[[], VideoFrame | None],
        theme: Theme,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._frames = frames
        self._own = own
        self.theme = theme
        self.main = QRectF()
        self.panel = QRectF()
        self.smalls: QWidget | None = None
        """The room the other centres' pictures go in (a widget over this one)."""
        self.own_box = QRectF()
        """Where the centre's own picture goes (its caption is a label above it)."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        painter.fillRect(self.panel, self.theme.background)
        frames = self._frames()
        if frames:
            self._draw(painter, frames[0], self.main)
        others = frames[1:]
        if others:
            aspect = others[0].width / max(1, others[0].height)
            gap = self.theme.px(6)
            room, parent = QRectF(), self.parentWidget()
            if self.smalls is not None and parent is not None:
                corner = self.smalls.mapTo(parent, QPoint(0, 0)) - self.pos()
                room = QRectF(corner.x(), corner.y(), self.smalls.width(), self.smalls.height())
            for frame, cell in zip(others, grid(room, len(others), aspect), strict=False):
                self._draw(painter, frame, cell.adjusted(gap, gap, -gap, -gap))
        own = self._own()
        if own is not None:
            self._draw(painter, own, self.own_box)
            painter.setPen(QPen(QColor(self.theme.display.text), self.theme.px(4)))
            painter.drawRect(fit(self.own_box, own.width / max(1, own.height)))
        painter.end()

    def _draw(self, painter: QPainter, frame: VideoFrame, box: QRectF) -> None:
        target = fit(box, frame.width / max(1, frame.height))
        if target.width() < 2 or target.height() < 2:
            return
        painter.drawImage(target, to_image(frame, int(target.width()), int(target.height())))


class Talking(QWidget):
    """A call or meeting under way: the far side as large as the screen allows, the
    controls beside it (or under it on a 4:3 screen) on the calm background, a notice
    in a band over the picture's foot, the centre's own picture small in its corner."""

    def __init__(self, strings: Strings, theme: Theme, desk: CallDesk, parent: QWidget) -> None:
        super().__init__(parent)
        self.theme = theme
        self.desk = desk
        self.aspect = ASPECT
        self.pictures = Pictures(desk.remote_frames, desk.own_picture, theme, self)
        self.panel = QWidget(self)
        self.who = QLabel(self.panel)
        self.length = QLabel(self.panel)
        for label in (self.who, self.length):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.smalls = QWidget(self.panel)
        """Room the other centres' pictures are painted in (the pictures are under it)."""
        self.smalls.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.pictures.smalls = self.smalls
        self.louder = KeyButton(strings["call_louder"], BLUE, theme, self.panel)
        self.quieter = KeyButton(strings["call_quieter"], BLUE, theme, self.panel)
        self.hang_up = KeyButton(strings["call_hang_up"], RED, theme, self.panel)
        self.speak = KeyButton(strings["call_speak"], GREEN, theme, self.panel)
        """말하기 in a town meeting with a floor (raises the hand; again: lowers it)."""
        self.speak.clicked.connect(lambda: desk.press_speak())
        self.speak.hide()
        self.on_air = False
        """The centre is on air: the band over the picture says so in red."""
        self.looked_at = False
        """City hall looks at the centre (off air): the band says so in blue."""
        self.louder.clicked.connect(lambda: desk.change_volume(10))
        self.quieter.clicked.connect(lambda: desk.change_volume(-10))
        info = QVBoxLayout()
        info.addWidget(self.who)
        info.addWidget(self.length)
        self.volume = QVBoxLayout()
        self.volume.addWidget(self.louder)
        self.volume.addWidget(self.quieter)
        self.buttons = QVBoxLayout()
        self.buttons.addLayout(self.volume)
        self.buttons.addWidget(self.speak)
        self.buttons.addWidget(self.hang_up)
        self.column = QVBoxLayout(self.panel)
        self.column.addLayout(info)
        self.column.addWidget(self.smalls, 1)
        self.column.addLayout(self.buttons)
        self.notice = QLabel(self)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.caption = QLabel(strings["call_self"], self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.pictures.theme = theme
        self.who.setFont(theme.font("detail"))
        self.length.setFont(theme.font("status"))
        self.notice.setFont(theme.font("detail"))
        self.caption.setFont(theme.font("status"))
        plain = f"color: {theme.display.text}; background: transparent;"
        for label in (self.who, self.length):
            label.setStyleSheet(plain)
        self._style_notice()
        self.caption.setStyleSheet(
            f"color: {theme.display.text}; background: {theme.display.background};"
        )
        for button in (self.louder, self.quieter):
            button.theme = theme
            button.setFont(theme.font("button"))
        self.speak.theme = theme
        self.speak.setFont(theme.sized_font(theme.px(72)))
        self.hang_up.theme = theme
        self.hang_up.setFont(theme.sized_font(theme.px(88)))
        self.hang_up.setFixedHeight(theme.px(190))
        gap = theme.px(16)
        self.column.setContentsMargins(gap, gap, gap, gap)
        self.column.setSpacing(gap)
        self.buttons.setSpacing(gap)
        self.volume.setSpacing(gap)
        self.place()

    def show_frames(self) -> None:
        """A new picture: lay out again if the far side changed shape, then repaint."""
        frames = self.desk.remote_frames()
        aspect = frames[0].width / max(1, frames[0].height) if frames else self.aspect
        if abs(aspect - self.aspect) > 0.01:
            self.aspect = aspect
            self.place()
        self.caption.setVisible(self.desk.own_picture() is not None)
        self.pictures.update()

    def show_who(self, text: str) -> None:
        if text != self.who.text():
            self.who.setText(text)
            self.place()

    def show_seat(self, seat: Seat, looked_at: bool, strings: Strings) -> None:
        """말하기 (or 손 내리기) while watching a town meeting; the band red on air, blue
        while city hall looks at the centre."""
        self.speak.setVisible(seat in (Seat.WATCHING, Seat.HAND_UP))
        self.speak.setText(strings["call_lower_hand" if seat is Seat.HAND_UP else "call_speak"])
        on_air = seat is Seat.ON_AIR
        if (on_air, looked_at) != (self.on_air, self.looked_at):
            self.on_air, self.looked_at = on_air, looked_at
            self._style_notice()

    def _style_notice(self) -> None:
        theme = self.theme
        pad = theme.px(8)
        colour, background = theme.display.accent, theme.display.background
        if self.on_air:
            colour, background = "#FFFFFF", RED
        elif self.looked_at:
            colour, background = "#FFFFFF", BLUE
        self.notice.setStyleSheet(f"color: {colour}; background: {background}; padding: {pad}px;")

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        self.place()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        self.place()

    def place(self) -> None:
        """Where everything goes at this size (see :func:`arrange`)."""
        theme = self.theme
        area = QRectF(self.rect())
        main, panel = arrange(area, self.aspect, round(area.width() * PANEL_SHARE), theme.px(190))
        beside = panel.height() == area.height()
        direction = (
            QVBoxLayout.Direction.TopToBottom if beside else QVBoxLayout.Direction.LeftToRight
        )
        self.column.setDirection(direction)
        self.buttons.setDirection(direction)
        # Beside: the buttons one under the other; under the picture: the two volume
        # buttons share the row's height, beside the hang-up button.
        gap = theme.px(16)
        volume = theme.px(160) if beside else (panel.height() - 3 * gap) // 2
        for button in (self.louder, self.quieter):
            button.setFixedHeight(int(volume))
        self.speak.setFixedHeight(theme.px(190) if beside else int(panel.height() - 2 * gap))
        # The name as large as fits its room whole, wrapped between words (a long
        # office name in a narrow column), never under the smallest text.
        room = panel.width() - 2 * gap if beside else panel.width() * 0.25
        self.who.setFixedWidth(max(0, int(room)))
        # In a row under the picture the name shares the row's height with the length.
        tall = math.inf if beside else panel.height() - 3 * gap - self.length.sizeHint().height()
        font = theme.font("detail")
        largest, smallest = font.pixelSize(), theme.px(MIN_TEXT_PX)
        size = fitted_size(self.who.text(), font, room, tall, largest, smallest, wrap=True)
        font.setPixelSize(smallest if size is None else size)
        self.who.setFont(font)
        self.panel.setGeometry(panel.toRect())
        self.pictures.setGeometry(self.rect())
        self.pictures.main = main
        self.pictures.panel = panel
        picture = fit(main, self.aspect)
        margin = theme.px(16)
        bottom = picture.bottom() - margin
        if self.notice.text():
            # Whole pixels over the whole picture's foot: no sliver of it left showing.
            left, right = math.floor(picture.left()), math.ceil(picture.right())
            down = self.notice.heightForWidth(right - left)
            foot = math.ceil(picture.bottom())
            self.notice.setGeometry(left, foot - down, right - left, down)
            bottom = picture.bottom() - down - margin
        width = picture.width() * SELF_SHARE
        own = QRectF(picture.left() + margin, bottom - width / ASPECT, width, width / ASPECT)
        self.pictures.own_box = own
        line = self.caption.sizeHint().height()
        self.caption.setGeometry(
            int(own.left()), int(own.top()) - line, self.caption.sizeHint().width() + margin, line
        )
        self.pictures.update()


class CallPage(QWidget):
    """Every call phase on one page; see the module notes."""

    def __init__(
        self, strings: Strings, theme: Theme, desk: CallDesk, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.desk = desk
        self.view = CallView()
        self.missing: list[str] = []
        self.status = Status()
        self.in_call: set[str] = set()
        """The devices that were there at some time in this call."""
        # Before the far side is there (ringing, dialling, joining): who, what happens,
        # a notice, and the big buttons.
        self.before = QWidget(self)
        self.who = QLabel(self.before)
        self.what = QLabel(self.before)
        self.notice = QLabel(self.before)
        for label in (self.who, self.what, self.notice):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        # Without pictures (ringing, dialling) the name and what happens sit together.
        self.who.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
        self.what.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.answer = KeyButton(strings["call_answer"], GREEN, theme, self.before)
        self.decline = KeyButton(strings["call_decline"], RED, theme, self.before)
        # "Nobody answered" (see show_offer): 의견 남기기 and the way home.
        self.offering = False
        self.leave_message = RingedButton(
            f"1  {strings['call_leave_message']}", TEAL, theme, self.before
        )
        self.home = HomeButton(strings["home_button"], theme, self.before)
        self.answer.clicked.connect(desk.answer)
        self.decline.clicked.connect(self.end)
        row = QHBoxLayout()
        for button in (self.answer, self.decline, self.leave_message, self.home):
            row.addWidget(button)
        self._before_layout = QVBoxLayout(self.before)
        self._before_layout.addWidget(self.who, 1)
        self._before_layout.addWidget(self.what, 1)
        self._before_layout.addWidget(self.notice)
        self._before_layout.addLayout(row)
        # Talking: the far side large (see Talking).
        self.talking = Talking(strings, theme, desk, self)
        self.talking.hang_up.clicked.connect(self.end)
        self.pictures = self.talking.pictures
        self.alert_bar = AlertBar(strings, theme, self)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.alert_bar)
        column.addWidget(self.before, 1)
        column.addWidget(self.talking, 1)
        self._layout = column
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._refresh)
        self._unsubscribe = desk.subscribe(self.show_call)
        self.set_theme(theme)
        self.show_call(desk.view)

    def end(self) -> None:
        """The red button: decline, cancel or hang up, whichever applies."""
        if self.view.phase is Phase.RINGING:
            self.desk.decline()
        else:
            self.desk.hang_up()

    def command(self, command: Command) -> bool:
        """Keys: Enter answers (or hangs up), Up/Down change the volume, Left/Right
        press 말하기 in a town meeting with a floor."""
        if command is Command.ACTIVATE:
            if self.view.phase is Phase.RINGING:
                self.desk.answer()
            else:
                self.end()
            return True
        if command in (Command.LEFT, Command.RIGHT) and self.view.seat is not Seat.NONE:
            self.desk.press_speak()
            return True
        if command in (Command.UP, Command.DOWN) and self.view.phase in TALKING:
            self.desk.change_volume(10 if command is Command.UP else -10)
            return True
        return False

    def show_status(self, status: Status) -> None:
        """Say plainly when the camera or microphone is missing, and calmly when one
        that was there in this call came loose (the call goes on without it)."""
        self.status = status
        talking = self.view.phase in TALKING
        self.missing = []
        for device, level in (("camera", status.camera), ("microphone", status.microphone)):
            if level is not Level.MISSING:
                if talking:
                    self.in_call.add(device)
            elif device in self.in_call:
                self.missing.append(self.strings[f"call_{device}_lost"])
            else:
                self.missing.append(self.strings[f"call_no_{device}"])
        self.show_call(self.view)

    def show_offer(self, entry: int | None) -> None:
        """The "nobody answered" screen offering 의견 남기기 (*entry* 0) beside the home
        button (1): the ring on *entry*. ``None``: the call's own screens again."""
        self.offering = entry is not None
        self.leave_message.focused = entry == 0
        self.home.focused = entry == 1
        self.leave_message.update()
        self.home.update()
        self.show_call(self.view)

    def show_call(self, view: CallView) -> None:
        if view.phase in TALKING and self.view.phase not in TALKING:
            self.view = view
            self.in_call = set()
            self.show_status(self.status)
            return
        self.view = view
        s = self.strings
        phase = view.phase
        ringing = phase is Phase.RINGING
        talking = phase in TALKING
        self.who.setText(view.who)
        self.talking.show_who(view.who)
        self.talking.show_seat(view.seat, view.looked_at, s)
        what = {
            Phase.RINGING: s["call_ringing"],
            Phase.CALLING: s["call_calling"],
            Phase.JOINING: s["call_joining"],
        }.get(phase, "")
        self.what.setText(what)
        self.what.setVisible(bool(what))
        offering = self.offering
        if offering:
            talking = ringing = False
            self.who.setText(s["call_unavailable"])
            self.what.setText(s["call_unavailable_detail"])
            self.what.setVisible(True)
        self.before.setVisible(not talking)
        self.talking.setVisible(talking)
        self.answer.setVisible(ringing)
        self.decline.setVisible(not offering)
        self.leave_message.setVisible(offering)
        self.home.setVisible(offering)
        self.decline.setText(s["call_decline"] if ringing else s["call_cancel"])
        if talking:
            self.timer.start()
        else:
            self.timer.stop()
        self._refresh()

    def _refresh(self) -> None:
        view, s = self.view, self.strings
        lines = [s[view.notice.value]] if view.notice is not Notice.NONE else []
        if view.phase in TALKING and view.looked_at:
            lines.insert(0, s["call_looked_at"])
        if view.phase in TALKING and view.seat in SAID:
            lines.insert(0, s[SAID[view.seat]])
        if view.phase in TALKING:
            lines += self.missing
        if self.offering:
            lines = []
        if view.answer_at is not None and view.phase is Phase.RINGING:
            left = max(0, round(view.answer_at - self.desk.now()))
            lines.append(s["call_auto"].format(seconds=left))
        text = "\n".join(lines)
        if view.phase in TALKING and not self.offering:
            if text != self.talking.notice.text():
                self.talking.show_notice(text)
            length = ""
            if view.since:
                seconds = int(self.desk.now() - view.since)
                length = s["call_duration"].format(minutes=seconds // 60, seconds=seconds % 60)
            self.talking.length.setText(length)
            self.talking.length.setVisible(bool(length))
            self.talking.show_frames()
        else:
            self.notice.setText(text)
            self.notice.setVisible(bool(lines))

    def notice_text(self) -> str:
        """The notice shown now (over the picture in a call, under the name before)."""
        shown = self.talking.notice if self.view.phase in TALKING else self.notice
        return shown.text() if shown.isVisibleTo(self) else ""

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.alert_bar.set_theme(theme)
        self.talking.set_theme(theme)
        self.who.setFont(theme.font("title"))
        self.what.setFont(theme.font("title", bold=False))
        self.notice.setFont(theme.font("detail"))
        text = theme.display.text
        for label in (self.who, self.what):
            label.setStyleSheet(f"color: {text}; background: transparent;")
        self.notice.setStyleSheet(f"color: {theme.display.accent}; background: transparent;")
        for button in (self.answer, self.decline):
            button.theme = theme
            button.setFont(theme.sized_font(theme.px(96)))
            button.setFixedHeight(theme.px(220))
        self.leave_message.theme = theme
        self.leave_message.setFont(theme.font("button"))
        self.leave_message.setFixedHeight(theme.px(220))
        self.home.theme = theme
        self.home.setFixedHeight(theme.px(220))
        self.home.setMinimumWidth(theme.px(520))
        self._before_layout.setContentsMargins(
            theme.px(30), theme.px(20), theme.px(30), theme.px(20)
        )
        self.update()

    def close_page(self) -> None:
        self.timer.stop()
        self._unsubscribe()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.theme.background)
        painter.end()
