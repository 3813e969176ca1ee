"""Staying in a group session (Janus' VideoRoom plugin) until the senior leaves,
whatever breaks on the way. Qt-free; on the asyncio loop.

The :class:`RoomStay` job makes one :class:`kiosk.calls.group.GroupCall` attempt
after another on the line's session: when the session is lost it waits for the line
to come back, when the server refuses or media stays silent for ``GIVE_UP_FACTOR``
times ``no_media_s`` it waits a moment (full-jitter backoff, quick at first) and
joins again on a new connection. Media silent for ``no_media_s`` only shows
"연결이 불안정합니다": short outages heal by themselves.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from kiosk.backoff import Backoff
from kiosk.calls.connection import NewPeer, load_media_stack
from kiosk.calls.floor import FloorBoard
from kiosk.calls.group import GIVE_UP_FACTOR, GroupCall
from kiosk.calls.janus import JanusError
from kiosk.calls.line import CallLine
from kiosk.calls.phase import CallView, Desk, Notice, Phase, Seat
from kiosk_contract.config.calls import Room

log = logging.getLogger(__name__)

FLOOR_TRIES = 3
FLOOR_RETRY_S = 1.0
"""Starting to send when given the floor is tried this often, this far apart."""


class RoomStay:
    """The centre's presence in a group session, if any. Built and driven by the desk."""

    def __init__(
        self,
        desk: Desk,
        line: CallLine,
        new_peer: NewPeer,
        backoff: Callable[[], Backoff] = Backoff,
        floor: FloorBoard | None = None,
    ) -> None:
        """*floor*: who may speak in rooms with ``floor: true`` (without it, such a
        room is only watched)."""
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
        if self.group is not None and self.group.speaking:
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
        while True:
            await self._line.wait_up()
            await desk.fresh_ice()
            session = self._line.session
            if session is None:  # lost while city hall was asked for a TURN login
                continue
            group = GroupCall(
                session,
                room.number,
                desk.name,
                desk.ice,
                room.host,
                desk.heard,
                new_peer=self._new_peer,
            )
            self.group = group
            try:
                async with self._sending:
                    await group.open(desk.tracks() if self._may_speak(room) else None)
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
                no_media = desk.calls.no_media_s
                why = await group.run(no_media, no_media * GIVE_UP_FACTOR, desk.unsteady)
            except JanusError as err:
                why = str(err)
            finally:
                await self.close()
            log.warning("group session %s broke (%s): rejoining", room.id, why)
            desk.move(
                CallView(
                    Phase.RECONNECTING,
                    room.title,
                    since=since or 0.0,
                    notice=Notice.RECONNECTING,
                    seat=self.seat(),
                )
            )
            await asyncio.sleep(backoff.next())

    def _may_speak(self, room: Room) -> bool:
        """Every centre in a room without a floor; else only the one given it."""
        if not room.floor:
            return True
        return self._floor is not None and self._floor.on_air(room.number)

    def _floor_changed(self, number: int) -> None:
        """City hall gave or took the floor, or the hand went up or down."""
        room = self.room
        if room is None or room.number != number:
            return
        self._show_seat()
        self._desk.spawn(self._follow_floor(room), "call-floor")

    async def _follow_floor(self, room: Room) -> None:
        """Start or stop sending as the floor now says (once the attempt is open). A
        refusal (the call gate may learn of the floor a moment after the box) is tried
        again a few times."""
        for attempt in range(1, FLOOR_TRIES + 1):
            async with self._sending:
                group = self.group
                if group is None or self.room is not room:
                    return  # the next attempt opens as the floor says
                wanted = self._may_speak(room)
                try:
                    if wanted and not group.speaking:
                        await group.speak(self._desk.tracks())
                    elif not wanted and group.speaking:
                        await group.stop_speaking()
                    break
                except JanusError as err:
                    # A lost session breaks the attempt by itself; its next one opens
                    # as the floor says.
                    log.warning(
                        "room %s: the floor could not be followed (try %d: %s)",
                        room.id,
                        attempt,
                        err,
                    )
            self._show_seat()
            await asyncio.sleep(FLOOR_RETRY_S)
        self._show_seat()

    def _show_seat(self) -> None:
        view = self._desk.view
        if view.phase in (Phase.JOINING, Phase.IN_ROOM, Phase.RECONNECTING):
            self._desk.move(replace(view, seat=self.seat()))

    def alone(self) -> Notice:
        """ALONE while in a room nobody else is in, else NONE."""
        return Notice.ALONE if self.group is not None and not self.group.watched else Notice.NONE

    def _changed(self) -> None:
        """Feeds came or went: "alone in the room" appears or goes."""
        view = self._desk.view
        if view.phase is Phase.IN_ROOM and view.notice in (Notice.ALONE, Notice.NONE):
            self._desk.move(replace(view, notice=self.alone()))
