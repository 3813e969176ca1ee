"""The call screen: who is calling, the big answer and hang-up buttons, the far
side's picture large (other centres small), the call's length and calm notices; an
alert from city hall that came during the call as a banner on top.

It shows what :class:`kiosk.calls.desk.CallDesk` says and hands presses back to
it. Pictures are repainted 15 times a second while a call or session is up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.calls.desk import CallDesk, CallView, Notice, Phase
from kiosk.i18n import Strings
from kiosk.navigation import Command
from kiosk.status import Level, Status
from kiosk.ui.alert import AlertBar
from kiosk.ui.buttons import KeyButton
from kiosk.ui.qt import (
    QColor,
    QHBoxLayout,
    QImage,
    QLabel,
    QPainter,
    QPaintEvent,
    QPen,
    QRectF,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import Theme

if TYPE_CHECKING:
    from av import VideoFrame  # frames exist only once a call loaded the media stack

GREEN = "#14532D"
RED = "#991B1B"
BLUE = "#1E3A8A"
"""White text on each reaches at least 7:1."""
FRAME_MS = 66
TALKING = (Phase.IN_CALL, Phase.IN_ROOM, Phase.RECONNECTING)


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


class Pictures(QWidget):
    """The far sides: the first large, the others in a column on the right; what
    the centre sends small in the main picture's lower left corner, framed."""

    def __init__(
        self,
        frames: Callable[[], list[VideoFrame]],
        own: Callable[[], VideoFrame | None],
        theme: Theme,
        caption: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._frames = frames
        self._own = own
        self.theme = theme
        self.caption = caption

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        frames = self._frames()
        area = QRectF(self.rect())
        if len(frames) > 1:
            side = area.width() * 0.24
            main = area.adjusted(0, 0, -side, 0)
            column = QRectF(main.right(), area.top(), side, area.height())
            step = column.height() / (len(frames) - 1)
            for i, frame in enumerate(frames[1:]):
                cell = QRectF(column.left(), column.top() + i * step, side, step)
                self._draw(painter, frame, cell.adjusted(6, 6, -6, -6))
        else:
            main = area
        if frames:
            self._draw(painter, frames[0], main)
        own = self._own()
        if own is not None:
            self._draw_self(painter, own, main)
        painter.end()

    def _draw_self(self, painter: QPainter, frame: VideoFrame, main: QRectF) -> None:
        width = main.width() * 0.22
        height = width * frame.height / max(1, frame.width)
        margin = self.theme.px(16)
        box = QRectF(main.left() + margin, main.bottom() - margin - height, width, height)
        self._draw(painter, frame, box)
        pen = QPen(QColor(self.theme.display.text), self.theme.px(4))
        painter.setPen(pen)
        painter.drawRect(box)
        painter.setFont(self.theme.font("status"))
        above = QRectF(box.left(), box.top() - self.theme.px(60), box.width(), self.theme.px(56))
        painter.drawText(
            above, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, self.caption
        )

    def _draw(self, painter: QPainter, frame: VideoFrame, box: QRectF) -> None:
        target = fit(box, frame.width / max(1, frame.height))
        if target.width() < 2 or target.height() < 2:
            return
        painter.drawImage(target, to_image(frame, int(target.width()), int(target.height())))


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
        self.who = QLabel(self)
        self.what = QLabel(self)
        self.notice = QLabel(self)
        self.length = QLabel(self)
        for label in (self.who, self.what, self.notice, self.length):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        # Without pictures (ringing, dialling) the name and what happens sit together.
        self.who.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
        self.what.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.pictures = Pictures(
            desk.remote_frames, desk.own_picture, theme, strings["call_self"], self
        )
        self.answer = KeyButton(strings["call_answer"], GREEN, theme, self)
        self.decline = KeyButton(strings["call_decline"], RED, theme, self)
        self.quieter = KeyButton(strings["call_quieter"], BLUE, theme, self)
        self.louder = KeyButton(strings["call_louder"], BLUE, theme, self)
        self.answer.clicked.connect(desk.answer)
        self.decline.clicked.connect(self.end)
        self.quieter.clicked.connect(lambda: desk.change_volume(-10))
        self.louder.clicked.connect(lambda: desk.change_volume(10))
        row = QHBoxLayout()
        for button in (self.quieter, self.answer, self.decline, self.louder):
            row.addWidget(button)
        self.alert_bar = AlertBar(strings, theme, self)
        column = QVBoxLayout(self)
        column.addWidget(self.alert_bar)
        column.addWidget(self.who)
        column.addWidget(self.what)
        column.addWidget(self.pictures, 1)
        column.addWidget(self.notice)
        column.addWidget(self.length)
        column.addLayout(row)
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
        """Keys: Enter answers (or hangs up), Up/Down change the volume."""
        if command is Command.ACTIVATE:
            if self.view.phase is Phase.RINGING:
                self.desk.answer()
            else:
                self.end()
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
        what = {
            Phase.RINGING: s["call_ringing"],
            Phase.CALLING: s["call_calling"],
            Phase.JOINING: s["call_joining"],
        }.get(phase, "")
        self.what.setText(what)
        self.what.setVisible(bool(what))
        self.pictures.setVisible(talking)
        self.answer.setVisible(ringing)
        self.decline.setText(
            s["call_decline"] if ringing else s["call_hang_up"] if talking else s["call_cancel"]
        )
        self.quieter.setVisible(talking)
        self.louder.setVisible(talking)
        if talking:
            self.timer.start()
        else:
            self.timer.stop()
        self._refresh()

    def _refresh(self) -> None:
        view, s = self.view, self.strings
        lines = [s[view.notice.value]] if view.notice is not Notice.NONE else []
        if view.phase in TALKING:
            lines += self.missing
        if view.answer_at is not None and view.phase is Phase.RINGING:
            left = max(0, round(view.answer_at - self.desk.now()))
            lines.append(s["call_auto"].format(seconds=left))
        self.notice.setText("\n".join(lines))
        self.notice.setVisible(bool(lines))
        if view.since and view.phase in TALKING:
            seconds = int(self.desk.now() - view.since)
            self.length.setText(
                s["call_duration"].format(minutes=seconds // 60, seconds=seconds % 60)
            )
            self.length.setVisible(True)
        else:
            self.length.setVisible(False)
        self.pictures.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.alert_bar.set_theme(theme)
        self.pictures.theme = theme
        self.who.setFont(theme.font("title"))
        self.what.setFont(theme.font("title", bold=False))
        self.notice.setFont(theme.font("detail"))
        self.length.setFont(theme.font("status"))
        text = theme.display.text
        for label in (self.who, self.what, self.length):
            label.setStyleSheet(f"color: {text}; background: transparent;")
        self.notice.setStyleSheet(f"color: {theme.display.accent}; background: transparent;")
        for button in (self.answer, self.decline):
            button.theme = theme
            button.setFont(theme.sized_font(theme.px(96)))
            button.setFixedHeight(theme.px(220))
        for button in (self.quieter, self.louder):
            button.theme = theme
            button.setFont(theme.font("button"))
            button.setFixedHeight(theme.px(220))
        self._layout.setContentsMargins(theme.px(30), theme.px(20), theme.px(30), theme.px(20))
        self.update()

    def close_page(self) -> None:
        self.timer.stop()
        self._unsubscribe()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.theme.background)
        painter.end()
