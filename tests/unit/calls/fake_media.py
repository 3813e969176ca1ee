"""Connections without WebRTC for the calls' unit tests, on the loop's (virtual) clock.

:class:`FakePath` is the network between the centre and city hall as every
:class:`FakeConnection` sees it: while it carries media, nothing is ever silent;
cut, every connection is silent from that moment on. One connection may also be
dead on its own (:attr:`FakePath.dead_once`: it never carries anything, as one whose
ICE failed). :meth:`FakePath.new_peer` is the peer factory a desk is given.
"""

import asyncio
from collections.abc import Sequence

from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame, VideoFrame

from kiosk.calls.peer import FrameListener, IceServer, Received


class FakePath:
    def __init__(self) -> None:
        self.flowing = True
        self.cut_at = 0.0
        self.made: list[FakeConnection] = []
        """Every connection made, in order."""
        self.unreadable = False
        """Offers cannot be read (answering raises, as aiortc does on a bad description)."""
        self.dead_once: set[str] = set()
        """Labels: the next connection made with one carries nothing, ever (the ones
        after it carry media as the path does)."""

    def cut(self) -> None:
        """Media stops arriving on every connection."""
        self.flowing = False
        self.cut_at = asyncio.get_running_loop().time()

    def mend(self) -> None:
        self.flowing = True

    def open(self) -> list["FakeConnection"]:
        """The connections not closed yet."""
        return [c for c in self.made if not c.closed]

    def new_peer(
        self,
        ice_servers: Sequence[IceServer],
        on_frame: FrameListener | None = None,
        *,
        label: str = "",
    ) -> "FakeConnection":
        connection = FakeConnection(self, list(ice_servers), label)
        if label in self.dead_once:
            self.dead_once.discard(label)
            connection.dead = True
        self.made.append(connection)
        return connection


class FakeConnection:
    """Negotiates with fake descriptions; silent only while its path is cut."""

    def __init__(self, path: FakePath, ice_servers: list[IceServer], label: str) -> None:
        self.path = path
        self.ice_servers = ice_servers
        self.label = label
        self.closed = False
        self.received: dict[str, Received] = {}
        self.sent: tuple[MediaStreamTrack, ...] = ()
        self.remote: dict[str, str] | None = None
        self._started = 0.0
        self.dead = False
        """Silent since it started, whatever the path does."""

    def send(self, *tracks: MediaStreamTrack) -> None:
        self.sent = tracks

    async def offer(self) -> dict[str, str]:
        return {"type": "offer", "sdp": f"v=0 {self.label}"}

    async def answer(self, remote: dict[str, str]) -> dict[str, str]:
        assert remote["type"] == "offer", remote
        if self.path.unreadable:
            raise ValueError("an offer that cannot be read")
        self.remote = remote
        return {"type": "answer", "sdp": f"v=0 {self.label}"}

    async def accept(self, remote: dict[str, str]) -> None:
        assert remote["type"] == "answer", remote
        self.remote = remote

    def picture(self) -> VideoFrame | None:
        return None

    def sound(self) -> AudioFrame | None:
        return None

    def silence(self) -> float:
        now = asyncio.get_running_loop().time()
        if self.dead:
            return now - self._started
        if self.path.flowing:
            return 0.0
        return now - max(self.path.cut_at, self._started)

    def route(self) -> str | None:
        return "host"

    def mark_start(self) -> None:
        self._started = asyncio.get_running_loop().time()

    async def close(self) -> None:
        for track in self.sent:
            track.stop()
        self.closed = True
