"""The VideoCall plugin: a name on the server, and one-to-one calls by name.

Requests only; the events (``incomingcall``, ``accepted``, ``hangup``) arrive on
the handle's queue and are read by the call desk, their one reader.
"""

from dataclasses import dataclass

from kiosk.calls.janus import Event, Handle, JanusSession, Json, as_object

PLUGIN = "janus.plugin.videocall"


@dataclass(frozen=True)
class CallEvent:
    """A VideoCall event, reduced to what the desk needs."""

    name: str
    """``incomingcall``, ``accepted``, ``hangup``, ``calling``, ``registered``, ... or
    the handle-level kinds ``webrtcup``, ``media``, ``lost``, ``detached``."""
    peer: str = ""
    """The caller's name (``incomingcall``)."""
    reason: str = ""
    jsep: Json | None = None
    media: bool = False
    """Said by Janus about our connection (``webrtcup``, ``hangup`` once it is gone),
    not by the plugin."""


def read_event(event: Event) -> CallEvent:
    """What a raw handle event means for a one-to-one call (fields Janus left out
    or garbled read as empty: an event named ``""`` means nothing to anyone)."""
    if event.kind != "event":
        reason = str(event.data.get("reason", ""))
        return CallEvent(event.kind, reason=reason, media=True)
    result = as_object(event.data.get("result"))
    if "error_code" in event.data:
        return CallEvent("error", reason=str(event.data.get("error", "")))
    return CallEvent(
        str(result.get("event", "")),
        peer=str(result.get("username", "")),
        reason=str(result.get("reason", "")),
        jsep=event.jsep,
    )


class VideoCallLine:
    """The centre's line: registered under *name* on one session."""

    def __init__(self, handle: Handle, name: str) -> None:
        self.handle = handle
        self.name = name

    @classmethod
    async def register(cls, session: JanusSession, name: str) -> "VideoCallLine":
        """Attach and register *name* (raises :class:`JanusError` if it is taken)."""
        handle = await session.attach(PLUGIN)
        await handle.send({"request": "register", "username": name})
        return cls(handle, name)

    async def call(self, peer: str, offer: Json) -> None:
        """Ring *peer*; the answer comes as an ``accepted`` event."""
        await self.handle.send({"request": "call", "username": peer}, offer)

    async def accept(self, answer: Json) -> None:
        await self.handle.send({"request": "accept"}, answer)

    async def hang_up(self) -> None:
        """End the call, decline a ringing one or cancel our own."""
        await self.handle.send({"request": "hangup"})

    async def online(self) -> list[str]:
        """Names registered on the server now."""
        reply = await self.handle.send({"request": "list"})
        names = as_object(reply.data.get("result")).get("list")
        return [str(n) for n in names] if isinstance(names, list) else []
