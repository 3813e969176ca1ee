"""A city-hall desk in Python: the demo's city hall and the tests' far side.

Registers a name on the VideoCall plugin like the staff's browser does, calls a
centre or takes its calls, and sends a steady picture and tone (or whatever
tracks it is given), so a test can check what arrives on each side.

The registration is the kiosk's own line (:class:`kiosk.calls.line.CallLine`): a
session lost (a ping timeout, Janus restarted) is opened and registered again with
the same backoff, and a call asked for meanwhile waits for it.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from kiosk.backoff import Backoff
from kiosk.calls.janus import JanusError, JanusSession, SessionLostError
from kiosk.calls.line import CallLine, LineSettings, OpenSession
from kiosk.calls.peer import Connection, FrameListener, IceServer, NewPeer, Peer
from kiosk.calls.videocall import CallEvent, VideoCallLine

log = logging.getLogger(__name__)

Tracks = Callable[[], Sequence[MediaStreamTrack]]
REGISTER_S = 30.0
"""How long :meth:`StaffDesk.open` and a call wait for the registration."""
CALL_TRIES = 3
"""A call is placed again on the next registration when its session was lost."""


class StaffDesk:
    """One staff member's line. Use :meth:`open`, then :meth:`close`. On the loop."""

    def __init__(
        self,
        url: str,
        name: str,
        tracks: Tracks,
        ice: Sequence[IceServer] = (),
        on_frame: FrameListener | None = None,
        *,
        open_session: OpenSession = JanusSession.open,
        new_peer: NewPeer = Peer,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.name = name
        self._tracks = tracks
        self._ice = list(ice)
        self._on_frame = on_frame
        self._new_peer = new_peer
        self._line = CallLine(LineSettings(url, "", name), self, open_session, backoff=backoff)
        self.peer: Connection | None = None
        self.events: asyncio.Queue[CallEvent] = asyncio.Queue()
        """Every line event (``lost`` when the registration went), for its one reader."""
        self._released = asyncio.Event()
        """Janus closed our last connection: the VideoCall plugin counts us free."""
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls,
        url: str,
        name: str,
        tracks: Tracks,
        ice: Sequence[IceServer] = (),
        on_frame: FrameListener | None = None,
        **factories: Any,
    ) -> "StaffDesk":
        """Register *name* at *url* (raises :class:`SessionLostError` if that does not
        happen within ``REGISTER_S``); it stays registered until :meth:`close`.
        *factories*: ``open_session``, ``new_peer``, ``backoff`` as for the constructor."""
        desk = cls(url, name, tracks, ice, on_frame, **factories)
        desk._line.start()
        try:
            await desk._registered()
        except BaseException:
            await desk.close()
            raise
        return desk

    @property
    def up(self) -> bool:
        """Registered now."""
        return self._line.up

    async def next(self, *names: str) -> CallEvent:
        """The next line event named one of *names* (others are skipped)."""
        while True:
            event = await self.events.get()
            if event.name in names:
                return event

    async def call(self, centre: str) -> None:
        """Ring *centre* (once registered again, if the line is down or turns out lost
        on the way); :meth:`connected` once it answers."""
        for attempt in range(1, CALL_TRIES + 1):
            line = await self._registered()
            await self._new_peer_for_call()
            assert self.peer is not None
            try:
                await line.call(centre, await self.peer.offer())
                return
            except SessionLostError:
                if attempt == CALL_TRIES:
                    raise
                log.info(
                    "the session went as %s called %s: once registered again", self.name, centre
                )

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
        line = await self._registered()
        await self._new_peer_for_call()
        assert self.peer is not None and incoming.jsep is not None
        await line.accept(await self.peer.answer(incoming.jsep))
        self.peer.mark_start()

    async def hang_up(self) -> None:
        """End the call and wait (up to 2 s) until Janus has closed our connection:
        until then the VideoCall plugin still counts us as busy."""
        had_call = self.peer is not None
        line = self._line.videocall
        if line is not None:
            with contextlib.suppress(JanusError):
                await line.hang_up()
        await self._drop_peer()
        if had_call and line is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.released()

    async def released(self) -> None:
        """Wait until Janus has closed the last call's connection (the far side hung
        up): until then the VideoCall plugin still counts us busy."""
        await self._released.wait()

    async def close(self) -> None:
        """Unregister, close the connection and the session. Safe to call twice."""
        await self._line.close()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        await self._drop_peer()

    # --- what the line says (kiosk.calls.line.LineListener) ----------------------

    def line_up(self) -> None:
        log.info("staff %s registered", self.name)

    def line_down(self) -> None:
        """The session is gone and the call on it: its connection is closed."""
        self.events.put_nowait(CallEvent("lost"))
        self._spawn(self._drop_peer())

    def line_event(self, event: CallEvent) -> None:
        log.debug("staff %s: %s", self.name, event.name)
        if event.name == "hangup" and event.media:
            self._released.set()
        self.events.put_nowait(event)

    # --- internals -----------------------------------------------------------------

    async def _registered(self) -> VideoCallLine:
        """The registration, waiting up to ``REGISTER_S`` for it."""
        try:
            async with asyncio.timeout(REGISTER_S):
                await self._line.wait_up()
        except TimeoutError:
            why = self._line.failure or "no answer"
            raise SessionLostError(f"{self.name} is not registered: {why}") from None
        line = self._line.videocall
        assert line is not None
        return line

    async def _new_peer_for_call(self) -> None:
        await self._drop_peer()
        self._released.clear()
        while not self.events.empty():  # what is left of the last call
            self.events.get_nowait()
        self.peer = self._new_peer(self._ice, self._on_frame)
        self.peer.send(*self._tracks())

    async def _drop_peer(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            await peer.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=f"staff-{self.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
