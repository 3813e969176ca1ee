"""Configuration of calls: the city-hall server, who may call, rooms for group sessions.

Part of :class:`kiosk_contract.config.model.KioskConfig`. A ``call`` tile's ``target`` is a
contact id; a ``group`` tile's ``target`` is a room id.
"""

from typing import Annotated

import msgspec
from msgspec import Meta

from kiosk_contract.config.programmes import DAYS, Clock, Day, Slug

JanusUrl = Annotated[str, Meta(pattern=r"^wss?://[^\s]{1,300}$")]
IceUrl = Annotated[str, Meta(pattern=r"^(stun|turn|turns):[^\s]{1,300}$")]
CallName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]


class _Frozen(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class IceServer(_Frozen, frozen=True, kw_only=True):
    """A STUN or TURN server. aiortc uses only the first of each kind."""

    urls: IceUrl
    username: Annotated[str, Meta(max_length=200)] = ""
    credential: Annotated[str, Meta(max_length=200)] = ""


class Contact(_Frozen, frozen=True, kw_only=True):
    """Someone at city hall the centre talks to."""

    id: Slug
    name: CallName
    """Their name on the call server (what their browser registers)."""
    label: Annotated[str, Meta(min_length=1, max_length=24)]
    """Shown large when they call, e.g. "남원시청 복지과"."""
    label_en: Annotated[str, Meta(max_length=40)] = ""
    auto_answer: bool = False
    """May be answered without a press (see :class:`AutoAnswer`)."""


class AutoAnswer(_Frozen, frozen=True, kw_only=True):
    """When a call from an allow-listed contact is answered by itself."""

    after_s: Annotated[int, Meta(ge=0, le=120)] = 0
    """Seconds of ringing first; 0: never by itself."""
    days: list[Day] = msgspec.field(default_factory=lambda: list(DAYS[:5]))
    opens: Clock = "09:00"
    closes: Clock = "18:00"
    """The centre's opening hours (centre time); outside them a call only rings."""


class Room(_Frozen, frozen=True, kw_only=True):
    """A group session: a town meeting or a live class."""

    id: Slug
    number: Annotated[int, Meta(ge=1, le=2**52)]
    """The VideoRoom room on the server."""
    title: Annotated[str, Meta(min_length=1, max_length=40)]
    host: CallName | None = None
    """The host's display name in the room, shown large (else the first to publish)."""
    servers: Annotated[list[JanusUrl], Meta(max_length=4)] = msgspec.field(default_factory=list)
    """Where this centre meets the room, in order: its district's edge first, then one to
    turn to when that one is down (city hall's meeting relay keeps the same meeting on
    each). Empty: the centre's calls ``server``."""
    floor: bool = False
    """A town meeting: the centres watch, a senior presses 말하기 to raise the centre's
    hand, and a centre sends its camera and microphone only while the host gives it the
    floor (:mod:`kiosk_contract.floor`). ``false``: every centre in the room is seen and
    heard (a small class)."""


class Calls(_Frozen, frozen=True, kw_only=True):
    """Calls with city hall; an empty ``server`` means this centre has none."""

    server: JanusUrl | None = None
    """Janus' WebSocket API; ``wss://`` with a verified certificate outside a test."""
    api_secret: Annotated[str, Meta(max_length=200)] = ""
    ice_servers: Annotated[list[IceServer], Meta(max_length=4)] = msgspec.field(
        default_factory=list
    )
    """Passed to every connection as given (empty on a LAN; never a public default)."""
    call_name: CallName | None = None
    """The centre's name on the call server; the centre id when unset."""
    contacts: Annotated[list[Contact], Meta(max_length=50)] = msgspec.field(default_factory=list)
    auto_answer: AutoAnswer = msgspec.field(default_factory=AutoAnswer)
    ring_s: Annotated[int, Meta(ge=10, le=300)] = 45
    """A call city hall does not answer in this time ends with a calm message."""
    rooms: Annotated[list[Room], Meta(max_length=50)] = msgspec.field(default_factory=list)
    no_media_s: Annotated[float, Meta(ge=1, le=30)] = 2.0
    """Nothing received for this long counts as a broken connection: rejoin."""

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.id == contact_id), None)

    def caller(self, name: str) -> Contact | None:
        return next((c for c in self.contacts if c.name == name), None)

    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    def __post_init__(self) -> None:
        for field, ids in (
            ("contacts", [c.id for c in self.contacts]),
            ("contact names", [c.name for c in self.contacts]),
            ("rooms", [r.id for r in self.rooms]),
        ):
            twice = {i for i in ids if ids.count(i) > 1}
            if twice:
                raise ValueError(f"{field}: {sorted(twice)} used twice")
        if self.auto_answer.opens >= self.auto_answer.closes:
            raise ValueError("auto_answer: opens must be before closes")
