"""Who may speak in this centre's town meetings, and the centre's raised hand.
Qt-free; every method runs on the GUI thread (the fleet link verifies a floor on its
own thread, city hall's signature, expiry, room and topic, and hands it over with
``call_soon_threadsafe``; it sends hands from its outbox).

In a room with ``floor: true`` the centre watches (:mod:`kiosk_contract.floor`). The
board keeps, per room, the newest floor city hall signed: it takes only a higher
sequence number than the last it had, so an old floor replayed changes nothing. A
press of 말하기 raises the centre's hand (a second press lowers it); the hand goes
down by itself when the centre is given the floor, or when the senior leaves the
room. The call desk listens (:meth:`subscribe`) and starts or stops sending the
camera and microphone; a floor that only shows the centre (:meth:`shown`) has it
send its camera alone.
"""

import logging
import time
from collections.abc import Callable

from kiosk_contract.floor import Floor, Hand

log = logging.getLogger(__name__)

SendHand = Callable[[Hand], None]
"""Sends the centre's hand to city hall (the fleet link's; thread-safe, never blocks)."""


class FloorBoard:
    """The floors of the centre's rooms and its hands. *clock*: Unix seconds (the
    tests' to fake); *send* is attached later (:meth:`attach`): the link starts after
    the first frame."""

    def __init__(self, centre: str = "", clock: Callable[[], float] = time.time) -> None:
        self._centre = centre
        self._clock = clock
        self._floors: dict[int, Floor] = {}
        self._expired: set[int] = set()
        """Rooms whose floor has expired and was said so (:meth:`tick`)."""
        self._hands: set[int] = set()
        self._n = 0
        self._send: SendHand | None = None
        self._listeners: list[Callable[[int], None]] = []

    def attach(self, send: SendHand) -> None:
        self._send = send

    def reconfigure(self, centre: str) -> None:
        """The centre's id (a floor names centres by id)."""
        if centre != self._centre:
            self._centre = centre
            for room in list(self._floors):
                self._tell(room)

    def subscribe(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """*listener(room)* after each change of the floor or the hand in *room*."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- what the screen and the desk read -------------------------------------------

    def on_air(self, room: int) -> bool:
        """Whether city hall gave this centre the floor in *room* (unexpired)."""
        floor = self._in_force(room)
        return floor is not None and self._centre in floor.speakers

    def shown(self, room: int) -> bool:
        """Whether city hall looks at this centre in *room* (its camera, without sound,
        to the host alone)."""
        floor = self._in_force(room)
        return floor is not None and self._centre in floor.shown

    def hand_up(self, room: int) -> bool:
        return room in self._hands

    def hand_now(self, room: int) -> Hand:
        """The centre's hand in *room* as it is, numbered anew: the link sends it for
        each room at every connection (a hand the broker kept from before a restart is
        put right, and one raised while away goes out)."""
        return self._number(room, room in self._hands)

    # --- what city hall and the senior do ----------------------------------------------

    def offer(self, floor: Floor) -> str | None:
        """A verified floor from city hall; ``None`` if taken, else why not."""
        old = self._floors.get(floor.room)
        if old is not None and floor.seq <= old.seq:
            return f"not newer (#{floor.seq}, have #{old.seq})"
        was, seen = self.on_air(floor.room), self.shown(floor.room)
        self._floors[floor.room] = floor
        self._expired.discard(floor.room)
        now = self.on_air(floor.room)
        if now != was:
            log.info("room %d: %s", floor.room, "on air" if now else "the floor taken back")
        if self.shown(floor.room) != seen:
            log.info("room %d: city hall %s", floor.room, "looks" if not seen else "looks no more")
        if now and floor.room in self._hands:
            self._hand(floor.room, False)  # heard now: the hand has done its work
        self._tell(floor.room)
        return None

    def tick(self) -> None:
        """About once a second: a floor that has just expired puts nobody on air any
        more, and the desk hears of it as of any change."""
        now = self._clock()
        for room, floor in list(self._floors.items()):
            if now >= floor.expires_at and room not in self._expired:
                self._expired.add(room)
                log.info("room %d: the floor expired", room)
                self._tell(room)

    def raise_hand(self, room: int) -> None:
        """말하기: ask city hall for the floor in *room* (nothing while on air)."""
        if room not in self._hands and not self.on_air(room):
            self._hand(room, True)
            self._tell(room)

    def lower_hand(self, room: int) -> None:
        """The senior changed their mind, or left the room."""
        if room in self._hands:
            self._hand(room, False)
            self._tell(room)

    # --- internals -----------------------------------------------------------------

    def _in_force(self, room: int) -> Floor | None:
        """*room*'s newest floor, unless it has expired."""
        floor = self._floors.get(room)
        return floor if floor is not None and self._clock() < floor.expires_at else None

    def _hand(self, room: int, raised: bool) -> None:
        if raised:
            self._hands.add(room)
        else:
            self._hands.discard(room)
        log.info("room %d: hand %s", room, "raised" if raised else "lowered")
        if self._send is not None:
            self._send(self._number(room, raised))

    def _number(self, room: int, raised: bool) -> Hand:
        # Higher than any hand this box sent before, also across a restart (city hall
        # keeps the highest): milliseconds of the clock, or one more.
        now = self._clock()
        self._n = max(self._n + 1, int(now * 1000))
        return Hand(room=room, raised=raised, n=self._n, at=max(0, int(now)))

    def _tell(self, room: int) -> None:
        for listener in list(self._listeners):
            listener(room)
