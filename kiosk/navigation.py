"""Where the senior is, and how presses, keys and time move them. Qt-free.

The :class:`Navigator` owns the one piece of state every screen depends on
(which screen, which tile, where the focus ring is, and which activity goes on
behind it). The UI renders its :class:`View` and forwards presses; all rules
(idle return, error recovery, what a key does) live here so they can be tested
without a screen. Call every method from the GUI thread.

Activities: a programme fills the PLAYING screen, a call the CALL screen. Leader
mode may open over a programme (which plays on behind it; leaving returns to it)
but never over a call: a call in progress is never hidden or hung up by the
leader's gesture, it ends only by its own buttons or from the far side.

Alerts from city hall (:meth:`Navigator.set_alert`) take over every screen but a
call's: while one waits to be acknowledged, any screen the senior would reach
becomes the ALERT screen (a programme behind it ends, leader mode closes); over a
call the alert rides along in :attr:`View.alert` (the call page shows it as a
banner) and fills the screen as soon as the call ends. The ALERT screen leaves
only by its 확인 (:meth:`Navigator.acknowledge`), never by idle time or Escape.

The leader calls city hall from LEADER_CALLS, the list of the configuration's contacts:
a press (or the row's number key) places the call through the contact opener (the call
screens', :meth:`Navigator.set_contact_opener`), and the call fills the screen as a
senior's call does; a programme behind leader mode ends with it.
"""

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from kiosk_contract.config.calls import Calls, Contact
from kiosk_contract.config.model import Idle, Keys, KioskConfig, Tile, TileAction

log = logging.getLogger(__name__)


class Screen(enum.Enum):
    """The screens a senior can be on."""

    HOME = "home"
    NOT_AVAILABLE = "not_available"
    """A tile whose capability is not built yet: says so, with a way home."""
    PLEASE_WAIT = "please_wait"
    """Something went wrong: a calm message, then home by itself."""
    NOT_READY = "not_ready"
    """A programme that cannot play (yet): a calm message, then home by itself."""
    PLAYING = "playing"
    """A programme or live broadcast fills the screen."""
    LEADER_PIN = "leader_pin"
    """The centre leader enters a PIN on a big keypad."""
    LEADER = "leader"
    """The leader's screen: start programmes, volume, schedule, downloads."""
    LEADER_CALLS = "leader_calls"
    """The leader's list of city-hall contacts, one press calls one; :attr:`View.entry`
    is the focused row (the row count itself: the back button)."""
    DIAGNOSTICS = "diagnostics"
    """The technician's screen: devices, live camera, microphone level, network."""
    CALL = "call"
    """A call or group session: ringing, dialling, talking (see :mod:`kiosk.calls`)."""
    ALERT = "alert"
    """An alert from city hall fills the screen until 확인 is pressed."""
    NOTICES = "notices"
    """Today's notices (오늘의 안내) as a list; :attr:`View.entry` is the focused row."""
    NOTICE = "notice"
    """One of today's notices, large and read aloud; :attr:`View.entry` says which."""
    MESSAGE = "message"
    """A video message to city hall (의견 남기기): its own page takes the keys (see
    :mod:`kiosk.messages.desk`); leaving it throws away what was not sent."""


_MESSAGES = (Screen.PLEASE_WAIT, Screen.NOT_READY)
OFFER_MESSAGE = "call_unavailable"
"""The NOT_READY notice ("nobody answered") on which 의견 남기기 is offered, when the
configuration has a message tile (see :meth:`Navigator.message_offer`)."""
NOTICE_SCREENS = (Screen.NOTICES, Screen.NOTICE)
ALERT_SETTLE_S = 1.5
"""확인 pressed sooner than this after an alert filled the screen is not taken: a touch
or key already under way when the alert came would dismiss it unread."""
"""Where number keys choose a notice instead of a tile."""
"""Screens that go home by themselves after ``idle.please_wait_s``."""
LEADER_SCREENS = (Screen.LEADER_PIN, Screen.LEADER, Screen.LEADER_CALLS, Screen.DIAGNOSTICS)
"""Behind the PIN: may open over a programme, which plays on behind it, and leave
by themselves after ``leader.leave_after_s``."""


class Activity(enum.Enum):
    """What goes on behind the screen, whichever page shows."""

    NONE = "none"
    PROGRAMME = "programme"
    """A programme or live broadcast plays (on PLAYING, or behind leader mode)."""
    CALL = "call"
    """A call or group session is up or ringing (on CALL)."""


ACTIVITY_OF = {Screen.PLAYING: Activity.PROGRAMME, Screen.CALL: Activity.CALL}
"""The activity that fills each of these screens."""
SCREEN_OF = {activity: screen for screen, activity in ACTIVITY_OF.items()}


class Command(enum.Enum):
    """What a key asks for (see :class:`kiosk_contract.config.model.Keys`)."""

    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    ACTIVATE = "activate"
    BACK = "back"


@dataclass(frozen=True)
class View:
    """What the screen shows now."""

    screen: Screen
    tile: Tile | None = None
    """The tile whose screen is open (``None`` on home and please-wait)."""
    focus: int = 0
    """Index of the home tile inside the focus ring; :data:`BANNER` for the schedule banner."""
    notice: str = ""
    """Strings key of the message on a NOT_READY screen."""
    behind: Activity = Activity.NONE
    """The activity going on: its own screen's, or the programme behind leader mode."""
    alert: str = ""
    """The alert waiting to be acknowledged (its key, see :meth:`Navigator.set_alert`):
    the one the ALERT screen shows, or the call page's banner; empty when none."""
    entry: int = 0
    """On NOTICES the focused row (the row count itself: the home button); on NOTICE
    the notice shown; on LEADER_CALLS the focused contact (the count: the back button)."""


BANNER = -1
"""Focus index of the schedule banner above the tiles."""
MISSED_CALL = -2
"""Focus index of the missed-call notice's 전화하기, above the tiles (see :mod:`kiosk.missed`)."""
MISSED_OK = -3
"""Focus index of the missed-call notice's 확인, beside its 전화하기."""
MISSED = (MISSED_CALL, MISSED_OK)

MissedButtons = tuple[Callable[[], object], Callable[[], object]]
"""What the missed-call notice's 전화하기 and 확인 do."""


def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns of the home grid for *count* tiles (2–6) on a wide screen."""
    if count <= 3:
        return 1, count
    if count == 4:
        return 2, 2
    return 2, 3


class KeyMap:
    """Resolves key names (Qt's, case-insensitive) to tile numbers or commands."""

    def __init__(self, keys: Keys) -> None:
        self._tiles = {name.casefold(): i for i, name in enumerate(keys.tiles)}
        self._commands = {
            name.casefold(): command for command in Command for name in getattr(keys, command.value)
        }

    def resolve(self, key_name: str) -> int | Command | None:
        """Tile index (0-based), a command, or ``None`` for a key that does nothing."""
        folded = key_name.casefold()
        if folded in self._tiles:
            return self._tiles[folded]
        return self._commands.get(folded)


Opener = Callable[[Tile], Screen]
"""Starts a tile's capability and names the screen that shows it."""
ContactOpener = Callable[[Contact], Screen]
"""Places the leader's call to a contact and names the screen that shows it."""


def leader_contacts(calls: Calls) -> list[Contact]:
    """Whom the leader's list offers to call: the configured contacts, in order; nobody
    without a call server (there is nothing to call them through)."""
    return list(calls.contacts) if calls.server is not None else []


def no_contacts_reason(calls: Calls) -> str:
    """Strings key of why the leader's list has nobody to call (see :func:`leader_contacts`)."""
    return "leader_calls_no_server" if calls.server is None else "leader_calls_none"


class Navigator:
    """The state machine behind every screen.

    *clock* gives monotonic seconds; tests pass a fake. *openers* maps a tile
    action to the capability that handles it; actions without one open the
    "not available yet" screen. *announce* is called with each pressed tile
    (spoken guidance). *calls* give the leader's list of contacts (:func:`leader_contacts`).
    """

    def __init__(
        self,
        tiles: Sequence[Tile],
        keys: Keys,
        idle: Idle,
        clock: Callable[[], float],
        leader_idle_s: float = 120,
        announce: Callable[[Tile], None] = lambda tile: None,
        openers: dict[TileAction, Opener] | None = None,
        calls: Calls | None = None,
    ) -> None:
        self._tiles = list(tiles)
        self._calls = calls or Calls()
        self._contacts = leader_contacts(self._calls)
        self._contact_opener: ContactOpener | None = None
        self._keys = KeyMap(keys)
        self._idle = idle
        self._clock = clock
        self._announce = announce
        self._openers = dict(openers or {})
        self._view = View(Screen.HOME)
        self._listeners: list[Callable[[View], None]] = []
        self._last_input = clock()
        self._please_wait_until = 0.0
        self._leader_idle_s = leader_idle_s
        self.on_banner: Callable[[], object] | None = None
        """Joins the programme the schedule banner announces; ``None`` while there is none."""
        self.on_missed: MissedButtons | None = None
        """The missed-call notice's two buttons; ``None`` while there is no notice."""
        self._alert = ""
        self._alert_shown_at = 0.0
        self.on_acknowledge: Callable[[], object] = lambda: None
        """확인 was pressed on the ALERT screen (the alert screens' acknowledgement)."""
        self.notice_count: Callable[[], int] = lambda: 0
        """How many notices today's list holds (the notices' count)."""

    @property
    def view(self) -> View:
        return self._view

    @property
    def keymap(self) -> KeyMap:
        return self._keys

    @property
    def tiles(self) -> list[Tile]:
        return list(self._tiles)

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration (applied only at a safe moment, on the home screen):
        its tiles, keys and idle times from now on; the focus ring starts on the first tile."""
        self._tiles = list(config.tiles)
        self._keys = KeyMap(config.keys)
        self._idle = config.idle
        self._leader_idle_s = config.leader.leave_after_s
        self._calls = config.calls
        self._contacts = leader_contacts(config.calls)
        self.on_banner = None
        self._set(View(Screen.HOME))

    def set_opener(self, action: TileAction, opener: Opener) -> None:
        """*opener* starts tiles of *action* from now on."""
        self._openers[action] = opener

    def set_contact_opener(self, opener: ContactOpener | None) -> None:
        """*opener* places the leader's calls from now on (the call screens, once up;
        ``None`` once they are gone)."""
        self._contact_opener = opener

    @property
    def contacts(self) -> list[Contact]:
        """The leader's list of city-hall contacts, in order."""
        return list(self._contacts)

    @property
    def no_contacts(self) -> str:
        """Strings key of why the leader's list is empty, when it is."""
        return no_contacts_reason(self._calls)

    def subscribe(self, listener: Callable[[View], None]) -> Callable[[], None]:
        """Call *listener* with each new view; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def busy(self) -> bool:
        """Something is playing or a call is up: no idle return, no tile keys."""
        return self._view.behind is not Activity.NONE

    def is_safe_moment(self, quiet_s: float) -> bool:
        """Nobody is using the kiosk: home screen, nothing playing, no touch or key
        for *quiet_s* seconds. The moment to apply a new configuration."""
        quiet = self._clock() - self._last_input >= quiet_s
        return self._view.screen is Screen.HOME and not self.busy and quiet

    def activity_ended(self, activity: Activity) -> None:
        """*activity* is over (the programme ran out, the call ended). On its own
        screen: home (its owner may first show why, with :meth:`show_not_ready`).
        Behind leader mode: leader mode stays, with nothing behind it any more.
        The idle countdown starts afresh."""
        view = self._view
        if view.behind is not activity:
            return
        self.note_input()
        if view.screen is SCREEN_OF[activity]:
            self.go_home()
        else:
            self._set(replace(view, behind=Activity.NONE))

    # --- input -----------------------------------------------------------

    def key(self, key_name: str) -> bool:
        """Handle a key by name; ``True`` if it did something."""
        self.note_input()
        action = self._keys.resolve(key_name)
        if action is None:
            return False
        if isinstance(action, int):
            if action == 0 and self.message_offer() is not None:
                return self.leave_message()  # key 1: 의견 남기기 (see message_offer)
            if self._view.screen in NOTICE_SCREENS:
                return self.open_notice(action)
            if self._view.screen is Screen.LEADER_CALLS:
                return self.call_contact(action)
            return self.press_tile(action)
        return self.command(action)

    def command(self, command: Command) -> bool:
        """Apply a navigation command; ``True`` if it did something."""
        self.note_input()
        view = self._view
        if view.screen is Screen.ALERT:
            # One control, 확인; Escape does not dismiss an alert unread.
            return self.acknowledge() if command is Command.ACTIVATE else False
        if command is Command.BACK:
            return self.go_home()
        if view.screen in NOTICE_SCREENS:
            return self._notices_command(command)
        if view.screen is Screen.LEADER_CALLS:
            return self._contacts_command(command)
        if self.message_offer() is not None:
            return self._offer_command(command)
        if view.screen is not Screen.HOME:
            # Other screens hold one control, the big home button.
            return self.go_home() if command is Command.ACTIVATE else False
        if command is Command.ACTIVATE:
            if view.focus == BANNER:
                return self.join_banner()
            if view.focus in MISSED:
                return self.press_missed(view.focus)
            return self.press_tile(view.focus)
        focus = self._moved(view.focus, command)
        if focus == view.focus:
            return False
        self._set(replace(view, focus=focus))
        return True

    def press_tile(self, index: int) -> bool:
        """A tile was pressed (touch, mouse, or its number key)."""
        self.note_input()
        if self.busy or not 0 <= index < len(self._tiles) or self._view.screen is Screen.ALERT:
            return False
        tile = self._tiles[index]
        self._announce(tile)
        opener = self._openers.get(tile.action)
        try:
            screen = opener(tile) if opener else Screen.NOT_AVAILABLE
        except Exception:  # supervision boundary of every capability
            log.exception("tile %s could not start", tile.id)
            self._view = replace(self._view, focus=index)
            self.fail()
            return True
        # An opener that already showed its own message keeps it.
        notice = self._view.notice if screen is self._view.screen else ""
        behind = ACTIVITY_OF.get(screen, Activity.NONE)
        self._set(View(screen, tile, focus=index, notice=notice, behind=behind))
        return True

    def join_banner(self) -> bool:
        """The schedule banner was pressed."""
        self.note_input()
        if self.busy or self.on_banner is None or self._view.screen is not Screen.HOME:
            return False
        self.on_banner()
        return True

    def set_banner(self, join: Callable[[], object] | None) -> None:
        """The schedule banner appeared (with what joining does) or went away."""
        self.on_banner = join
        if join is None and self._view.focus == BANNER:
            self._set(replace(self._view, focus=0))
        elif join is not None and self._view.focus in MISSED:
            self._set(replace(self._view, focus=BANNER))  # the notice steps aside for it

    def set_missed(self, buttons: MissedButtons | None) -> None:
        """The missed-call notice appeared (with what its buttons do) or went away."""
        self.on_missed = buttons
        if buttons is None and self._view.focus in MISSED:
            self._set(replace(self._view, focus=0))

    @property
    def missed_shown(self) -> bool:
        """The missed-call notice is above the tiles: there is one, and no schedule
        banner (above two rows of tiles there is no room for both, and the banner is
        about now: the notice comes back when it goes)."""
        return self.on_missed is not None and self.on_banner is None

    def press_missed(self, which: int) -> bool:
        """A button of the missed-call notice was pressed (:data:`MISSED_CALL` or
        :data:`MISSED_OK`; touch, or Enter on it)."""
        self.note_input()
        buttons = self.on_missed
        if self.busy or buttons is None or self.on_banner is not None:
            return False
        if self._view.screen is not Screen.HOME:
            return False
        buttons[0 if which == MISSED_CALL else 1]()
        return True

    def call_back(self, contact_id: str) -> bool:
        """Call the configured contact *contact_id* from the home screen (the missed-call
        notice), exactly as the leader's list does; ``True`` if the call started (its
        screen shows), else the screen says why not."""
        self.note_input()
        contact = self._calls.contact(contact_id)
        if contact is None:
            log.info("no contact %s to call back any more", contact_id)
            self.show_not_ready("call_unavailable")
            return False
        log.info("calling %s back", contact.name)
        return self._place(contact)

    def show_playing(self) -> None:
        """A programme started (tile, banner, schedule or leader): it fills the screen."""
        self._set(View(Screen.PLAYING, focus=max(self._view.focus, 0), behind=Activity.PROGRAMME))

    def show_call(self) -> None:
        """A call rings, or a call or group session starts from the schedule: it fills
        the screen until it ends."""
        self._set(View(Screen.CALL, focus=max(self._view.focus, 0), behind=Activity.CALL))

    def show_not_ready(self, notice: str) -> None:
        """Something cannot play: say *notice* calmly, then go home by itself (after
        the idle time where a message to city hall is offered: a choice needs time)."""
        offer = notice == OFFER_MESSAGE and self._message_tile() is not None
        wait = self._idle.return_home_after_s if offer else self._idle.please_wait_s
        self._please_wait_until = self._clock() + wait
        self._set(View(Screen.NOT_READY, focus=max(self._view.focus, 0), notice=notice))

    # --- "nobody answered": 의견 남기기 (issue 15, contract C) ---------------------

    def message_offer(self) -> int | None:
        """The message tile's index while the "nobody answered" screen offers to leave
        a message (:attr:`View.entry`: 0 its 의견 남기기 focused, 1 the home button);
        ``None`` on any other screen, or without a message tile."""
        view = self._view
        if view.screen is not Screen.NOT_READY or view.notice != OFFER_MESSAGE:
            return None
        return self._message_tile()

    def leave_message(self) -> bool:
        """의견 남기기 pressed (touch, key 1, or Enter on it): exactly the message tile's
        press."""
        index = self.message_offer()
        return index is not None and self.press_tile(index)

    def _message_tile(self) -> int | None:
        return next((i for i, t in enumerate(self._tiles) if t.action == "message"), None)

    def _offer_command(self, command: Command) -> bool:
        """Keys on the offer: Left/Up reach 의견 남기기, Right/Down the home button,
        Enter presses the one in the ring."""
        entry = self._view.entry
        if command is Command.ACTIVATE:
            return self.leave_message() if entry == 0 else self.go_home()
        target = 0 if command in (Command.LEFT, Command.UP) else 1
        if target == entry:
            return False
        self._set(replace(self._view, entry=target))
        return True

    def open_leader(self) -> bool:
        """The leader's gesture: the PIN keypad, also over a programme (to stop it), but
        never over a call (see the module notes)."""
        view = self._view
        if view.screen in LEADER_SCREENS or view.screen is Screen.ALERT:
            return False
        if view.behind is Activity.CALL:
            log.info("leader mode not opened: a call is up")
            return False
        self.note_input()
        self._set(View(Screen.LEADER_PIN, focus=max(view.focus, 0), behind=view.behind))
        return True

    def unlocked(self, door: str) -> None:
        """The right PIN was entered: the leader's screen or the technician's."""
        self.note_input()
        screen = Screen.DIAGNOSTICS if door == "technician" else Screen.LEADER
        self._set(replace(self._view, screen=screen, tile=None, notice=""))

    def go_home(self) -> bool:
        """Return to the home screen, keeping the focus where it was.

        Leaving leader mode while a programme still plays returns to the programme.
        Leaving a programme's or a call's screen ends it (its owner stops it on seeing
        the view change).
        """
        view = self._view
        if view.screen in (Screen.HOME, Screen.ALERT):
            return False
        if view.screen in LEADER_SCREENS and view.behind is Activity.PROGRAMME:
            self._set(View(Screen.PLAYING, focus=view.focus, behind=Activity.PROGRAMME))
            return True
        self._set(View(Screen.HOME, focus=max(view.focus, 0)))
        return True

    def note_input(self) -> None:
        """A touch, click or key happened: restart the idle countdown."""
        self._last_input = self._clock()

    # --- alerts ------------------------------------------------------------------

    def set_alert(self, key: str) -> None:
        """The alert waiting to be acknowledged is now *key* (empty: none is left).

        An alert fills the screen at once, unless a call is up (see the module notes);
        none left: the ALERT screen gives way to home."""
        if key == self._alert:
            return
        self._alert = key
        view = self._view
        if key:
            log.info("alert %s waits to be acknowledged", key)
            self._set(view)  # becomes the ALERT screen, or the call's banner
        elif view.screen is Screen.ALERT:
            self._set(View(Screen.HOME, focus=view.focus))
        else:
            self._set(replace(view, alert=""))

    def acknowledge(self) -> bool:
        """확인 on the ALERT screen (touch, click or an activate key)."""
        self.note_input()
        if self._view.screen is not Screen.ALERT:
            return False
        waited = self._clock() - self._alert_shown_at
        if waited < ALERT_SETTLE_S:
            log.info("확인 pressed %.1f s after the alert came: not taken", waited)
            return False
        self.on_acknowledge()
        return True

    # --- today's notices ---------------------------------------------------------

    def open_notice(self, index: int) -> bool:
        """Row *index* of today's notices was chosen (touch, its number key, Enter)."""
        self.note_input()
        if self._view.screen not in NOTICE_SCREENS or not 0 <= index < self.notice_count():
            return False
        self._set(replace(self._view, screen=Screen.NOTICE, entry=index))
        return True

    def focus_notice(self, index: int) -> bool:
        """The ring to row *index* of the list (a press that turns its page)."""
        self.note_input()
        view = self._view
        if view.screen is not Screen.NOTICES or not 0 <= index <= self.notice_count():
            return False
        self._set(replace(view, entry=index))
        return True

    def notice_list(self) -> bool:
        """Back from one notice to the list, its row in the focus ring."""
        self.note_input()
        if self._view.screen is not Screen.NOTICE:
            return False
        self._set(replace(self._view, screen=Screen.NOTICES))
        return True

    def _notices_command(self, command: Command) -> bool:
        """Keys on the notices' screens. The list: Up and Down move the ring over its rows
        and, below the last, the home button; Enter presses what it is on. One notice:
        Up and Down show the one before and after, Left the list, Enter goes home."""
        view, count = self._view, self.notice_count()
        step = {Command.UP: -1, Command.DOWN: 1}.get(command, 0)
        if view.screen is Screen.NOTICE:
            if command is Command.ACTIVATE:
                return self.go_home()
            if command is Command.LEFT:
                return self.notice_list()
            return step != 0 and self.open_notice(view.entry + step)
        entry = min(view.entry, count)
        if command is Command.ACTIVATE:
            return self.open_notice(entry) if entry < count else self.go_home()
        return self._move_entry(entry + step, count)

    def _move_entry(self, entry: int, count: int) -> bool:
        """The ring of a list to row *entry*, kept between its first row and the control
        below its last (*count*)."""
        moved = min(max(entry, 0), count)
        if moved == self._view.entry:
            return False
        self._set(replace(self._view, entry=moved))
        return True

    # --- the leader's calls ------------------------------------------------------

    def open_leader_calls(self) -> bool:
        """The leader's screen's call entry: the list of city-hall contacts."""
        self.note_input()
        if self._view.screen is not Screen.LEADER:
            return False
        self._set(replace(self._view, screen=Screen.LEADER_CALLS, entry=0))
        return True

    def leader_screen(self) -> bool:
        """Back from the contacts to the leader's screen."""
        self.note_input()
        if self._view.screen is not Screen.LEADER_CALLS:
            return False
        self._set(replace(self._view, screen=Screen.LEADER, entry=0))
        return True

    def focus_contact(self, index: int) -> bool:
        """The ring to row *index* of the contacts (a press that turns their page)."""
        self.note_input()
        if self._view.screen is not Screen.LEADER_CALLS:
            return False
        if not 0 <= index <= len(self._contacts):
            return False
        return self._move_entry(index, len(self._contacts))

    def call_contact(self, index: int) -> bool:
        """Row *index* of the contacts was pressed (touch, its number key, Enter): the
        call screens place the call and it fills the screen, or they say why not. Before
        calls are up, city hall cannot be reached yet: that is said the same way."""
        self.note_input()
        view = self._view
        if view.screen is not Screen.LEADER_CALLS or not 0 <= index < len(self._contacts):
            return False
        contact = self._contacts[index]
        log.info("the leader calls %s", contact.name)
        self._place(contact)
        return True

    def _place(self, contact: Contact) -> bool:
        """Call *contact* through the contact opener; ``True`` if the call screen shows."""
        if self._contact_opener is None:
            self.show_not_ready("call_no_server")
            return False
        try:
            screen = self._contact_opener(contact)
        except Exception:  # supervision boundary of the calls, as for a tile
            log.exception("the call to %s could not start", contact.name)
            self.fail()
            return False
        if screen is Screen.CALL:
            self.show_call()
            return True
        return False

    def _contacts_command(self, command: Command) -> bool:
        """Keys on the contacts: Up and Down move the ring over the rows and, below the
        last, the back button; Enter presses what it is on."""
        count = len(self._contacts)
        entry = min(self._view.entry, count)
        if command is Command.ACTIVATE:
            return self.call_contact(entry) if entry < count else self.leader_screen()
        step = {Command.UP: -1, Command.DOWN: 1}.get(command, 0)
        return step != 0 and self._move_entry(entry + step, count)

    # --- time and failures -----------------------------------------------

    def fail(self) -> None:
        """Something unexpected happened: show the calm message, then go home."""
        self._please_wait_until = self._clock() + self._idle.please_wait_s
        self._set(View(Screen.PLEASE_WAIT, focus=self._view.focus))

    def tick(self) -> None:
        """Called about once a second: returns home when it is time to."""
        now = self._clock()
        screen = self._view.screen
        if screen is Screen.ALERT:
            return  # only 확인 takes an alert away
        if screen in _MESSAGES:
            if now >= self._please_wait_until:
                self.go_home()
            return
        limit = self._leader_idle_s if screen in LEADER_SCREENS else self._idle.return_home_after_s
        idle = now - self._last_input >= limit
        leader = screen in LEADER_SCREENS
        if screen is not Screen.HOME and idle and (leader or not self.busy):
            log.info("idle for %d s: going home", limit)
            self.go_home()

    # --- internals ---------------------------------------------------------

    def _moved(self, focus: int, command: Command) -> int:
        last = len(self._tiles) - 1
        rows, cols = grid_shape(len(self._tiles))
        if focus == BANNER:
            return 0 if command is Command.DOWN else BANNER
        if focus in MISSED:
            # The notice's two buttons side by side above the tiles.
            if command in (Command.DOWN, Command.UP):
                return 0 if command is Command.DOWN else focus
            return MISSED_CALL if command is Command.LEFT else MISSED_OK
        if command is Command.LEFT:
            target = focus - 1
        elif command is Command.RIGHT:
            target = focus + 1
        elif command is Command.UP:
            target = focus - cols
        else:
            on_last_row = focus // cols == rows - 1
            target = focus if on_last_row else focus + cols
        if target < 0:
            # Up from the top row reaches the missed-call notice or the schedule banner.
            if command is Command.UP and self.missed_shown:
                return MISSED_CALL
            return BANNER if command is Command.UP and self.on_banner is not None else focus
        # Moving down into a shorter last row lands on its last tile.
        return min(target, last)

    def _with_alert(self, view: View) -> View:
        """*view*, or the ALERT screen while an alert waits and no call is up."""
        if not self._alert:
            return view
        if view.behind is Activity.CALL:
            return replace(view, alert=self._alert)
        return View(Screen.ALERT, focus=max(view.focus, 0), alert=self._alert)

    def _set(self, view: View) -> None:
        """The one place the view changes: logged as ``old -> new``, listeners told once.
        An alert waiting takes the place of any screen but a call's (module notes)."""
        old = self._view
        view = self._with_alert(view)
        if view == old:
            return
        if old.behind is not Activity.NONE and view.behind is Activity.NONE:
            self._last_input = self._clock()  # idle counts from the end of the activity
        self._view = view
        if view.screen is Screen.ALERT and (old.screen, old.alert) != (view.screen, view.alert):
            self._alert_shown_at = self._clock()
        log.info(
            "screen %s -> %s%s%s",
            old.screen.value,
            view.screen.value,
            f" ({view.tile.id})" if view.tile else "",
            f" [{view.behind.value}]" if view.behind is not Activity.NONE else "",
        )
        for listener in list(self._listeners):
            listener(view)
