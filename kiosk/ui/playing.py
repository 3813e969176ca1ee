"""The playing screen: the video full screen, lyrics drawn by libvlc, big controls on demand.

The picture is drawn by libvlc into :class:`VideoSurface`, a native X11
child window. Qt cannot draw over such a window, so the title bar and the
control bar sit above and below it and fold away after
:data:`CONTROLS_SHOW_MS` (the video then fills the screen); any touch or
key brings them back. While paused they stay.
"""

from collections.abc import Callable

from kiosk.i18n import Strings
from kiosk.navigation import Command
from kiosk.programmes.playback import Notice, NowPlaying, Playback
from kiosk.ui.buttons import KeyButton
from kiosk.ui.qt import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPainter,
    QPaintEvent,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import Theme

CONTROLS_SHOW_MS = 6000
BAR_COLOUR = "#000000"
STOP_COLOUR = "#9B1C1C"
"""White on it: 7.6:1."""


class VideoSurface(QWidget):
    """A black native window that libvlc draws into (on X11; elsewhere a black widget)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.is_native = QApplication.platformName() == "xcb"
        if self.is_native:
            self.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
            self.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def window_id(self) -> int:
        return int(self.winId())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        painter.end()


class PlayingScreen(QWidget):
    """Shows what :class:`Playback` plays, and its controls."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        playback: Playback,
        on_stop: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.playback = playback
        self.top = QWidget(self)
        self.title = QLabel(self.top)
        self.notice = QLabel(self.top)
        top_row = self._top_row = QHBoxLayout(self.top)
        top_row.addWidget(self.title, 1)
        top_row.addWidget(self.notice)
        self.middle = QStackedWidget(self)
        self.surface = VideoSurface(self.middle)
        self.message = QLabel(self.middle)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.middle.addWidget(self.surface)
        self.middle.addWidget(self.message)
        self.controls = QWidget(self)
        self.buttons = {
            "pause": KeyButton(strings["play_pause"], "#1E3A8A", theme, self.controls),
            "quieter": KeyButton(strings["play_quieter"], "#14532D", theme, self.controls),
            "louder": KeyButton(strings["play_louder"], "#14532D", theme, self.controls),
            "stop": KeyButton(strings["play_stop"], STOP_COLOUR, theme, self.controls),
        }
        self.volume = QLabel(self.controls)
        self.volume.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = self._controls_row = QHBoxLayout(self.controls)
        for name in ("pause", "quieter"):
            row.addWidget(self.buttons[name], 3)
        row.addWidget(self.volume, 2)
        for name in ("louder", "stop"):
            row.addWidget(self.buttons[name], 3)
        self.buttons["pause"].clicked.connect(self.toggle_pause)
        self.buttons["quieter"].clicked.connect(lambda: self.change_volume(-1))
        self.buttons["louder"].clicked.connect(lambda: self.change_volume(+1))
        self.buttons["stop"].clicked.connect(on_stop)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.top)
        column.addWidget(self.middle, 1)
        column.addWidget(self.controls)
        self.hide_timer = QTimer(self)
        self.hide_timer.setSingleShot(True)
        self.hide_timer.setInterval(CONTROLS_SHOW_MS)
        self.hide_timer.timeout.connect(self._fold)
        self.forget = playback.subscribe(self.show_now)
        """Stops following playback (the window calls it when it closes)."""
        self.set_theme(theme)
        self.show_now(playback.now)

    # --- what plays ------------------------------------------------------------

    def show_now(self, now: NowPlaying | None) -> None:
        if now is None:
            self.hide_timer.stop()
            return
        strings = self.strings
        title = now.title
        if now.count > 1:
            title += "  " + strings["play_part"].format(position=now.position, count=now.count)
        self.title.setText(title)
        notice = {
            Notice.LIVE_FALLBACK: strings["live_fallback"],
            Notice.LIVE_BACK: strings["live_badge"],
            None: strings["live_badge"] if now.live else "",
        }.get(now.notice, "")
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        down = now.notice is Notice.LIVE_DOWN and not now.live
        if down:
            self.message.setText(f"{strings['live_down']}\n{strings['live_down_detail']}")
        self.middle.setCurrentWidget(self.message if down else self.surface)
        self.buttons["pause"].setText(strings["play_resume" if now.paused else "play_pause"])
        self.volume.setText(strings["play_volume"].format(volume=self.playback.volume))
        self.poke()

    # --- input -----------------------------------------------------------------

    def poke(self) -> None:
        """A touch or key: show the bars; fold them away later unless paused."""
        self.top.show()
        self.controls.show()
        now = self.playback.now
        if now is not None and now.paused:
            self.hide_timer.stop()
        else:
            self.hide_timer.start()

    def command(self, command: Command) -> bool:
        """Keys on this screen: Enter pauses, arrows set the volume (Escape is the navigator's)."""
        self.poke()
        if command is Command.ACTIVATE:
            self.toggle_pause()
        elif command in (Command.UP, Command.RIGHT):
            self.change_volume(+1)
        elif command in (Command.DOWN, Command.LEFT):
            self.change_volume(-1)
        else:
            return False
        return True

    def toggle_pause(self) -> None:
        self.playback.toggle_pause()

    def change_volume(self, steps: int) -> None:
        volume = self.playback.change_volume(steps)
        self.volume.setText(self.strings["play_volume"].format(volume=volume))
        self.poke()

    def _fold(self) -> None:
        now = self.playback.now
        if now is None or now.paused or self.middle.currentWidget() is self.message:
            return
        self.top.hide()
        self.controls.hide()

    # --- looks -----------------------------------------------------------------

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        text = theme.display.text
        self.setStyleSheet(f"background: {BAR_COLOUR};")
        for label, role, colour in (
            (self.title, "detail", text),
            (self.notice, "detail", theme.display.accent),
            (self.volume, "detail", text),
            (self.message, "title", text),
        ):
            label.setFont(theme.font(role))
            label.setStyleSheet(f"color: {colour}; background: {BAR_COLOUR};")
        pad = theme.px(16)
        self._top_row.setContentsMargins(pad * 2, pad, pad * 2, pad)
        self._controls_row.setContentsMargins(pad, pad, pad, pad)
        for button in self.buttons.values():
            button.theme = theme
            button.setFont(theme.font("button"))
            button.setMinimumHeight(theme.px(150))
