"""The VideoRoom plugin: publish our camera and microphone to a room and
subscribe to the others there (one handle and one connection per feed)."""

from dataclasses import dataclass

from kiosk.calls.janus import Event, Handle, JanusSession, Json, MalformedReplyError, number

PLUGIN = "janus.plugin.videoroom"


@dataclass(frozen=True)
class Feed:
    """Someone publishing in the room."""

    id: int
    display: str
    sound: bool = True
    """Whether it sends sound (a centre the host only looks at sends its camera alone)."""


@dataclass(frozen=True)
class RoomEvent:
    """A VideoRoom event, reduced to what the desk needs."""

    joined: tuple[Feed, ...] = ()
    """Publishers that appeared (also those already there when we joined)."""
    left: tuple[int, ...] = ()
    """Feeds that stopped publishing or left."""
    kind: str = "event"
    """``event``, or the handle-level kinds ``webrtcup``, ``media``, ``lost``, ..."""
    jsep: Json | None = None
    error: str = ""


def read_event(event: Event) -> RoomEvent:
    """What a raw handle event means for a room (a publisher Janus names without a
    numeric id is skipped: nobody could subscribe to it)."""
    if event.kind != "event":
        return RoomEvent(kind=event.kind)
    data = event.data
    if "error_code" in data:
        return RoomEvent(error=str(data.get("error", "")))
    publishers = data.get("publishers")
    joined = tuple(
        Feed(p["id"], str(p.get("display", "")), _sends_sound(p))
        for p in (publishers if isinstance(publishers, list) else [])
        if isinstance(p, dict) and isinstance(p.get("id"), int) and not isinstance(p["id"], bool)
    )
    left = []
    for key in ("unpublished", "leaving"):
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            left.append(value)
    return RoomEvent(joined, tuple(left), jsep=event.jsep)


def _sends_sound(publisher: Json) -> bool:
    """Whether a publisher Janus names has an audio stream (Janus 1.x lists its
    ``streams``; without the list, assumed so)."""
    streams = publisher.get("streams")
    if not isinstance(streams, list):
        return True
    return any(
        isinstance(s, dict) and s.get("type") == "audio" and not s.get("disabled") for s in streams
    )


class Publisher:
    """Our place in a room: joined as a publisher; sending camera and microphone, the
    camera alone (the host looks at us), or nothing (watching)."""

    def __init__(self, handle: Handle, room: int, feed: int, already: tuple[Feed, ...]) -> None:
        self.handle = handle
        self.room = room
        self.feed = feed
        self.already = already
        """Publishers in the room when we joined."""

    @classmethod
    async def join(cls, session: JanusSession, room: int, display: str) -> "Publisher":
        handle = await session.attach(PLUGIN)
        reply = await handle.send(
            {"request": "join", "ptype": "publisher", "room": room, "display": display}
        )
        joined = read_event(Event("event", reply.data))
        return cls(handle, room, number(reply.data, "id"), joined.joined)

    async def publish(self, offer: Json, sound: bool = True) -> Json:
        """Send our offer (*sound*: whether it carries the microphone); returns Janus'
        answer."""
        reply = await self.handle.send({"request": "publish", "audio": sound, "video": True}, offer)
        if reply.jsep is None:
            raise MalformedReplyError("a publish answered without a session description")
        return reply.jsep

    async def unpublish(self) -> None:
        """Stop sending (the handle stays in the room, watching)."""
        await self.handle.send({"request": "unpublish"})

    async def leave(self) -> None:
        await self.handle.send({"request": "leave"})


class Subscriber:
    """One remote feed, received on its own handle."""

    def __init__(self, handle: Handle, feed: Feed, offer: Json) -> None:
        self.handle = handle
        self.feed = feed
        self.offer = offer

    @classmethod
    async def open(
        cls, session: JanusSession, room: int, feed: Feed, private_id: int | None = None
    ) -> "Subscriber":
        """Subscribe to *feed*; Janus offers its streams (answer with :meth:`start`)."""
        handle = await session.attach(PLUGIN)
        body: Json = {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "streams": [{"feed": feed.id}],
        }
        if private_id is not None:
            body["private_id"] = private_id
        reply = await handle.send(body)
        if reply.jsep is None:
            await handle.detach()
            raise MalformedReplyError(f"nothing offered for feed {feed.id}")
        return cls(handle, feed, reply.jsep)

    async def start(self, answer: Json) -> None:
        await self.handle.send({"request": "start"}, answer)

    async def close(self) -> None:
        await self.handle.detach()
