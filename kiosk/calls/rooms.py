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
from kiosk.calls.group import GIVE_UP_FACTOR, GroupCall
from kiosk.calls.janus import JanusError
from kiosk.calls.line import CallLine
from kiosk.calls.phase import CallView, Desk, Notice, Phase
from kiosk_contract.config.calls import Room

log = logging.getLogger(__name__)


class RoomStay:
    """The centre's presence in a group session, if any. Built and driven by the desk."""

    def __init__(
        self,
        desk: Desk,
        line: CallLine,
        new_peer: NewPeer,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self._desk = desk
        self._line = line
        self._new_peer = new_peer
        self._backoff = backoff
        self.group: GroupCall | None = None
        """The current attempt (``None`` between attempts)."""

    def join(self, room: Room) -> None:
        """Join *room* and stay (the desk checked that the line is up and nothing
        else runs)."""
        self._desk.move(CallView(Phase.JOINING, room.title))
        self._desk.run(self._stay(room), "call-room")

    async def close(self) -> None:
        """Leave the room on the server and close every connection. Safe to call twice."""
        group = self.group
        if group is not None:
            await group.close()
            if self.group is group:  # forgotten only once closed, so close() can finish it
                self.group = None

    # --- internals -----------------------------------------------------------------

    async def _stay(self, room: Room) -> None:
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
                await group.open(desk.tracks())
                backoff.connected()
                since = desk.now() if since is None else since
                desk.move(CallView(Phase.IN_ROOM, room.title, since=since, notice=self.alone()))
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
                    Phase.RECONNECTING, room.title, since=since or 0.0, notice=Notice.RECONNECTING
                )
            )
            await asyncio.sleep(backoff.next())

    def alone(self) -> Notice:
        """ALONE while in a room nobody else is in, else NONE."""
        return Notice.ALONE if self.group is not None and not self.group.watched else Notice.NONE

    def _changed(self) -> None:
        """Feeds came or went: "alone in the room" appears or goes."""
        view = self._desk.view
        if view.phase is Phase.IN_ROOM and view.notice in (Notice.ALONE, Notice.NONE):
            self._desk.move(replace(view, notice=self.alone()))
