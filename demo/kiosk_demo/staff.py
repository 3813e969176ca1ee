"""A city-hall desk in Python: the demo's city hall and the tests' far side.

Registers a name on the VideoCall plugin like the staff's browser does, calls a
centre or takes its calls, and sends a steady picture and tone (or whatever
tracks it is given), so a test can check what arrives on each side.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from aiortc.mediastreams import MediaStreamTrack

from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.peer import FrameListener, IceServer, Peer
from kiosk.calls.videocall import CallEvent, VideoCallLine, read_event

log = logging.getLogger(__name__)

Tracks = Callable[[], Sequence[MediaStreamTrack]]


class StaffDesk:
    """One staff member's line. Use :meth:`open`, then :meth:`close`."""

    def __init__(
        self,
        session: JanusSession,
        line: VideoCallLine,
        tracks: Tracks,
        ice: Sequence[IceServer] = (),
        on_frame: FrameListener | None = None,
    ) -> None:
        self.session = session
        self.line = line
        self._tracks = tracks
        self._ice = list(ice)
        self._on_frame = on_frame
        self.peer: Peer | None = None
        self.events: asyncio.Queue[CallEvent] = asyncio.Queue()
        self._released = asyncio.Event()
        """Janus closed our last connection: the VideoCall plugin counts us free."""
        self._reader = asyncio.create_task(self._read(), name=f"staff-{line.name}")

    @classmethod
    async def open(
        cls,
        url: str,
        name: str,
        tracks: Tracks,
        ice: Sequence[IceServer] = (),
        on_frame: FrameListener | None = None,
    ) -> "StaffDesk":
        session = await JanusSession.open(url)
        try:
            line = await VideoCallLine.register(session, name)
        except BaseException:
            await session.close()
            raise
        return cls(session, line, tracks, ice, on_frame)

    async def next(self, *names: str) -> CallEvent:
        """The next line event named one of *names* (others are skipped)."""
        while True:
            event = await self.events.get()
            if event.name in names:
                return event

    async def call(self, centre: str) -> None:
        """Ring *centre*; :meth:`connected` once it answers."""
        await self._new_peer()
        assert self.peer is not None
        await self.line.call(centre, await self.peer.offer())

    async def connected(self) -> None:
        """Wait for the centre to answer our call."""
        event = await self.next("accepted", "hangup")
        while event.media:  # Janus closing a connection, not the centre's answer
            event = await self.next("accepted", "hangup")
        if event.name != "accepted" or event.jsep is None or self.peer is None:
            raise JanusError(0, f"not answered: {event.reason}")
        await self.peer.accept(event.jsep)
        self.peer.mark_start()

    async def answer(self, incoming: CallEvent) -> None:
        """Take *incoming* (an ``incomingcall`` event)."""
        await self._new_peer()
        assert self.peer is not None and incoming.jsep is not None
        await self.line.accept(await self.peer.answer(incoming.jsep))
        self.peer.mark_start()

    async def hang_up(self) -> None:
        """End the call and wait (up to 2 s) until Janus has closed our connection:
        until then the VideoCall plugin still counts us as busy."""
        had_call = self.peer is not None
        with contextlib.suppress(JanusError):
            await self.line.hang_up()
        await self._drop_peer()
        if had_call:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.released()

    async def released(self) -> None:
        """Wait until Janus has closed the last call's connection (the far side hung
        up): until then the VideoCall plugin still counts us busy."""
        await self._released.wait()

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._drop_peer()
        await self.session.close()

    async def _new_peer(self) -> None:
        await self._drop_peer()
        self._released.clear()
        while not self.events.empty():  # what is left of the last call
            self.events.get_nowait()
        self.peer = Peer(self._ice, self._on_frame)
        self.peer.send(*self._tracks())

    async def _drop_peer(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            await peer.close()

    async def _read(self) -> None:
        while True:
            event = read_event(await self.line.handle.events.get())
            log.debug("staff %s: %s", self.line.name, event.name)
            if event.name == "hangup" and event.media:
                self._released.set()
            self.events.put_nowait(event)
            if event.name == "lost":
                return
