"""How calls move the senior between screens. Qt-free.

The leader's calls (:attr:`Screen.LEADER_CALLS`) start here too, exactly as a call
tile's: the same desk call to the contact's name, the same screens and hang-up.

Decisions: a call rings only on a kiosk nobody is busy with (home screen or a
passing message); during a programme, leader mode or another call the caller
hears "busy" and city hall tries again later, so a class is never interrupted.
Leaving the call screen any other way (Escape, the navigator going home) hangs
up. A call that ends with something to say shows it calmly, then home.
"""

from collections.abc import Callable

from kiosk.calls.desk import CallDesk, CallView, Notice, Phase
from kiosk.navigation import LEADER_SCREENS, Navigator, Screen, View
from kiosk_contract.config.calls import Contact
from kiosk_contract.config.model import Tile

ACTIVE = (
    Phase.RINGING,
    Phase.CALLING,
    Phase.JOINING,
    Phase.IN_CALL,
    Phase.IN_ROOM,
    Phase.RECONNECTING,
)


class CallScreens:
    """Connects the call desk to the navigator (and back)."""

    def __init__(
        self, desk: CallDesk, navigator: Navigator, ring: Callable[[bool], None] = lambda on: None
    ) -> None:
        self.desk = desk
        self.navigator = navigator
        self._ring = ring
        """Rings while a call waits for an answer (the voice guide's ring)."""
        desk.busy = self.busy
        navigator.set_contact_opener(self.call_contact)
        self._unsubscribe = [desk.subscribe(self._on_call), navigator.subscribe(self._on_view)]

    def busy(self) -> bool:
        """Someone is using the kiosk for something else: a call would interrupt."""
        view = self.navigator.view
        return self.navigator.busy or view.screen in LEADER_SCREENS

    def open_tile(self, tile: Tile) -> Screen:
        """A call or group tile was pressed."""
        started = (
            self.desk.call(tile.target) if tile.action == "call" else self.desk.join(tile.target)
        )
        return self._started(started)

    def call_contact(self, contact: Contact) -> Screen:
        """The leader pressed *contact* in the list of city-hall contacts."""
        return self._started(self.desk.call(contact.id))

    def _started(self, started: bool) -> Screen:
        """The call screen for a call or session that started, else the calm reason."""
        if started:
            return Screen.CALL
        notice = self.desk.view.notice
        self.navigator.show_not_ready(
            (notice if notice is not Notice.NONE else Notice.UNAVAILABLE).value
        )
        return Screen.NOT_READY

    def close(self) -> None:
        self._ring(False)
        self.navigator.set_contact_opener(None)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def _on_call(self, view: CallView) -> None:
        self._ring(view.phase is Phase.RINGING)
        on_call_screen = self.navigator.view.screen is Screen.CALL
        if view.phase is Phase.RINGING and not on_call_screen:
            self.navigator.show_call()
        elif view.phase is Phase.ENDED and on_call_screen:
            if view.notice is Notice.NONE:
                self.navigator.go_home()
            else:
                self.navigator.show_not_ready(view.notice.value)

    def _on_view(self, view: View) -> None:
        if view.screen is not Screen.CALL and self.desk.view.phase in ACTIVE:
            self.desk.hang_up()
