"""The technician's screen of a box that is not enrolled: hardware id and a big keypad.

The technician types the centre number, presses OK, then types city hall's
12-digit one-time code on the same keypad (shown in groups of four).

The blocking enrolment runs on a worker thread; its result comes back to the
GUI thread through the queued :attr:`EnrolmentWindow.finished` signal.
"""

import logging

from kiosk.i18n import Strings
from kiosk.paths import Paths
from kiosk.sync.enrolment import hardware_id
from kiosk.sync.onscreen import (
    CentreNumber,
    EnrolmentDefaults,
    EnrolmentOutcome,
    enrol_and_sync,
    holds,
)
from kiosk.ui.buttons import build_keypad, keypad_key
from kiosk.ui.handback import QtHandBack
from kiosk.ui.qt import (
    QCloseEvent,
    QKeyEvent,
    QLabel,
    QResizeEvent,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from kiosk.ui.screen import refuse_if_locked
from kiosk.ui.theme import Theme
from kiosk.ui.window import key_name
from kiosk.work import Worker

log = logging.getLogger(__name__)


class EnrolmentWindow(QWidget):
    """Emits :attr:`enrolled` once the box is enrolled and has its configuration."""

    enrolled = Signal()

    def __init__(
        self, paths: Paths, defaults: EnrolmentDefaults | None, strings: Strings, theme: Theme
    ) -> None:
        super().__init__()
        self._paths = paths
        self._defaults = defaults
        self._strings = strings
        self.theme = theme
        self.number = (
            CentreNumber(defaults, lambda centre: holds(paths, centre)) if defaults else None
        )
        self.working = False
        self.title = QLabel(strings["enrol_title"], self)
        self.hardware = QLabel(f"{strings['enrol_hardware']}: {hardware_id()}", self)
        self.hint = QLabel(
            strings["enrol_hint"] if defaults else strings["enrol_no_defaults"], self
        )
        self.entry = QLabel(self)
        self.message = QLabel(self)
        column = self._column = QVBoxLayout(self)
        # The window takes the screen's size and its theme follows it (as the kiosk's
        # window does): the keypad's minimum at the old theme must not push it larger.
        column.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        for label in (self.title, self.hardware, self.hint, self.entry):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            column.addWidget(label)
        pad, self.keys = build_keypad(strings, theme, self, self.press)
        for button in self.keys.values():
            button.setEnabled(defaults is not None)
            # Without the shipped defaults the keypad can do nothing: the message
            # (run kiosk enroll) has the screen.
            button.setVisible(defaults is not None)
        column.addLayout(pad, 1)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        column.addWidget(self.message)
        self._worker = Worker("kiosk-enrol", QtHandBack(self))
        self._apply_theme()
        self._show_entry()

    def press(self, key: str) -> None:
        """A keypad key (``0``–``9``, ``delete``, ``ok``) was pressed."""
        if self.number is None or self.working:
            return
        if key == "delete":
            self.number.delete()
        elif key == "ok":
            asking = self.number.asking_code
            if self.number.confirm():
                self._start()
                return
            if self.number.asking_code and not asking:
                log.info("enrolment: %s, asking for the code", self.number.centre_id)
        else:
            self.number.press(key)
        self.message.setText("")
        self._show_entry()

    def _show_entry(self) -> None:
        if self.number is None or self._defaults is None:
            self.entry.setText("")
            return
        if self.number.asking_code:
            centre = self.number.centre_id
            self.title.setText(self._strings["enrol_code_title"].format(centre=centre))
            self.hint.setText(self._strings["enrol_code_hint"])
            self.entry.setText(self.number.code_shown)
        else:
            self.title.setText(self._strings["enrol_title"])
            self.hint.setText(self._strings["enrol_hint"])
            blanks = "_" * (self._defaults.digits - len(self.number.digits))
            self.entry.setText(f"{self._defaults.centre_prefix}{self.number.digits}{blanks}")
        self.keys["ok"].setEnabled(self.number.complete)

    def _start(self) -> None:
        assert self.number is not None and self._defaults is not None
        self.working = True
        for button in self.keys.values():
            button.setEnabled(False)
        self.message.setText(self._strings["enrol_working"])
        centre_id, code = self.number.centre_id, self.number.code
        defaults, paths = self._defaults, self._paths
        self._worker.run(
            lambda: enrol_and_sync(paths, defaults, centre_id, code),
            self._on_finished,
            lambda error: self._on_finished((EnrolmentOutcome.REFUSED, str(error))),
        )

    def _on_finished(self, outcome: tuple[str, str]) -> None:
        key, reason = outcome
        self.working = False
        self.message.setText(self._strings[key])
        self.message.setToolTip(reason)
        if key == EnrolmentOutcome.DONE:
            self.enrolled.emit()
            return
        if key == EnrolmentOutcome.WRONG_CODE and self.number is not None:
            self.number.code = ""  # a wrong code is typed again whole
        for button in self.keys.values():
            button.setEnabled(True)
        self._show_entry()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not refuse_if_locked(self, event):
            super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = keypad_key(key_name(event))
        if key is not None:
            self.press(key)
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        self.theme = Theme(self.theme.display, event.size().height(), self.theme.icons)
        self._apply_theme()
        super().resizeEvent(event)

    def _apply_theme(self) -> None:
        theme = self.theme
        self.setStyleSheet(f"background: {theme.display.background};")
        styles = {
            self.title: ("title", theme.display.text),
            self.hardware: ("status", theme.display.text),
            self.hint: ("detail", theme.display.text),
            self.entry: ("title", theme.display.accent),
            self.message: ("detail", theme.display.accent),
        }
        for label, (role, colour) in styles.items():
            label.setFont(theme.font(role, bold=role == "title"))
            label.setStyleSheet(f"color: {colour}; background: transparent;")
        for button in self.keys.values():
            button.theme = theme
            button.setFont(theme.font("button"))
            button.setMinimumHeight(theme.px(96))
        self._column.setContentsMargins(*theme.page_margins)
        self._column.setSpacing(theme.page_spacing)
