"""Staying in a group session (Janus' VideoRoom plugin) until the senior leaves,
whatever breaks on the way. Qt-free; on the asyncio loop.

The :class:`RoomStay` job makes one :class:`kiosk.calls.group.GroupCall` attempt
after another on the line's session: when the session is lost it waits for the line
to come back, when the server refuses or media stays silent for ``GIVE_UP_FACTOR``
times ``no_media_s`` it waits a moment (full-jitter backoff, quick at first) and
joins again on a new connection. Anything else that breaks an attempt (aiortc
unable to read a feed's offer, a socket error) is met the same way, its traceback
logged the first time: the meeting goes on rather than ending for the seniors.
Media silent for ``no_media_s`` only shows "연결이 불안정합니다": short outages heal
by themselves. A room with its own ``servers`` (a district's edge, then another) is
met on a session of its own there, not on the line's; a server that went away is left
for the next one in the list.

In a town meeting (``floor: true``) the centre joins watching, and watches only
city hall and the centres with sound; it starts and stops sending as city hall's
floor says (:class:`kiosk.calls.floor.FloorBoard`), without leaving the room: camera
and microphone on air, the camera alone while the host looks at it.
"""

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import replace

from kiosk.backoff import Backoff
from kiosk.calls.connection import NewPeer, load_media_stack
from kiosk.calls.floor import FloorBoard
from kiosk.calls.group import GIVE_UP_FACTOR, GroupCall
from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.line import CallLine, OpenSession
from kiosk.calls.phase import CallView, Desk, Notice, Phase, Seat
from kiosk_contract.config.calls import Room

log = logging.getLogger(__name__)

FLOOR_RETRY_S = 1.0
FLOOR_RETRY_MAX_S = 10.0
"""A refused start (or stop) of sending as the floor says is tried again after 1 s,
then twice as long each time, at most this long."""


class Sending(enum.Enum):
    """What the centre sends into a room."""

    NOTHING = "nothing"
    PICTURE = "picture"
    """The camera alone: city hall looks at the centre (the audience on demand)."""
    ALL = "all"
    """The camera and the microphone."""

    @classmethod
    def of(cls, group: GroupCall) -> "Sending":
        if not group.speaking:
            return cls.NOTHING
        return cls.ALL if group.sound else cls.PICTURE


class RoomStay:
    """The centre's presence in a group session, if any. Built and driven by the desk."""

    def __init__(
        self,
        desk: Desk,
        line: CallLine,
        new_peer: NewPeer,
        backoff: Callable[[], Backoff] = Backoff,
        floor: FloorBoard | None = None,
        open_session: OpenSession | None = None,
    ) -> None:
        """*floor*: who may speak in rooms with ``floor: true`` (without it, such a
        room is only watched); *open_session* opens a session on a room's own
        ``servers`` (as the line opens its own: the box's certificate shown)."""
        self._open = open_session or JanusSession.open
        self._desk = desk
        self._line = line
        self._new_peer = new_peer
        self._backoff = backoff
        self._floor = floor
        self.group: GroupCall | None = None
        """The current attempt (``None`` between attempts)."""
        self.room: Room | None = None
        """The room the centre is in (or joining), ``None`` outside one."""
        self._sending = asyncio.Lock()
        """Held while the camera and microphone start or stop going to the room."""
        self._generation = 0
        """One more for each change of the floor: only the newest follower acts."""

    def join(self, room: Room) -> None:
        """Join *room* and stay (the desk checked that the line is up and nothing
        else runs)."""
        self.room = room
        self._desk.move(CallView(Phase.JOINING, room.title, seat=self.seat()))
        self._desk.run(self._stay(room), "call-room")

    def seat(self) -> Seat:
        """The centre's place in the current room, if it speaks only given the floor."""
        room = self.room
        if room is None or not room.floor:
            return Seat.NONE
        if self.group is not None and Sending.of(self.group) is Sending.ALL:
            return Seat.ON_AIR
        if self._floor is not None and self._floor.hand_up(room.number):
            return Seat.HAND_UP
        return Seat.WATCHING

    def press_speak(self) -> None:
        """말하기: raise the centre's hand, or lower it again."""
        room, floor = self.room, self._floor
        if room is None or not room.floor or floor is None:
            return
        if floor.hand_up(room.number):
            floor.lower_hand(room.number)
        else:
            floor.raise_hand(room.number)

    async def close(self) -> None:
        """Leave the room on the server and close every connection. Safe to call twice."""
        group = self.group
        if group is not None:
            await group.close()
            if self.group is group:  # forgotten only once closed, so close() can finish it
                self.group = None

    # --- internals -----------------------------------------------------------------

    async def _stay(self, room: Room) -> None:
        forget = self._floor.subscribe(self._floor_changed) if self._floor else lambda: None
        try:
            await self._attempts(room)
        finally:
            forget()
            if self._floor is not None:
                self._floor.lower_hand(room.number)  # the senior left the meeting
            if self.room is room:
                self.room = None

    async def _attempts(self, room: Room) -> None:
        desk = self._desk
        backoff = self._backoff()
        since: float | None = None
        """When the centre first got into the room (kept across rejoins)."""
        await load_media_stack()
        turn = 0
        """Which of the room's own servers this attempt goes to (the next after a loss)."""
        told = False
        """An unexpected error's traceback has been logged (once a stay)."""
        while True:
            own: JanusSession | None = None
            if room.servers:
                url = room.servers[turn % len(room.servers)]
                await desk.fresh_ice()
                try:
                    session = own = await self._open(url, desk.calls.api_secret or None)
                except JanusError as err:
                    log.warning("room %s: meeting server %s unreachable (%s)", room.id, url, err)
                    turn += 1  # the next of the room's servers
                    self._reconnecting(room, since)
                    await asyncio.sleep(backoff.next())
                    continue
            else:
                await self._line.wait_up()
                await desk.fresh_ice()
                if (line := self._line.session) is None:
                    continue  # lost while city hall was asked for a TURN login
                session = line
            group = GroupCall(
                session,
                room.number,
                desk.name,
                desk.ice,
                room.host,
                desk.heard,
                new_peer=self._new_peer,
                heard_only=room.floor,
                on_gone=desk.gone,
            )
            self.group = group
            try:
                async with self._sending:
                    # In a town meeting the centre joins watching, and starts sending (if
                    # the floor says so) once in: a refusal then never breaks the stay.
                    await group.open(None if room.floor else desk.tracks())
                backoff.connected()
                since = desk.now() if since is None else since
                desk.move(
                    CallView(
                        Phase.IN_ROOM,
                        room.title,
                        since=since,
                        notice=self.alone(),
                        seat=self.seat(),
                    )
                )
                group.changed = self._changed
                if room.floor and self._wanted(room) is not Sending.NOTHING:
                    self._follow(room)
                no_media = desk.calls.no_media_s
                why = await group.run(no_media, no_media * GIVE_UP_FACTOR, desk.unsteady)
            except JanusError as err:
                why = str(err)
            except Exception as err:  # the meeting goes on (see the module docstring)
                why = f"{type(err).__name__}: {err}"
                if not told:
                    told = True
                    log.exception("group session %s: unexpected error", room.id)
            finally:
                gone = own is not None and own.lost.is_set()
                await self.close()
                if own is not None:
                    await own.close()
            if gone:
                turn += 1  # that server went away: the next of the room's servers
            log.warning("group session %s broke (%s): rejoining", room.id, why)
            self._reconnecting(room, since)
            await asyncio.sleep(backoff.next())

    def _reconnecting(self, room: Room, since: float | None) -> None:
        self._desk.move(
            CallView(
                Phase.RECONNECTING,
                room.title,
                since=since or 0.0,
                notice=Notice.RECONNECTING,
                seat=self.seat(),
            )
        )

    def looked_at(self) -> bool:
        """Whether city hall sees the centre's camera while it is off air."""
        return self.group is not None and Sending.of(self.group) is Sending.PICTURE

    def _wanted(self, room: Room) -> Sending:
        """What the centre should send: everything in a room without a floor or once
        given it, its camera alone while city hall looks at it, else nothing."""
        floor = self._floor
        if not room.floor or (floor is not None and floor.on_air(room.number)):
            return Sending.ALL
        if floor is not None and floor.shown(room.number):
            return Sending.PICTURE
        return Sending.NOTHING

    async def _send_as(self, group: GroupCall, wanted: Sending) -> None:
        """Start, stop or change what goes to the room (from the camera alone to the
        camera and microphone is a new connection: the room sees the feed anew)."""
        if Sending.of(group) is wanted:
            return
        if group.speaking:
            await group.stop_speaking()
        if wanted is Sending.ALL:
            await group.speak(self._desk.tracks())
        elif wanted is Sending.PICTURE:
            await group.speak([self._desk.picture()])

    def _floor_changed(self, number: int) -> None:
        """City hall gave or took the floor, or the hand went up or down."""
        room = self.room
        if room is None or room.number != number:
            return
        self._show_seat()
        self._follow(room)

    async def _follow_floor(self, room: Room, generation: int) -> None:
        """Start or stop sending as the floor now says (once the attempt is open). A
        refusal (the call gate may learn of the floor a moment after the box) is tried
        again, waiting longer each time, until it works, the floor changes again (a
        newer follower takes over) or the attempt ends."""
        wait = FLOOR_RETRY_S
        failing = False
        while generation == self._generation:
            async with self._sending:
                group = self.group
                if group is None or self.room is not room or generation != self._generation:
                    return  # the next attempt, or a newer follower, does what the floor says
                try:
                    await self._send_as(group, self._wanted(room))
                except JanusError as err:
                    # A lost session breaks the attempt by itself; its next one follows.
                    level = logging.DEBUG if failing else logging.WARNING
                    log.log(level, "room %s: the floor not followed yet (%s)", room.id, err)
                    failing = True
                except Exception:  # the follower's supervision boundary: the stay goes on
                    log.exception("room %s: following the floor failed", room.id)
                    return
                else:
                    if failing:
                        log.info("room %s: the floor followed", room.id)
                    break
                finally:
                    self._show_seat()
            await asyncio.sleep(wait)
            wait = min(wait * 2, FLOOR_RETRY_MAX_S)

    def _follow(self, room: Room) -> None:
        """A newer follower of the floor (the one before gives way)."""
        self._generation += 1
        self._desk.spawn(self._follow_floor(room, self._generation), "call-floor")

    def _show_seat(self) -> None:
        view = self._desk.view
        if view.phase in (Phase.JOINING, Phase.IN_ROOM, Phase.RECONNECTING):
            self._desk.move(replace(view, seat=self.seat(), looked_at=self.looked_at()))

    def alone(self) -> Notice:
        """ALONE while in a room nobody else is in, else NONE."""
        return Notice.ALONE if self.group is not None and not self.group.watched else Notice.NONE

    def _changed(self) -> None:
        """Feeds came or went: "alone in the room" appears or goes."""
        view = self._desk.view
        if view.phase is Phase.IN_ROOM and view.notice in (Notice.ALONE, Notice.NONE):
            self._desk.move(replace(view, notice=self.alone()))
