"""Leader mode: the PIN keypad, then the leader's screen.

The keypad checks PINs through :class:`~kiosk.lockout.PinGate` (five wrong
tries lock it for five minutes, across restarts). The leader's screen starts
any programme or library video now, stops what plays, sets the room volume,
opens the list of city-hall contacts to call (:mod:`kiosk.ui.contacts`), and
shows today's timetable and the download progress. The navigator sends
it home after ``leader.leave_after_s`` without a touch.
"""

from collections.abc import Callable
from math import ceil

from kiosk.i18n import Strings
from kiosk.lockout import Outcome, PinGate, Verdict
from kiosk.media.progress import Progress
from kiosk.programmes.conductor import Programmes
from kiosk.ui.buttons import KEY_COLOUR, KeyButton, build_keypad, keypad_key, style_bar
from kiosk.ui.paint import text_block
from kiosk.ui.qt import (
    QEvent,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QRectF,
    QShowEvent,
    QSize,
    Qt,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.theme import Theme
from kiosk_contract.config.model import KioskConfig

RED, GREEN = "#9B1C1C", "#14532D"
MAX_DIGITS = 8
LIST_PADDING = 12
"""Around each video's title in the leader's list, at 1080 lines."""


class VideoList(QListWidget):
    """The library's videos, one a row, scrolling up and down: a title too long for the
    row goes on two lines, never off the side (Qt's list would cut it)."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        text = theme.display.text
        self.setFont(theme.font("status", bold=False))
        self.setStyleSheet(
            f"QListWidget {{ color: {text}; background: {theme.display.background};"
            f" border: {theme.px(3)}px solid {text}; }}"
            f" QListWidget::item {{ padding: {theme.px(LIST_PADDING)}px; }}"
        )
        self.fit_rows()

    def _insets(self) -> tuple[int, int]:
        """Room around a title, across and down: the item's padding, and across also
        the margin Qt's item view leaves for its focus frame."""
        style = self.style()
        frame = style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        pad = self.theme.px(LIST_PADDING)
        return pad + frame, pad

    def text_rect(self, row: int) -> QRectF:
        """Where row *row*'s title is laid out (read by accessibility checks)."""
        across, down = self._insets()
        rect = QRectF(self.visualItemRect(self.item(row)))
        return rect.adjusted(across, down, -across, -down)

    def fit_rows(self) -> None:
        """Each row as wide as the list shows and as tall as its title needs there.

        Only while shown (measuring a hidden list cost the kiosk's first frame ~25 ms):
        showing the list fits them."""
        if not self.isVisible():
            return
        width = self.viewport().width()
        across, down = self._insets()
        for row in range(self.count()):
            item = self.item(row)
            block = text_block(item.text(), self.font(), width - 2 * across)
            item.setSizeHint(QSize(width, ceil(block.height()) + 2 * down))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.fit_rows()  # rows may have changed while the list was hidden

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # The list's width, or the scroll bar coming or going, changes the rows' room.
        if event.type() == QEvent.Type.Resize:
            self.fit_rows()
        return super().viewportEvent(event)


class PinPage(QWidget):
    """A big keypad; *on_open* gets the door a right PIN opens (``leader``, ``technician``)."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        gate: PinGate,
        on_open: Callable[[str], object],
        on_cancel: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.gate = gate
        self._on_open = on_open
        self.digits = ""
        self.title = QLabel(strings["pin_title"], self)
        self.entry = QLabel(self)
        self.message = QLabel(self)
        column = self._column = QVBoxLayout(self)
        for label in (self.title, self.entry, self.message):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            column.addWidget(label)
        pad, self.keys = build_keypad(strings, theme, self, self.press)
        self.cancel = KeyButton(strings["pin_cancel"], RED, theme, self)
        self.cancel.clicked.connect(on_cancel)
        pad.addWidget(self.cancel, 0, 3, 4, 1)
        column.addLayout(pad, 1)
        self.set_theme(theme)

    def reset(self) -> None:
        """Shown afresh: empty entry, and the lock-out (if any) said at once."""
        self.digits = ""
        self._show(self.gate.state())

    def press(self, key: str) -> None:
        if key == "delete":
            self.digits = self.digits[:-1]
        elif key == "ok":
            verdict = self.gate.try_pin(self.digits)
            self.digits = ""
            if verdict.outcome is Outcome.OPEN:
                self._on_open(verdict.door)
                return
            self._show(verdict)
            return
        elif len(self.digits) < MAX_DIGITS:
            self.digits += key
        self.entry.setText("● " * len(self.digits) or "_ _ _ _")

    def key(self, name: str) -> bool:
        """Digits, Backspace and Enter from a keyboard."""
        key = keypad_key(name)
        if key is not None:
            self.press(key)
        return key is not None

    def _show(self, verdict: Verdict) -> None:
        strings = self.strings
        locked = verdict.outcome in (Outcome.LOCKED, Outcome.NO_PIN)
        for button in self.keys.values():
            button.setEnabled(not locked)
        self.entry.setText("● " * len(self.digits) or "_ _ _ _")
        if verdict.outcome is Outcome.LOCKED:
            minutes, seconds = divmod(verdict.locked_s, 60)
            text = strings["pin_locked"].format(minutes=minutes, seconds=seconds)
        elif verdict.outcome is Outcome.NO_PIN:
            text = strings["pin_no_pin"]
        elif verdict.tries_left < 5:
            text = strings["pin_wrong"].format(tries=verdict.tries_left)
        else:
            text = strings["pin_hint"]
        self.message.setText(text)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for label, role, colour in (
            (self.title, "title", theme.display.text),
            (self.entry, "title", theme.display.accent),
            (self.message, "detail", theme.display.accent),
        ):
            label.setFont(theme.font(role))
            label.setStyleSheet(f"color: {colour}; background: transparent;")
        for button in [*self.keys.values(), self.cancel]:
            button.theme = theme
            button.setFont(theme.font("button"))
            button.setMinimumHeight(theme.px(120))
        self._column.setContentsMargins(*theme.page_margins)
        self._column.setSpacing(theme.page_spacing)


class LeaderPage(QWidget):
    """What a centre leader can do, on one screen."""

    def __init__(
        self,
        config: KioskConfig,
        strings: Strings,
        theme: Theme,
        programmes: Programmes,
        on_leave: Callable[[], object],
        on_call: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        """*on_call*: the call entry, which opens the list of city-hall contacts."""
        super().__init__(parent)
        self.strings = strings
        self.programmes = programmes
        self.title = QLabel(strings["leader_title"], self)
        self.playing = QLabel(self)
        self.headings = [
            QLabel(strings[key], self)
            for key in ("leader_programmes", "leader_library", "leader_today", "leader_downloads")
        ]
        self.start_buttons = []
        for programme in config.programmes:
            button = KeyButton(programme.title, KEY_COLOUR, theme, self)
            button.clicked.connect(lambda _=False, p=programme.id: programmes.start(p))
            self.start_buttons.append(button)
        self.library = VideoList(theme, self)
        for video in config.library:
            item = QListWidgetItem(video.title)
            item.setData(Qt.ItemDataRole.UserRole, video.id)
            self.library.addItem(item)
        self.library.itemClicked.connect(
            lambda item: programmes.play_video(str(item.data(Qt.ItemDataRole.UserRole)))
        )
        self.stop = KeyButton(strings["leader_stop"], RED, theme, self)
        self.stop.clicked.connect(self._stop)
        self.quieter = KeyButton("−", GREEN, theme, self)
        self.louder = KeyButton("+", GREEN, theme, self)
        self.volume = QLabel(self)
        self.quieter.clicked.connect(lambda: self._volume(-1))
        self.louder.clicked.connect(lambda: self._volume(+1))
        self.call = KeyButton(strings["leader_call"], GREEN, theme, self)
        self.call.clicked.connect(on_call)
        self.leave = KeyButton(strings["leader_leave"], "#7C2D12", theme, self)
        self.leave.clicked.connect(on_leave)
        self.today = QLabel(self)
        self.downloads = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self._layout(theme)
        self.set_theme(theme)

    def _layout(self, theme: Theme) -> None:
        # Rows of columns, not a grid: a grid asks its columns for their preferred
        # height as its minimum, and so claimed more room than the page needs.
        top = QHBoxLayout()
        top.addWidget(self.title, 2)
        top.addWidget(self.playing, 1)
        left = QVBoxLayout()
        left.addWidget(self.headings[0])
        for button in self.start_buttons:
            left.addWidget(button)
        left.addWidget(self.headings[1])
        left.addWidget(self.library, 1)
        middle = QVBoxLayout()
        middle.addWidget(self.stop)
        volume = QHBoxLayout()
        volume.addWidget(self.quieter)
        volume.addWidget(self.volume)
        volume.addWidget(self.louder)
        middle.addLayout(volume)
        middle.addWidget(self.call)
        middle.addStretch(1)
        middle.addWidget(self.leave)
        right = QVBoxLayout()
        right.addWidget(self.headings[2])
        right.addWidget(self.today)
        right.addWidget(self.headings[3])
        right.addWidget(self.progress)
        right.addWidget(self.downloads)
        right.addStretch(1)
        columns = QHBoxLayout()
        for part in (left, middle, right):
            columns.addLayout(part, 1)
        self._column = QVBoxLayout(self)
        self._column.addLayout(top)
        self._column.addLayout(columns, 1)

    def refresh(self) -> None:
        """Re-read what plays, the volume and today's timetable."""
        strings = self.strings
        now = self.programmes.playback.now
        self.playing.setText(
            strings["leader_playing"].format(title=now.title) if now else strings["leader_idle"]
        )
        self.stop.setEnabled(now is not None)
        self.volume.setText(strings["leader_volume"].format(volume=self.programmes.playback.volume))
        lines = []
        for occ in self.programmes.today():
            title = self.programmes.title_of(occ.slot.programme)
            auto = f" ({strings['leader_auto']})" if occ.slot.auto_start else ""
            lines.append(f"{occ.start:%H:%M} {title}{auto}")
        self.today.setText("\n".join(lines) or strings["leader_nothing_today"])

    def show_downloads(self, progress: Progress) -> None:
        text = self.strings["leader_downloads_state"].format(
            ready=progress.items_ready, total=progress.items_total, left=progress.items_left
        )
        if progress.current:
            text += "\n" + self.strings["leader_downloading"].format(title=progress.current)
        if progress.errors:
            text += "\n⚠ " + "\n⚠ ".join(progress.errors[:3])
        self.downloads.setText(text)
        self.progress.setValue(round(progress.fraction * 1000))

    def _stop(self) -> None:
        self.programmes.playback.stop()
        self.refresh()

    def _volume(self, steps: int) -> None:
        self.programmes.playback.change_volume(steps)
        self.refresh()

    def set_theme(self, theme: Theme) -> None:
        text, accent = theme.display.text, theme.display.accent
        labels = [(self.title, "title", text), (self.playing, "status", accent)]
        labels += [(h, "detail", accent) for h in self.headings]
        labels += [(self.volume, "status", text), (self.today, "status", text)]
        labels += [(self.downloads, "status", text)]
        for label, role, colour in labels:
            label.setFont(theme.font(role, bold=role != "status"))
            label.setStyleSheet(f"color: {colour}; background: transparent;")
            label.setWordWrap(True)
        self.library.set_theme(theme)
        self._column.setContentsMargins(*theme.page_margins)
        self._column.setSpacing(theme.page_spacing)
        style_bar(self.progress, theme, 48)
        buttons = [*self.start_buttons, self.stop, self.quieter, self.louder, self.call]
        for button in [*buttons, self.leave]:
            button.theme = theme
            button.setFont(theme.font("status"))
            button.setMinimumHeight(theme.px(100))
