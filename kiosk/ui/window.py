"""The kiosk's one window: header, the current screen, status strip.

It renders the navigator's :class:`~kiosk.navigation.View` and forwards every
key, touch and click to it. A one-second tick drives the clock and the
navigator's time rules (idle return, leaving "please wait").
"""

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.config.model import KioskConfig
from kiosk.i18n import Strings
from kiosk.navigation import Navigator, Screen, View
from kiosk.status import StatusBoard
from kiosk.ui.header import Header, StatusStrip
from kiosk.ui.home import HomeScreen
from kiosk.ui.pages import MessagePage
from kiosk.ui.qt import (
    QCloseEvent,
    QColor,
    QEvent,
    QKeyEvent,
    QObject,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.screen import refuse_if_locked
from kiosk.ui.theme import Theme

log = logging.getLogger(__name__)

_INPUT_EVENTS = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.KeyPress,
    QEvent.Type.Wheel,
}


def _wall_clock(timezone: str) -> Callable[[], dt.datetime]:
    """Now in the centre's time zone; the box's own zone if that one is unknown here."""
    try:
        zone: dt.tzinfo | None = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        log.error(
            "time zone %r unknown on this box (is tzdata installed?); using local time", timezone
        )
        zone = None
    return lambda: dt.datetime.now(zone).astimezone(zone)


def key_name(event: QKeyEvent) -> str:
    """Qt's name of the key without the ``Key_`` prefix (``Escape``, ``F1``, ``1``)."""
    try:
        return Qt.Key(event.key()).name.removeprefix("Key_")
    except ValueError:
        return event.text()


class KioskWindow(QWidget):
    """The kiosk's top-level window."""

    def __init__(
        self,
        config: KioskConfig,
        strings: Strings,
        navigator: Navigator,
        status: StatusBoard,
        icons: Path,
        wall_clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.strings = strings
        self.navigator = navigator
        self._wall_clock = wall_clock or _wall_clock(config.centre.timezone)
        self.theme = Theme(config.display, 1080, icons)
        self.setWindowTitle(strings["app_title"])
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.header = Header(config.centre.name, strings, self.theme, self)
        self.home = HomeScreen(
            config.tiles, self.theme, strings.language, navigator.press_tile, self
        )
        self.page = MessagePage(strings, self.theme, navigator.go_home, self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.home)
        self.stack.addWidget(self.page)
        self.status_strip = StatusStrip(strings, self.theme, self)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        column.addWidget(self.stack, 1)
        column.addWidget(self.status_strip)

        self._unsubscribe = [
            navigator.subscribe(self.show_view),
            status.subscribe(self.status_strip.show_status),
        ]
        self.status_strip.show_status(status.status)
        self.show_view(navigator.view)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()
        self.header.show_time(self._wall_clock())

    # --- rendering ---------------------------------------------------------

    def show_view(self, view: View) -> None:
        """Show *view*: the home grid or a message page."""
        if view.screen is Screen.HOME:
            self.home.set_focus_index(view.focus)
            self.stack.setCurrentWidget(self.home)
            return
        strings, theme = self.strings, self.theme
        if view.screen is Screen.NOT_AVAILABLE and view.tile is not None:
            tile = view.tile
            self.page.show_message(
                tile.labels(strings.language, show_english=False)[0],
                f"{strings['not_available_title']}\n{strings['not_available_detail']}",
                tile.icon,
                QColor(tile.colour),
            )
        else:
            self.page.show_message(
                strings["please_wait"], strings["please_wait_detail"], "wait", theme.background
            )
        self.stack.setCurrentWidget(self.page)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        height = event.size().height()
        if height != self.theme.height:
            self.theme = Theme(self.config.display, height, self.theme.icons)
            for part in (self.header, self.home, self.page, self.status_strip):
                part.set_theme(self.theme)
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.theme.background)
        painter.end()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not refuse_if_locked(self, event):
            super().closeEvent(event)

    # --- input ---------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.navigator.key(key_name(event)):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in _INPUT_EVENTS:
            self.navigator.note_input()
        return False

    def tick(self) -> None:
        self.header.show_time(self._wall_clock())
        self.navigator.tick()

    def close_window(self) -> None:
        """Stop the tick and unsubscribe. Safe to call twice."""
        self.ticker.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
