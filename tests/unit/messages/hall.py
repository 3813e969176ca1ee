"""An in-memory city hall for the uploader's rules (Contract M's answers), and a
virtual clock whose sleeps return at once."""

import asyncio
import hashlib
from dataclasses import dataclass, field

from kiosk.messages.cityhall import Progress, RefusedError, UnreachableError, WrongOffsetError
from kiosk.messages.spool import Message


@dataclass
class Held:
    size: int
    sha256: str
    data: bytearray = field(default_factory=bytearray)
    state: str = "uploading"
    handled_by: str = ""


class FakeCityHall:
    """Holds what the box sent; ``down`` makes every request fail as unreachable."""

    def __init__(self) -> None:
        self.held: dict[str, Held] = {}
        self.down = False
        self.requests: list[str] = []
        self.malformed: set[str] = set()
        self.checking: dict[str, int] = {}
        """Messages held whole that answer ``uploading`` (being checked) this many
        more times."""

    def _up(self, what: str) -> None:
        self.requests.append(what)
        if self.down:
            raise UnreachableError("connection refused")

    def announce(self, message: Message) -> Progress:
        self._up("POST")
        held = self.held.setdefault(message.id, Held(message.size, message.sha256))
        if (held.size, held.sha256) != (message.size, message.sha256):
            raise RefusedError(409, "conflict", "another message has this id")
        if self.checking.get(message.id, 0) > 0:
            self.checking[message.id] -= 1
            return Progress(len(held.data), "uploading")
        return Progress(len(held.data), held.state, held.handled_by)

    def progress(self, message_id: str) -> Progress:
        self._up("GET")
        held = self.held.get(message_id)
        if held is None:
            raise RefusedError(404, "unknown", "no such message")
        return Progress(len(held.data), held.state, held.handled_by)

    def append(self, message_id: str, offset: int, chunk: bytes) -> Progress:
        self._up("PATCH")
        held = self.held.get(message_id)
        if held is None:
            raise RefusedError(404, "unknown", "no such message")
        if offset != len(held.data):
            raise WrongOffsetError(len(held.data))
        held.data += chunk
        if len(held.data) == held.size:
            if message_id in self.malformed or (
                hashlib.sha256(held.data).hexdigest() != held.sha256
            ):
                del self.held[message_id]
                raise RefusedError(422, "malformed", "not a message")
            held.state = "received"
        return Progress(len(held.data), held.state)


class VirtualTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
