"""The kiosk's one window: header, the current screen, status strip.

It renders the navigator's :class:`~kiosk.navigation.View` and forwards every
key, touch and click to it. Built for one configuration (its tiles, colours and
words) over the kiosk's long-lived parts; a new configuration gets a new window.
Time rules (idle return, the timetable) are not its business: the composition
root ticks the parts; the window's own tick only moves the clock.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.alerts import AlertScreens
from kiosk.diagnostics import BoxFacts
from kiosk.i18n import Strings
from kiosk.leader import HOLD_S, LeaderGesture
from kiosk.lockout import PinGate
from kiosk.navigation import BANNER, Command, Navigator, Screen, View
from kiosk.notices import NOTICES_TARGET, TodaysNotices
from kiosk.programmes.conductor import Programmes
from kiosk.programmes.schedule import Banner
from kiosk.status import Status, StatusBoard
from kiosk.ui.alert import AlertPage
from kiosk.ui.banner import ScheduleBanner
from kiosk.ui.contacts import LeaderCallsPage
from kiosk.ui.diagnostics import DiagnosticsPage
from kiosk.ui.header import Header, StatusStrip
from kiosk.ui.home import HomeScreen
from kiosk.ui.leader import LeaderPage, PinPage
from kiosk.ui.notices import NoticePage, NoticesPage
from kiosk.ui.pages import MessagePage
from kiosk.ui.playing import PlayingScreen
from kiosk.ui.qt import (
    QCloseEvent,
    QColor,
    QEvent,
    QKeyEvent,
    QMouseEvent,
    QObject,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.screen import refuse_if_locked
from kiosk.ui.theme import Theme
from kiosk_contract.config.model import KioskConfig

if TYPE_CHECKING:
    from kiosk.calls.desk import CallDesk
    from kiosk.messages.service import MessageService
    from kiosk.missed import MissedCalls
    from kiosk.ui.call import CallPage
    from kiosk.ui.message import MessageScreen

log = logging.getLogger(__name__)

CORNER_HOLD_MS = round(HOLD_S * 1000)
"""Holding the top-left corner this long opens the leader's PIN keypad."""

_INPUT_EVENTS = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.KeyPress,
    QEvent.Type.Wheel,
}
FULL_SCREEN = (Screen.PLAYING, Screen.CALL, Screen.ALERT)
"""Screens without the header and the status strip."""


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
        programmes: Programmes,
        gate: PinGate,
        wall_clock: Callable[[], dt.datetime],
        facts: BoxFacts,
        speaker_test: Callable[[], object],
        open_monitor: Callable[[], Any],
        alerts: AlertScreens,
        notices: TodaysNotices,
        missed: "MissedCalls | None" = None,
    ) -> None:
        """*missed*: city hall's unanswered calls, shown above the home tiles."""
        super().__init__()
        self.config = config
        self.strings = strings
        self.navigator = navigator
        self.programmes = programmes
        self.alerts = alerts
        self.notices = notices
        self._wall_clock = wall_clock
        self.theme = Theme(config.display, 1080, icons)
        self.setWindowTitle(strings["app_title"])
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.header = Header(config.centre.name, strings, self.theme, self)
        self.home = HomeScreen(
            config.tiles, self.theme, strings.language, navigator.press_tile, self
        )
        self.page = MessagePage(strings, self.theme, navigator.go_home, self)
        self.playing = PlayingScreen(
            strings, self.theme, programmes.playback, navigator.go_home, self
        )
        self.pin = PinPage(strings, self.theme, gate, navigator.unlocked, navigator.go_home, self)
        self.leader = LeaderPage(
            config,
            strings,
            self.theme,
            programmes,
            navigator.go_home,
            navigator.open_leader_calls,
            self,
        )
        self.leader_calls = LeaderCallsPage(
            strings,
            self.theme,
            navigator.call_contact,
            navigator.focus_contact,
            navigator.leader_screen,
            self,
        )
        self.diagnostics = DiagnosticsPage(
            strings,
            self.theme,
            facts,
            speaker_test,
            navigator.go_home,
            open_monitor,
            config.revision,
            self,
        )
        self._diagnosing = False
        zone = self._zone
        self.alert = AlertPage(
            strings, self.theme, navigator.acknowledge, alerts.painted, zone, self
        )
        self.notices_page = NoticesPage(
            strings,
            self.theme,
            zone,
            navigator.open_notice,
            navigator.focus_notice,
            navigator.go_home,
            self,
        )
        self.notice_page = NoticePage(
            strings, self.theme, zone, navigator.notice_list, navigator.go_home, self
        )
        self.banner = ScheduleBanner(strings, self.theme, programmes.title_of, self)
        self.banner.clicked.connect(navigator.join_banner)
        self.call: CallPage | None = None
        self.message: MessageScreen | None = None
        self.stack = QStackedWidget(self)
        # The pages get the room between the bars, whatever they would like; each page
        # must fit it (the audit checks). A hidden page that changes its minimum does
        # not tell the stack, whose stale minimum would push the status strip off screen.
        ignored = QSizePolicy.Policy.Ignored
        self.stack.setSizePolicy(ignored, ignored)
        pages: list[QWidget] = [self.home, self.page, self.playing, self.pin, self.leader]
        pages.append(self.leader_calls)
        pages += [self.diagnostics, self.alert, self.notices_page, self.notice_page]
        for page in pages:
            self.stack.addWidget(page)
        self.status_strip = StatusStrip(strings, self.theme, self)
        column = QVBoxLayout(self)
        # The window takes the screen's size and its theme follows it; the pages must
        # fit whatever it is (tests/ui/test_accessibility.py checks they do). Left to
        # the layout, the pages' minimum at the old theme would push the window past
        # the screen's edges, where a full-screen kiosk cuts them off.
        column.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        column.addWidget(self.banner)
        column.addWidget(self.stack, 1)
        column.addWidget(self.status_strip)
        self.gesture = LeaderGesture()
        self.corner_timer = QTimer(self)
        self.corner_timer.setSingleShot(True)
        self.corner_timer.setInterval(CORNER_HOLD_MS)
        self.corner_timer.timeout.connect(navigator.open_leader)

        self._pages: dict[Screen, QWidget] = {
            Screen.HOME: self.home,
            Screen.PLAYING: self.playing,
            Screen.LEADER_PIN: self.pin,
            Screen.LEADER: self.leader,
            Screen.LEADER_CALLS: self.leader_calls,
            Screen.DIAGNOSTICS: self.diagnostics,
            Screen.NOT_READY: self.page,
            Screen.NOT_AVAILABLE: self.page,
            Screen.PLEASE_WAIT: self.page,
            Screen.ALERT: self.alert,
            Screen.NOTICES: self.notices_page,
            Screen.NOTICE: self.notice_page,
        }
        """The page showing each screen, registered once (CALL once calls are up)."""
        self._unsubscribe = [
            navigator.subscribe(self.show_view),
            status.subscribe(self.show_status),
            programmes.subscribe_banner(self.show_banner),
            notices.subscribe(self.show_notices),
            alerts.board.subscribe(self._alerts_changed),
            self.playing.forget,
        ]
        if missed is not None:
            self._unsubscribe.append(self.home.attach_missed(missed, navigator.press_missed))
        self.show_notices()
        self.show_banner(programmes.banner)
        self.show_status(status.status)
        self.show_view(navigator.view)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()
        self.header.show_time(self._wall_clock())

    def attach_calls(self, desk: "CallDesk", status: Status) -> None:
        """Calls are ready (aiortc loads after the first frame): add their screen."""
        from kiosk.ui.call import CallPage

        self.call = CallPage(self.strings, self.theme, desk, self)
        self.call.show_status(status)
        self.call.leave_message.clicked.connect(self.navigator.leave_message)
        self.call.home.clicked.connect(self.navigator.go_home)
        self.stack.addWidget(self.call)
        self._pages[Screen.CALL] = self.call
        self.show_view(self.navigator.view)

    def attach_messages(self, messages: "MessageService") -> None:
        """Video messages (의견 남기기): their screen, and the badge on their tile."""
        from kiosk.ui.message import MessageScreen

        self.message = MessageScreen(self.strings, self.theme, messages.desk, self)
        self.stack.addWidget(self.message)
        self._pages[Screen.MESSAGE] = self.message

        def badge(key: str) -> None:
            self.home.set_badge("message", "", self.strings[key] if key else "")

        badge(messages.badge)
        self._unsubscribe.append(messages.subscribe_badge(badge))
        self.show_view(self.navigator.view)

    # --- rendering ---------------------------------------------------------

    def show_view(self, view: View) -> None:
        """Show *view*: the home grid, a programme, leader mode or a message page."""
        screen = view.screen
        self._show_banner_bar(view)
        if self._diagnosing and screen is not Screen.DIAGNOSTICS:
            self._diagnosing = False
            self.diagnostics.closed()
        # A programme or call fills the whole screen; the clock and status return with home.
        for bar in (self.header, self.status_strip):
            bar.setVisible(screen not in FULL_SCREEN)
        if self.call is not None:
            self.call.alert_bar.show_alert(self.alerts.alert(view.alert))
        page = self._pages.get(screen, self.page)
        # "Nobody answered" with 의견 남기기 offered: the call page says it (contract C).
        offer = self.navigator.message_offer() is not None
        if self.call is not None:
            self.call.show_offer(view.entry if offer else None)
            page = self.call if offer else page
        if screen is Screen.HOME:
            self.home.set_focus_index(view.focus)
        elif screen is Screen.DIAGNOSTICS and not self._diagnosing:
            self._diagnosing = True
            self.diagnostics.opened()
        elif screen is Screen.LEADER_PIN:
            self.pin.reset()
        elif screen is Screen.LEADER:
            self.leader.refresh()
        elif screen is Screen.LEADER_CALLS:
            nav = self.navigator
            self.leader_calls.show_list(nav.contacts, view.entry, nav.no_contacts)
        elif screen is Screen.PLAYING:
            self.playing.show_now(self.programmes.playback.now)
        elif screen is Screen.ALERT:
            self._alerts_changed()
        elif screen in (Screen.NOTICES, Screen.NOTICE):
            self._show_notices(view)
        elif page is self.page:
            self._show_message(view)
        self.stack.setCurrentWidget(page)

    def _show_message(self, view: View) -> None:
        """The message page for NOT_READY, NOT_AVAILABLE and PLEASE_WAIT (or a call
        screen asked for before calls are up)."""
        strings, theme, screen = self.strings, self.theme, view.screen
        if screen is Screen.NOT_READY:
            key = view.notice or "video_not_ready"
            self.page.show_message(strings[key], strings[f"{key}_detail"], "wait", theme.background)
        elif screen is Screen.NOT_AVAILABLE and view.tile is not None:
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

    def _alerts_changed(self) -> None:
        """Another alert came behind the one on screen (a change of the one on screen
        comes as a new view)."""
        view = self.navigator.view
        if view.screen is Screen.ALERT:
            self.alert.show_alert(
                view.alert, self.alerts.alert(view.alert), self.alerts.waiting_after()
            )

    def show_notices(self) -> None:
        """Today's notices changed (a new day, one opened, an alert acknowledged): the
        home tile's badge, and the notices' page if it shows."""
        unseen = self.notices.unseen()
        badge = self.strings["notices_new"].format(count=unseen) if unseen else ""
        self.home.set_badge("info", NOTICES_TARGET, badge)
        view = self.navigator.view
        if view.screen in (Screen.NOTICES, Screen.NOTICE):
            self._show_notices(view)

    def _show_notices(self, view: View) -> None:
        entries = self.notices.entries()
        if view.screen is Screen.NOTICES:
            unseen = self.notices.unseen_keys()
            self.notices_page.show_list(entries, min(view.entry, len(entries)), unseen)
        else:
            entry = entries[view.entry] if view.entry < len(entries) else None
            self.notice_page.show_entry(entry, view.entry + 1, len(entries))

    def _zone(self) -> dt.tzinfo | None:
        return self._wall_clock().tzinfo

    def show_banner(self, banner: Banner | None) -> None:
        self.banner.show_banner(banner)
        self._show_banner_bar(self.navigator.view)

    def _show_banner_bar(self, view: View) -> None:
        shown = view.screen is Screen.HOME and self.banner.banner is not None
        self.banner.setVisible(shown)
        self.home.missed.set_waiting(self.banner.banner is not None)  # see missed_shown
        self.banner.focused = shown and view.focus == BANNER
        self.banner.update()

    def show_status(self, status: Status) -> None:
        self.status_strip.show_status(status)
        self.leader.show_downloads(status.downloads)
        self.diagnostics.show_status(status)
        if self.call is not None:
            self.call.show_status(status)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        height = event.size().height()
        if height != self.theme.height:
            self.theme = Theme(self.config.display, height, self.theme.icons)
            parts = (self.header, self.home, self.page, self.status_strip, self.playing)
            for part in (*parts, self.pin, self.leader, self.banner, self.diagnostics):
                part.set_theme(self.theme)
            for page in (self.alert, self.notices_page, self.notice_page, self.leader_calls):
                page.set_theme(self.theme)
            if self.call is not None:
                self.call.set_theme(self.theme)
            if self.message is not None:
                self.message.set_theme(self.theme)
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
        if not self._key(key_name(event)):
            super().keyPressEvent(event)

    def _key(self, name: str) -> bool:
        """The current screen's own keys first, then the navigator's."""
        nav = self.navigator
        if name.casefold() in (k.casefold() for k in self.config.keys.leader):
            if self.gesture.key(time.monotonic()):
                nav.open_leader()
            return True
        screen = nav.view.screen
        if screen is Screen.LEADER_PIN and self.pin.key(name):
            nav.note_input()
            return True
        command = nav.keymap.resolve(name)
        if (
            screen is Screen.CALL
            and self.call is not None
            and isinstance(command, Command)
            and self.call.command(command)
        ):
            nav.note_input()
            return True
        if (
            screen is Screen.MESSAGE
            and self.message is not None
            and command is not Command.BACK
            and self.message.key(command)
        ):
            nav.note_input()
            return True
        if (
            screen is Screen.PLAYING
            and isinstance(command, Command)
            and command is not Command.BACK
            and self.playing.command(command)
        ):
            nav.note_input()
            return True
        return nav.key(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in _INPUT_EVENTS:
            self.navigator.note_input()
            if self.navigator.view.screen is Screen.PLAYING:
                self.playing.poke()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            spot = self.mapFromGlobal(event.globalPosition().toPoint())
            corner = spot.x() < self.width() // 10 and spot.y() < self.height() // 10
            if corner and self.isActiveWindow():
                self.corner_timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self.corner_timer.stop()
        return False

    def tick(self) -> None:
        """The clock in the header (the parts' time rules are ticked by the root)."""
        self.header.show_time(self._wall_clock())

    def close_window(self) -> None:
        """Stop the tick, the diagnostics' live checks, and unsubscribe. Safe to call twice."""
        self.ticker.stop()
        self.diagnostics.release()
        if self.call is not None:
            self.call.close_page()
        if self.message is not None:
            self.message.close_page()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
