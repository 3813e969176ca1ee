"""The fleet channel's messages, shared by the box and city hall: topics, a box's
status and presence, alerts (signed by city hall) and their receipts. Qt-free.

Topics (MQTT; each message retained, so whoever subscribes later gets the last one)::

    fleet/<centre>/status               the box's status       written by that box only
    fleet/<centre>/presence             online / offline       the box, and its last will
    fleet/<centre>/receipts/<alert>     delivered/shown/acknowledged, by that box only
    alerts/all/<alert>                  an alert for every centre     city hall only
    alerts/district/<district>/<alert>  for one district's centres    city hall only
    alerts/centre/<centre>/<alert>      for one centre                city hall only

The broker's ACL enforces who writes and reads what (a box logs in as its centre, by
its certificate); the signature makes an alert trustworthy even if the broker is not.

An alert travels as an :class:`Envelope`: the alert's JSON exactly as signed (as a JSON
string, so its recording and picture are base64 once, not twice), and an Ed25519
signature over its UTF-8 bytes, so nothing depends on how JSON is re-encoded.
"""

import datetime as dt
import enum
from collections.abc import Callable
from typing import Annotated, Literal, Protocol, TypeVar

import msgspec
from msgspec import Meta

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Seconds = Annotated[int, Meta(ge=0, le=2**33)]
"""Unix seconds as a box reports them; bounded, so a bad clock or a bad box cannot
crash the tools that print them."""
WORDS = 300
Words = Annotated[str, Meta(max_length=WORDS)]
"""A text a box reports (cut to :data:`WORDS` characters by the box)."""

MAX_ALERT_BYTES = 1_500_000
"""Largest envelope a box reads (a short recorded voice and a picture); larger is refused
unread. The broker's ``message_size_limit`` is set to the same."""
MAX_VOICE_BYTES = 600_000
"""About a minute of speech as OGG/Opus; with the picture, base64, under MAX_ALERT_BYTES."""
MAX_PICTURE_BYTES = 400_000
MAX_ALERT_DAYS = 7
"""An alert expires within this many days of being issued (so a box forgets what it has
seen after at most this long)."""
CITY_HALL_USER = "city-hall.fleet"
"""The broker login (certificate CN) of city hall's own tools. A centre id can never be
this (ids have no dot), so no box can log in as city hall."""


class Level(enum.Enum):
    """How urgent an alert is. Every level takes over the screen until 확인 is pressed;
    the level sets its colour, words and how often it repeats."""

    INFO = "info"
    """안내: a notice city hall wants seen now."""
    CAUTION = "caution"
    """주의: e.g. a heat wave or heavy rain warning."""
    EMERGENCY = "emergency"
    """긴급: evacuate, shelter; repeats most often."""


class Audience(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Who an alert is for."""

    kind: Literal["all", "district", "centres"]
    names: Annotated[list[str], Meta(max_length=600)] = msgspec.field(default_factory=list)
    """The district (one) or the centre ids; empty for ``all``."""

    def includes(self, centre: str, district: str) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "district":
            return bool(district) and district in self.names
        return centre in self.names


class Alert(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An alert from city hall, as signed."""

    id: Slug
    seq: Annotated[int, Meta(ge=1)]
    """City hall's sequence number, one higher for every alert it sends."""
    level: Level
    text: Annotated[str, Meta(min_length=1, max_length=300)]
    """What the screen shows in large type (and is read aloud when there is no voice)."""
    text_en: Annotated[str, Meta(max_length=450)] = ""
    audience: Audience
    issued_at: int
    """Unix seconds."""
    expires_at: int
    """Unix seconds; after this the alert is refused and taken off the screen."""
    voice: Annotated[bytes, Meta(max_length=MAX_VOICE_BYTES)] | None = None
    """A recorded message (OGG/Opus, WAV or MP3), played after the chime."""
    picture: Annotated[bytes, Meta(max_length=MAX_PICTURE_BYTES)] | None = None
    """A picture (PNG or JPEG) shown beside the text."""

    def __post_init__(self) -> None:
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at is not after issued_at")
        if self.expires_at - self.issued_at > MAX_ALERT_DAYS * 86_400:
            raise ValueError(f"an alert lasts at most {MAX_ALERT_DAYS} days")

    def topics(self) -> list[str]:
        """Where city hall publishes it."""
        if self.audience.kind == "all":
            return [f"alerts/all/{self.id}"]
        if self.audience.kind == "district":
            return [f"alerts/district/{topic_part(d)}/{self.id}" for d in self.audience.names]
        return [f"alerts/centre/{topic_part(c)}/{self.id}" for c in self.audience.names]


class Envelope(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What goes over the wire: the alert's bytes exactly as signed, and the signature."""

    alert: str
    """The alert's JSON, exactly the text signed."""
    signature: bytes


class AlertRefusedError(Exception):
    """An alert that must not be shown; the message says why (for one log line)."""


def sign_alert(alert: Alert, sign: Callable[[bytes], bytes]) -> bytes:
    """The envelope's bytes for *alert*, signed with *sign* (city hall's key's
    ``Ed25519PrivateKey.sign``)."""
    return sign_envelope(alert, sign)


def sign_envelope(signed: msgspec.Struct, sign: Callable[[bytes], bytes]) -> bytes:
    """The envelope's bytes for *signed* (an alert, or a meeting question of
    :mod:`kiosk_contract.questions`), its JSON signed with *sign*."""
    body = msgspec.json.encode(signed)
    return msgspec.json.encode(Envelope(body.decode(), sign(body)))


def open_alert(payload: bytes, keys: list[bytes], now: float) -> Alert:
    """The alert in *payload* if one of *keys* signed it and it has not expired.

    Raises :class:`AlertRefusedError` for anything else (too large, not an envelope, a bad
    signature, a malformed alert, not yet issued, expired). Whether it is for this
    centre and new is the box's to check (:meth:`Audience.includes`, the sequence).
    """
    return open_signed(open_envelope(payload, keys), Alert, "alert", "malformed alert", now)


class Signed(Protocol):
    """What city hall signs into an envelope and a box checks the times of."""

    @property
    def id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def issued_at(self) -> int: ...
    @property
    def expires_at(self) -> int: ...


S = TypeVar("S", bound=Signed)


def open_signed(signed: str, kind: type[S], what: str, malformed: str, now: float) -> S:
    """*signed* (an envelope's verified text) decoded as *kind*, if it is issued and
    not expired at *now*; else :class:`AlertRefusedError` naming it as *what* (and
    saying *malformed* when it is no *kind*)."""
    try:
        found = msgspec.json.decode(signed, type=kind)
    except (msgspec.DecodeError, ValueError) as err:
        raise AlertRefusedError(f"{malformed}: {err}") from None
    name = f"{what} {found.id} (#{found.seq})"
    if now >= found.expires_at:
        raise AlertRefusedError(f"{name} expired at {_when(found.expires_at)}")
    if now + 300 < found.issued_at:
        raise AlertRefusedError(f"{name} is issued in the future")
    return found


def open_envelope(payload: bytes, keys: list[bytes], limit: int = MAX_ALERT_BYTES) -> str:
    """The signed text inside the envelope *payload* if one of *keys* (city hall's alert
    keys) signed it; :class:`AlertRefusedError` if it is larger than *limit*, not an
    envelope, or not signed by them. Alerts and meeting questions
    (:mod:`kiosk_contract.questions`) travel in the same envelope; what the text is, is
    the caller's to decode (each kind refuses the other's fields)."""
    if len(payload) > limit:
        raise AlertRefusedError(f"too large ({len(payload)} bytes)")
    try:
        envelope = msgspec.json.decode(payload, type=Envelope)
    except (msgspec.DecodeError, ValueError) as err:  # ValueError: bad UTF-8 in a string
        raise AlertRefusedError(f"not an alert envelope: {err}") from None
    if not keys:
        raise AlertRefusedError("no alert key in this box's configuration")
    if not any(_signed_by(key, envelope) for key in keys):
        raise AlertRefusedError("signature is not city hall's")
    return envelope.alert


def _signed_by(key: bytes, envelope: Envelope) -> bool:
    # Imported here: the box's first frame must not wait for cryptography (the board,
    # which reads this module's types, is built before it).
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        signed = envelope.alert.encode()
        Ed25519PublicKey.from_public_bytes(key).verify(envelope.signature, signed)
    except (InvalidSignature, ValueError):
        return False
    return True


def _when(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def topic_part(name: str) -> str:
    """*name* as one topic level; a name MQTT would read as more (``/``, ``+``, ``#``,
    NUL) or as nothing is refused."""
    if not name or any(c in name for c in "/+#\0"):
        raise ValueError(f"{name!r} cannot be a topic level")
    return name


T = TypeVar("T", bound=msgspec.Struct)


def read_from_box(
    topic: str, payload: bytes, leaf: str, kind: type[T], limit: int
) -> tuple[str, str, T]:
    """``fleet/<centre>/<leaf>/<name>``'s centre, name and payload as *kind*;
    ``ValueError`` for another topic, a payload over *limit* bytes or not a *kind*
    (what a box says on its own topics: answers, hands)."""
    what = leaf.removesuffix("s")
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "fleet" or parts[2] != leaf:
        raise ValueError(f"{topic} is not {'an' if what[0] in 'aeiou' else 'a'} {what}'s topic")
    if len(payload) > limit:
        raise ValueError(f"{what} too large ({len(payload)} bytes)")
    try:
        found = msgspec.json.decode(payload, type=kind)
    except msgspec.DecodeError as err:
        raise ValueError(f"not {'an' if what[0] in 'aeiou' else 'a'} {what}: {err}") from None
    return parts[1], parts[3], found


def status_topic(centre: str) -> str:
    return f"fleet/{topic_part(centre)}/status"


def presence_topic(centre: str) -> str:
    return f"fleet/{topic_part(centre)}/presence"


def receipt_topic(centre: str, alert_id: str) -> str:
    return f"fleet/{topic_part(centre)}/receipts/{topic_part(alert_id)}"


def alert_subscriptions(centre: str, district: str) -> list[str]:
    """The topic filters a box listens to (its ACL allows exactly these)."""
    filters = ["alerts/all/+", f"alerts/centre/{topic_part(centre)}/+"]
    if district:
        filters.append(f"alerts/district/{topic_part(district)}/+")
    return filters


class DeviceReport(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of device (camera, microphone, speaker) on a box."""

    present: int = 0
    """How many are attached."""
    chosen: str = ""
    """The one in use (its name as the box sees it), empty when none."""


class DownloadReport(msgspec.Struct, frozen=True, kw_only=True):
    done: int = 0
    total: int = 0
    failed: int = 0


class BoxStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A box's status, published retained on ``fleet/<centre>/status``.

    Unknown fields are ignored (a newer box may say more)."""

    centre: Words
    district: Words = ""
    name: Words = ""
    version: Words = ""
    revision: int = 0
    """The configuration's revision in force."""
    camera: DeviceReport = msgspec.field(default_factory=DeviceReport)
    microphone: DeviceReport = msgspec.field(default_factory=DeviceReport)
    speaker: DeviceReport = msgspec.field(default_factory=DeviceReport)
    screen: Words = "home"
    """What the screen shows: home, programme, call, alert, leader, …"""
    last_error: Words = ""
    last_error_at: Seconds | None = None
    config_problem: Words = ""
    """Why the wanted configuration was refused, empty when none."""
    disk_free: int = 0
    """Bytes free where the box keeps its state and media."""
    uptime_s: Seconds = 0
    """Seconds since the kiosk started."""
    downloads: DownloadReport = msgspec.field(default_factory=DownloadReport)
    alert: Words = ""
    """The alert on screen or waiting to be acknowledged, empty when none."""
    room: Annotated[int, Meta(ge=0, le=2**52)] = 0
    """The number of the group session's room (``calls.rooms``) the centre is in now,
    joined and connected; 0 when none (also while it is still joining or rejoining).
    The console's meeting page counts a centre present in a meeting by it."""
    online_since: Seconds = 0
    """Unix seconds the box's current connection to the broker began."""
    at: Seconds = 0
    """Unix seconds this report was made."""


class Presence(msgspec.Struct, frozen=True, kw_only=True):
    """``fleet/<centre>/presence``: online (sent on connect) or offline (the last will the
    broker sends when the connection dies, or the box's goodbye)."""

    online: bool
    since: Seconds | None = None
    """Unix seconds; a last will has none (city hall takes the last status's time)."""


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """``fleet/<centre>/receipts/<alert>``: how far an alert got on that box."""

    alert: Words
    seq: int
    state: Literal["delivered", "shown", "acknowledged"]
    at: Seconds
