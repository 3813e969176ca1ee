"""One WebRTC connection (aiortc) and the tasks that read what arrives on it.

:class:`Peer` owns the ``RTCPeerConnection``, the tracks it sends and one reading
task per received track; :meth:`Peer.close` ends them all. What arrives is kept
as the newest video frame and the time of the last audio and video frame, which
the call screen draws and the call desk's "no media" check reads.
"""

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.exceptions import InvalidStateError
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

from kiosk.calls.connection import (
    Connection,
    FrameListener,
    IceServer,
    NewPeer,
    Received,
    SilenceRule,
)

__all__ = [
    "LIVE",
    "Connection",
    "FrameListener",
    "IceServer",
    "NewPeer",
    "Peer",
    "Received",
    "SilenceRule",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
# aiortc warns about every VP8 frame it cannot decode; frames that arrive before
# the first keyframe (at the start of a call, after an outage) are expected, and
# a stream that never decodes is caught by the calls' "no media" check.
logging.getLogger("aiortc.rtcrtpreceiver").setLevel(logging.ERROR)
# aioice logs each ICE check at INFO: hundreds of lines per call.
logging.getLogger("aioice.ice").setLevel(logging.WARNING)


LIVE: "weakref.WeakSet[Peer]" = weakref.WeakSet()
"""Every connection not yet garbage: tests check none is left open."""


class _PeerConnection(RTCPeerConnection):
    """aiortc's connection, quiet when we close it while it is still connecting.

    aiortc connects in a task of its own, started by setting a description and
    awaited by nobody. Closed during the DTLS handshake (a centre that leaves the
    room the moment we start watching it), that task goes on to the next media
    line and fails with "RTCIceTransport is closed", which asyncio logs as an error
    nobody retrieved (aiortc issue 429). Closing is what we asked for, so that is
    no error; any other failure is still raised.
    """

    async def _RTCPeerConnection__connect(self) -> None:  # noqa: N802 - aiortc's __connect
        try:
            await super()._RTCPeerConnection__connect()  # type: ignore[misc]
        except InvalidStateError:
            if self.signalingState != "closed":
                raise
            log.debug("connection closed while it was connecting")


class Peer:
    """An ``RTCPeerConnection`` with explicit ICE servers and its reading tasks."""

    def __init__(
        self,
        ice_servers: Sequence[IceServer],
        on_frame: FrameListener | None = None,
        clock: Callable[[], float] = time.monotonic,
        label: str = "",
    ) -> None:
        self.label = label
        servers = [
            RTCIceServer(s.urls, s.username or None, s.credential or None) for s in ice_servers
        ]
        # An explicit (possibly empty) list: aiortc would otherwise ask a public STUN server.
        self.pc: RTCPeerConnection = _PeerConnection(RTCConfiguration(iceServers=servers))
        self._on_frame = on_frame
        self._clock = clock
        self.received: dict[str, Received] = {}
        self._readers: list[asyncio.Task[None]] = []
        self._steps: set[asyncio.Future[Any]] = set()
        self.pc.on("track", self._track)
        self.closed = False
        self._closing: asyncio.Future[None] | None = None
        LIVE.add(self)

    def __repr__(self) -> str:
        return f"<Peer {self.label} {self.pc.connectionState}>"

    def send(self, *tracks: MediaStreamTrack) -> None:
        """Send *tracks* (one audio, one video) on this connection."""
        for track in tracks:
            self.pc.addTrack(track)

    def receive_only(self, *kinds: str) -> None:
        """Ask for *kinds* without sending any (a group session's subscriber)."""
        for kind in kinds:
            self.pc.addTransceiver(kind, direction="recvonly")

    async def offer(self) -> dict[str, str]:
        """Our offer, with every ICE candidate already in it (aiortc gathers first)."""
        return await self._settle(self._offer())

    async def answer(self, remote: dict[str, str]) -> dict[str, str]:
        """Take the far side's offer; return our answer."""
        return await self._settle(self._answer(remote))

    async def accept(self, remote: dict[str, str]) -> None:
        """Take the far side's answer to our offer."""
        description = RTCSessionDescription(remote["sdp"], remote["type"])
        await self._settle(self.pc.setRemoteDescription(description))

    async def _offer(self) -> dict[str, str]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return _jsep(self.pc.localDescription)

    async def _answer(self, remote: dict[str, str]) -> dict[str, str]:
        await self.pc.setRemoteDescription(RTCSessionDescription(remote["sdp"], remote["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return _jsep(self.pc.localDescription)

    async def _settle(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a negotiation step to its end even if the caller is cancelled.

        aiortc opens its ICE sockets while gathering; cut off half-way (a hang-up
        during dialling), it would leave them open. :meth:`close` waits for it.
        """
        step = asyncio.ensure_future(work)
        self._steps.add(step)
        step.add_done_callback(self._steps.discard)
        return await asyncio.shield(step)

    def picture(self) -> VideoFrame | None:
        """The newest picture received (``None`` before the first)."""
        got = self.received.get("video")
        return got.latest if got and isinstance(got.latest, VideoFrame) else None

    def sound(self) -> AudioFrame | None:
        """The newest 20 ms of sound received (``None`` before the first)."""
        got = self.received.get("audio")
        return got.latest if got and isinstance(got.latest, AudioFrame) else None

    def silence(self) -> float:
        """Seconds since anything (sound or picture) arrived."""
        return min(self.silent_for("audio"), self.silent_for("video"))

    def silent_for(self, kind: str) -> float:
        """Seconds since the last *kind* frame arrived (since the start if none did)."""
        got = self.received.get(kind)
        last = got.last_at if got and got.last_at else self._started
        return self._clock() - last

    def route(self) -> str | None:
        """How the media goes: the kind of our end of the chosen path ("host" on a
        LAN, "relay" through TURN), or ``None`` before there is one. For the
        technician's checks; aiortc does not expose it, so it is read from aioice."""
        for transceiver in self.pc.getTransceivers():
            ice = transceiver.sender.transport.transport
            connection = getattr(ice, "_connection", None)
            chosen = getattr(connection, "_nominated", {}).get(1)
            if chosen is not None:
                return str(chosen.local_candidate.type)
        return None

    def mark_start(self) -> None:
        """Media is expected from now on (the "no media" check counts from here)."""
        self._started = self._clock()

    _started = 0.0

    async def close(self) -> None:
        """End the connection and its reading tasks. Safe to call again, and
        cancelling the caller does not cut the closing short (sockets would leak)."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        for step in list(self._steps):
            with contextlib.suppress(Exception):
                await step
        for task in self._readers:
            task.cancel()
        for task in self._readers:
            with contextlib.suppress(asyncio.CancelledError, MediaStreamError):
                await task
        self._readers.clear()
        await self.pc.close()
        self.closed = True

    def _track(self, track: MediaStreamTrack) -> None:
        got = Received(track.kind)
        self.received[track.kind] = got
        self._readers.append(asyncio.create_task(self._read(track, got), name=f"rx-{track.kind}"))

    async def _read(self, track: MediaStreamTrack, got: Received) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = self._clock()
            if not got.frames:
                got.first_at = now
            got.frames += 1
            got.last_at = now
            assert isinstance(frame, VideoFrame | AudioFrame)
            got.latest = frame
            if self._on_frame is not None:
                self._on_frame(track.kind, frame)


def _jsep(description: RTCSessionDescription | None) -> dict[str, str]:
    assert description is not None
    return {"type": description.type, "sdp": description.sdp}
