"""Who may speak in a town meeting, and the centres asking to. Shared by the box and
city hall; Qt-free.

In a room with ``floor: true`` (:class:`kiosk_contract.config.calls.Room`) the centres
watch: they join the room without sending their camera or microphone. A senior presses
말하기 and the box raises the centre's hand; the host gives the floor from the console
and only then does the box send its camera and microphone, and the screen says the
centre is on air. The host takes the floor back and the box stops sending.

The host may also look at the audience, a page at a time: the centres a floor names
in :attr:`Floor.shown` send their camera only (never their microphone) and their
screen says city hall sees them; only the host watches those pictures, never the other
centres (a box watches only the feeds that carry sound: the host and the speakers).

Topics (the broker's access list enforces who writes and reads)::

    floor/room/<room>             who has the floor: city hall only, retained;
                                  read by the room's member centres
    fleet/<centre>/hands/<room>   the centre's hand, written by that centre's box only

The floor travels in the alerts' envelope (:func:`kiosk_contract.fleet.open_envelope`),
signed with city hall's alert key, so a broker taken over cannot put a centre on air.
Every change is a new signed message with a higher sequence number
(:attr:`Floor.seq`); a box takes only a higher number than it had for the room, so an
old floor replayed changes nothing. Like a question, a floor expires and is refused
after that (the longest meeting).
"""

from collections.abc import Callable
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from kiosk_contract.fleet import (
    Seconds,
    Slug,
    open_envelope,
    open_signed,
    read_from_box,
    sign_envelope,
    topic_part,
)

MAX_SPEAKERS = 4
"""Centres given the floor at once: with the host, what a box's call screen shows."""
FLOOR_HOURS = 3
"""A floor lasts at most this long (the longest meeting)."""
MAX_SHOWN = 12
"""Centres whose picture the host looks at at once (one page of the console's audience:
a browser never holds more pictures than a dozen and the speakers)."""
MAX_FLOOR_BYTES = 4000
MAX_HAND_BYTES = 500


class Floor(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``floor/room/<room>``: the centres that may speak in *room*, as city hall signs it."""

    kind: Literal["floor"] = "floor"
    """Never in an alert or a question: their signed text is never read as a floor."""
    room: Annotated[int, Meta(ge=1, le=2**52)]
    seq: Annotated[int, Meta(ge=1)]
    """Higher for every floor city hall signs for this room."""
    speakers: Annotated[list[Slug], Meta(max_length=MAX_SPEAKERS)] = msgspec.field(
        default_factory=list
    )
    """The centres (ids) on air; empty: only the host speaks."""
    shown: Annotated[list[Slug], Meta(max_length=MAX_SHOWN)] = msgspec.field(default_factory=list)
    """The centres (ids) whose camera, without sound, the host looks at (the audience
    on demand); never one on air."""
    issued_at: int
    expires_at: int

    def __post_init__(self) -> None:
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at is not after issued_at")
        if self.expires_at - self.issued_at > FLOOR_HOURS * 3600:
            raise ValueError(f"a floor lasts at most {FLOOR_HOURS} hours")
        named = [*self.speakers, *self.shown]
        if len(set(named)) != len(named):
            raise ValueError("a centre is named twice")

    @property
    def id(self) -> str:
        """How log lines name this floor."""
        return f"room-{self.room}"

    @property
    def topic(self) -> str:
        return floor_topic(self.room)


class Hand(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``fleet/<centre>/hands/<room>``: the centre's hand in a meeting room."""

    room: Annotated[int, Meta(ge=1, le=2**52)]
    raised: bool
    n: Annotated[int, Meta(ge=1)]
    """The box's count of changes: a later hand has a higher one."""
    at: Seconds
    """Unix seconds, the box's clock (shown in the order hands went up, never trusted
    for anything else)."""


def floor_topic(room: int) -> str:
    return f"floor/room/{int(room)}"


def floor_subscriptions(rooms: list[int]) -> list[str]:
    """The floors a box in *rooms* listens to (its access list allows exactly these)."""
    return [floor_topic(room) for room in sorted(set(rooms))]


def hand_topic(centre: str, room: int) -> str:
    return f"fleet/{topic_part(centre)}/hands/{int(room)}"


def sign_floor(floor: Floor, sign: Callable[[bytes], bytes]) -> bytes:
    """The envelope's bytes for *floor*, signed with *sign* (city hall's alert key)."""
    return sign_envelope(floor, sign)


def open_floor(payload: bytes, keys: list[bytes], now: float) -> Floor:
    """The floor in *payload* if city hall signed it and it has not expired; else
    :class:`~kiosk_contract.fleet.AlertRefusedError` saying why."""
    signed = open_envelope(payload, keys, MAX_FLOOR_BYTES)
    return open_signed(signed, Floor, "floor", "not a floor", now)


def read_hand(topic: str, payload: bytes) -> tuple[str, Hand]:
    """The centre and its hand on *topic*; ``ValueError`` for anything else (a topic
    that is not a hand's, a payload that is not one, or one naming another room)."""
    centre, room, hand = read_from_box(topic, payload, "hands", Hand, MAX_HAND_BYTES)
    if str(hand.room) != room:
        raise ValueError(f"hand in room {hand.room} on {topic}")
    return centre, hand
