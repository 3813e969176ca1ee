"""How city hall's alerts move the senior between screens and sound. Qt-free; GUI
thread.

The board (:mod:`kiosk.fleet.board`) says which alert waits; the navigator puts it on
the screen (over anything but a call, see :mod:`kiosk.navigation`); while the ALERT
screen shows, the voice guide sounds it again and again (:meth:`VoiceGuide.alarm`).
확인 acknowledges it on the board, which then names the next one waiting, or none
(home). The screen reports when it has really painted an alert (:meth:`painted`): only
then does city hall hear "shown".
"""

import logging

from kiosk.fleet.board import AlertBoard
from kiosk.navigation import Navigator, Screen, View
from kiosk.voice import VoiceGuide
from kiosk_contract.fleet import Alert

log = logging.getLogger(__name__)


def alert_key(alert: Alert | None) -> str:
    """The navigator's name for *alert* (:attr:`kiosk.navigation.View.alert`)."""
    return "" if alert is None else f"{alert.id}#{alert.seq}"


class AlertScreens:
    """Connects the alert board to the navigator and the voice (and back)."""

    def __init__(self, board: AlertBoard, navigator: Navigator, voice: VoiceGuide) -> None:
        self.board = board
        self._navigator = navigator
        self._voice = voice
        navigator.on_acknowledge = self.acknowledge
        self._unsubscribe = [board.subscribe(self._on_board), navigator.subscribe(self._on_view)]
        self._on_board()  # one still waiting from before a restart shows at once

    def alert(self, key: str) -> Alert | None:
        """The waiting alert the navigator calls *key*; ``None`` if it is gone."""
        return next((a for a in self.board.waiting() if alert_key(a) == key), None)

    def waiting_after(self) -> int:
        """How many more wait behind the one on screen."""
        return max(len(self.board.waiting()) - 1, 0)

    def acknowledge(self) -> None:
        """확인 on the ALERT screen: the alert it shows is acknowledged."""
        alert = self.alert(self._navigator.view.alert)
        if alert is not None:
            self.board.acknowledge(alert)

    def painted(self, key: str) -> None:
        """The ALERT screen has painted the alert *key* (city hall hears "shown")."""
        alert = self.alert(key)
        if alert is not None:
            self.board.shown(alert)

    def close(self) -> None:
        self._voice.alarm(None)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def _on_board(self) -> None:
        self._navigator.set_alert(alert_key(self.board.current))

    def _on_view(self, view: View) -> None:
        self._voice.alarm(self.alert(view.alert) if view.screen is Screen.ALERT else None)
