"""What calls need of a WebRTC connection, without loading WebRTC. Qt-free.

aiortc and PyAV (with its own ffmpeg) weigh ~48 MB and take ~0.15 s to import, yet a
box spends most of its life waiting for a call: the line to city hall needs neither.
So the call desk and its jobs know connections through :class:`Connection` and make
them through :func:`new_connection`, and :func:`load_media_stack` brings the real
ones (:mod:`kiosk.calls.peer`) in off the GUI thread once a call is about to need
them (a ring, a press, a meeting).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from aiortc.mediastreams import MediaStreamTrack
    from av import AudioFrame, VideoFrame

log = logging.getLogger(__name__)

MEDIA_STACK = (
    "kiosk.calls.peer",
    "kiosk.calls.tracks",
    "kiosk.calls.group",
    "kiosk.calls.local",
)
"""What a call needs that loads aiortc and PyAV."""


async def load_media_stack() -> None:
    """Import the media stack on a worker thread (at once if it is loaded already)."""
    if all(name in sys.modules for name in MEDIA_STACK):
        return
    log.info("loading the call media stack")
    await asyncio.get_running_loop().run_in_executor(None, _import_stack)


def _import_stack() -> None:
    for name in MEDIA_STACK:
        importlib.import_module(name)


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server from the configuration (never a public default)."""

    urls: str
    username: str = ""
    credential: str = ""


@dataclass
class Received:
    """What one received track delivered so far."""

    kind: str
    frames: int = 0
    last_at: float = 0.0
    """``time.monotonic()`` of the newest frame (0: none yet)."""
    first_at: float = 0.0
    latest: VideoFrame | AudioFrame | None = None


FrameListener = Callable[[str, "VideoFrame | AudioFrame"], None]


class Connection(Protocol):
    """What calls and group sessions use of one connection (:class:`Peer`, or a
    test's fake without WebRTC). Methods run on the asyncio loop."""

    label: str
    closed: bool
    received: dict[str, Received]

    def send(self, *tracks: MediaStreamTrack) -> None: ...

    async def offer(self) -> dict[str, str]: ...

    async def answer(self, remote: dict[str, str]) -> dict[str, str]: ...

    async def accept(self, remote: dict[str, str]) -> None: ...

    def picture(self) -> VideoFrame | None: ...

    def sound(self) -> AudioFrame | None: ...

    def silence(self) -> float:
        """Seconds since anything (sound or picture) arrived (see :meth:`mark_start`)."""
        ...

    def route(self) -> str | None: ...

    def mark_start(self) -> None:
        """Media is expected from now on."""
        ...

    async def close(self) -> None:
        """Idempotent; finishes even if the caller is cancelled."""
        ...


class NewPeer(Protocol):
    """Makes a connection: :class:`Peer` itself, or a test's fake."""

    def __call__(
        self,
        ice_servers: Sequence[IceServer],
        on_frame: FrameListener | None = None,
        *,
        label: str = "",
    ) -> Connection: ...


def new_connection(
    ice_servers: Sequence[IceServer],
    on_frame: FrameListener | None = None,
    *,
    label: str = "",
) -> Connection:
    """A real WebRTC connection (:class:`kiosk.calls.peer.Peer`): the calls' default
    :class:`NewPeer`. Call after :func:`load_media_stack` (else it imports aiortc on
    the spot)."""
    from kiosk.calls.peer import Peer

    return Peer(ice_servers, on_frame, label=label)


class SilenceRule:
    """The one rule for media that stops, for calls and group sessions alike: say so
    after *unsteady_s* (a short outage heals by itself), give up after *give_up_s*."""

    def __init__(
        self, unsteady_s: float, give_up_s: float, unsteady: Callable[[bool], None]
    ) -> None:
        self.unsteady_s = unsteady_s
        self.give_up_s = give_up_s
        self._unsteady = unsteady
        self._shaky = False

    def give_up(self, silence: float) -> bool:
        """Whether *silence* seconds mean the connection is lost; calls *unsteady*
        each time the screen's notice should appear or go."""
        if silence >= self.give_up_s:
            return True
        if (silence >= self.unsteady_s) != self._shaky:
            self._shaky = not self._shaky
            self._unsteady(self._shaky)
        return False
