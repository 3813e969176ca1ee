"""The message screen (의견 남기기): what the senior is asked, the big countdown while
recording, and one row of big numbered buttons (keys 1, 2, 3; arrows move the yellow
ring, Enter presses it). It shows what :class:`kiosk.messages.desk.MessageDesk` says
and hands presses back to it; every rule lives there."""

from kiosk.i18n import Strings
from kiosk.messages.desk import MessageDesk, MessageView, Stage
from kiosk.messages.recorder import PREVIEW_BYTES, PREVIEW_HEIGHT, PREVIEW_WIDTH
from kiosk.navigation import Command
from kiosk.ui.buttons import RingedButton
from kiosk.ui.qt import (
    QColor,
    QHBoxLayout,
    QImage,
    QLabel,
    QPainter,
    QPaintEvent,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import Theme

TICK_MS = 200
"""How often the page ticks the desk while it shows (the countdown, ffmpeg's end)."""
COLOURS = {
    "message_start": "#991B1B",
    "message_voice_only_button": "#991B1B",
    "message_stop": "#991B1B",
    "message_send": "#14532D",
    "message_again": "#1E3A8A",
    "message_cancel": "#374151",
    "message_home": "#374151",
}
"""White text on each reaches at least 7:1; recording is red, sending green."""
MOST_BUTTONS = 3


SELF_VIEW_HEIGHT = 396
"""The self-view's height at 1080 lines (704x396): the senior sees whether they are
in the picture from arm's length, and the countdown beside it keeps its size."""


class SelfView(QWidget):
    """What the camera sees while recording, mirrored (ffmpeg flips it) as in a mirror:
    the newest picture drawn whole into the widget, dark until the first one comes."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.image: QImage | None = None
        self.shown = 0
        """Pictures drawn (tests read it)."""

    def show_picture(self, picture: bytes) -> None:
        if len(picture) != PREVIEW_BYTES:
            return
        self.image = QImage(
            picture, PREVIEW_WIDTH, PREVIEW_HEIGHT, PREVIEW_WIDTH * 3, QImage.Format.Format_RGB888
        ).copy()  # its own pixels: *picture* is not kept
        self.update()

    def clear(self) -> None:
        self.image = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self.image is not None:
            painter.drawImage(self.rect(), self.image)
            self.shown += 1
        painter.end()


class MessageScreen(QWidget):
    """The page for :data:`kiosk.navigation.Screen.MESSAGE`."""

    def __init__(
        self, strings: Strings, theme: Theme, desk: MessageDesk, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.desk = desk
        self.title = QLabel(self)
        self.countdown = QLabel(self)
        self.detail = QLabel(self)
        for label in (self.title, self.countdown, self.detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.self_view = SelfView(theme, self)
        self.self_view.hide()
        self._unsubscribe_view = desk.subscribe_preview(self.self_view.show_picture)
        self.buttons = [
            RingedButton("", COLOURS["message_home"], theme, self, ring_px=10) for _ in range(3)
        ]
        row = QHBoxLayout()
        for index, button in enumerate(self.buttons):
            button.clicked.connect(lambda _=False, i=index: desk.press(i))
            row.addWidget(button)
        column = QVBoxLayout(self)
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(self.self_view)
        middle.addWidget(self.countdown, 2)
        middle.addStretch(1)
        column.addWidget(self.title)
        column.addLayout(middle, 1)
        column.addWidget(self.detail)
        column.addLayout(row)
        self._layout = column
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(desk.tick)
        self._unsubscribe = desk.subscribe(self.show_message)
        self.set_theme(theme)
        self.show_message(desk.view)

    def key(self, command: int | Command | None) -> bool:
        """A key on this screen: a number presses that button (and any key stops a
        recording); arrows move the ring; Enter presses it. Escape is the navigator's
        (home, which throws the recording away). ``True`` if taken."""
        desk = self.desk
        if isinstance(command, int):
            desk.press(command)
            return True  # other numbers never open a tile from here
        if command is Command.ACTIVATE:
            return desk.activate()
        if command in (Command.LEFT, Command.UP):
            return desk.move(-1)
        if command in (Command.RIGHT, Command.DOWN):
            return desk.move(1)
        return False

    def show_message(self, view: MessageView) -> None:
        s, stage = self.strings, view.stage
        self.title.setText(s[f"message_{stage.value}"])
        counting = stage in (Stage.RECORDING, Stage.FINISHING)
        if counting:
            self.countdown.setText(s["message_seconds"].format(seconds=view.left_s))
        self.countdown.setVisible(counting)
        if not view.self_view or stage is not Stage.RECORDING:
            self.self_view.clear()  # the next recording starts dark, not on an old picture
        self.self_view.setVisible(view.self_view and stage is Stage.RECORDING)
        self.detail.setText(s[f"message_{stage.value}_detail"].format(seconds=view.length_s))
        for index, button in enumerate(self.buttons):
            keys = view.buttons
            shown = index < len(keys)
            button.setVisible(shown)
            if shown:
                text = f"{index + 1}  {s[keys[index]]}" if len(keys) > 1 else s[keys[index]]
                button.setText(text)
                button.setAccessibleName(text)
                button.colour = COLOURS[keys[index]]
                button.focused = index == view.focus
                button.update()
        if stage in (Stage.RECORDING, Stage.FINISHING, Stage.SENT):
            self.timer.start()
        else:
            self.timer.stop()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.title.setFont(theme.font("title"))
        self.countdown.setFont(theme.sized_font(theme.px(300)))
        self.self_view.theme = theme
        height = theme.px(SELF_VIEW_HEIGHT)
        self.self_view.setFixedSize(height * PREVIEW_WIDTH // PREVIEW_HEIGHT, height)
        self.detail.setFont(theme.font("detail"))
        text = theme.display.text
        for label in (self.title, self.detail):
            label.setStyleSheet(f"color: {text}; background: transparent;")
        self.countdown.setStyleSheet(f"color: {theme.display.accent}; background: transparent;")
        for button in self.buttons:
            button.theme = theme
            button.setFont(theme.font("button"))
            button.setFixedHeight(theme.px(220))
        self._layout.setContentsMargins(theme.px(30), theme.px(20), theme.px(30), theme.px(20))
        self.update()

    def close_page(self) -> None:
        """Stop ticking and listening. Safe to call twice."""
        self.timer.stop()
        self._unsubscribe()
        self._unsubscribe = lambda: None
        self._unsubscribe_view()
        self._unsubscribe_view = lambda: None
