"""City hall's calls as one service of the running kiosk. Qt-free.

Built after the first frame: the call desk (its line registers with city hall at
once), its screens in the navigator, and the camera, microphone and speaker it uses,
which follow the status board's choice. WebRTC itself (aiortc, PyAV: ~48 MB) loads
only when a call is about to need it (see :mod:`kiosk.calls.connection`).
"""

import datetime as dt
import logging
import ssl
from collections.abc import Callable

from kiosk.calls.deferred import DeferredDeviceMedia
from kiosk.calls.desk import CallDesk
from kiosk.calls.floor import FloorBoard
from kiosk.calls.line import identified
from kiosk.calls.screens import CallScreens
from kiosk.calls.turn import CityHallTurn
from kiosk.demolink import demo_city_hall_up
from kiosk.fleet.attendance import Attendance
from kiosk.identity import tls_context
from kiosk.navigation import Navigator
from kiosk.paths import Paths
from kiosk.status import StatusBoard
from kiosk.voice import VoiceGuide
from kiosk_contract.config import KioskConfig

log = logging.getLogger(__name__)


class CallService:
    """A service (:mod:`kiosk.services`) from :meth:`start` to :meth:`close`."""

    def __init__(
        self,
        config: KioskConfig,
        navigator: Navigator,
        status: StatusBoard,
        voice: VoiceGuide,
        wall: Callable[[], dt.datetime],
        demo: bool,
        paths: Paths,
        identity_url: str | None = None,
        floor: FloorBoard | None = None,
        attendance: Attendance | None = None,
    ) -> None:
        """*identity_url*: city hall's identity service (the enrolment's), which gives
        the box time-limited TURN logins; *floor*: who may speak in the town meetings;
        *attendance* is kept saying which meeting room the desk is in (for the fleet
        status)."""
        self.media = DeferredDeviceMedia()
        self.media.use(status.status.choice)
        # A camera, microphone or speaker plugged or unplugged reaches the call at once.
        self._forget = status.subscribe(lambda now: self.media.use(now.choice))

        # City hall's call gate knows the box by its certificate (read again at each
        # connection, so a renewed one is used).
        def tls() -> ssl.SSLContext | None:
            return tls_context(paths)

        turn = CityHallTurn(identity_url, tls) if identity_url else None
        self.desk = CallDesk(
            config.calls,
            config.centre.id,
            self.media,
            wall,
            open_session=identified(tls),
            turn_login=turn,
            floor=floor,
        )
        if demo:
            # The demo's city hall lives in a private network only root can make;
            # without it, no packet is sent towards its address.
            self.desk.reachable = demo_city_hall_up
        self._forget_room = follow_room(self.desk, attendance or Attendance())
        self.screens = CallScreens(self.desk, navigator, ring=voice.ring)
        navigator.set_opener("call", self.screens.open_tile)
        navigator.set_opener("group", self.screens.open_tile)

    def start(self) -> None:
        """Connect to city hall's server (if one is configured) and stay connected."""
        self.desk.start()

    def reconfigure(self, config: KioskConfig) -> None:
        """Contacts, rooms and rules from now on; a new server or name re-registers."""
        self.desk.reconfigure(config.calls, config.centre.id)

    async def close(self) -> None:
        """Hang up and leave city hall's server. Safe to call twice."""
        self.screens.close()
        self._forget()
        self._forget = lambda: None
        self._forget_room()
        self._forget_room = lambda: None
        await self.desk.close()


def follow_room(desk: CallDesk, attendance: Attendance) -> Callable[[], None]:
    """Keep *attendance* saying which meeting room *desk* is in (at every change of its
    view: joined, rejoining, left); returns the unsubscribe callable."""
    attendance.set(desk.room_number)
    return desk.subscribe(lambda _view: attendance.set(desk.room_number))
