"""The kiosk's configuration: typed, frozen, validated as one document.

Every setting is declared once here with its type, default and bounds. A
document that breaks any rule is rejected whole (see :mod:`kiosk.config.loading`)
with an error naming the field; the kiosk then keeps its last good one.
"""

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from kiosk_contract.config.calls import Calls
from kiosk_contract.config.fleet import FleetChannel, Notice
from kiosk_contract.config.programmes import Downloads, Programme, Slot, Video, check_references
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from kiosk_contract.pin import PIN_HASH_PATTERN

SCHEMA_VERSION = 1
"""The one document layout this kiosk understands."""

Colour = Annotated[str, Meta(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]
Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
KeyName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _+-]{0,23}$")]
PromptFile = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\.(wav|ogg|mp3)$")]

Icon = Literal["singing", "exercise", "call", "meeting", "broadcast", "health", "info"]
"""Pictures bundled in ``assets/icons``."""

TileAction = Literal["programme", "call", "group", "live", "info", "message"]
"""What pressing a tile starts: a recorded programme, a call with city hall, a
group session (video room), a live broadcast, an information page, or a video
message to city hall (의견 남기기; its target stays empty)."""


class _Frozen(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class Centre(_Frozen, frozen=True, kw_only=True):
    """The senior centre this box stands in."""

    id: Slug
    """Fleet-wide identifier, e.g. ``namwon-001``."""
    name: Annotated[str, Meta(min_length=1, max_length=40)]
    """Korean name shown in the header, e.g. ``향교동 경로당``."""
    district: Annotated[str, Meta(max_length=40, pattern=r"^[^/+#\x00]*$")] = ""
    """District (읍·면·동) the centre belongs to (alerts may address it: no ``/``, ``+``
    or ``#``)."""
    contact: Annotated[str, Meta(max_length=40)] = ""
    """Who to call at the centre (leader's phone), for technicians."""
    timezone: Annotated[str, Meta(min_length=1, max_length=64)] = "Asia/Seoul"
    """IANA time zone for the clock and the schedule."""


class Display(_Frozen, frozen=True, kw_only=True):
    """How the screen looks."""

    language: Literal["ko", "en"] = "ko"
    """Language of every text on screen; Korean for seniors."""
    show_english: bool = True
    """Show a small English line under each Korean tile label."""
    show_cursor: bool = False
    """Show the mouse pointer (off for touch screens and remotes)."""
    background: Colour = "#0B1426"
    """Screen background."""
    text: Colour = "#FFFFFF"
    """Text on the background and on every tile."""
    accent: Colour = "#FFE14D"
    """Focus ring and highlights."""


class Tile(_Frozen, frozen=True, kw_only=True):
    """One big button on the home screen."""

    id: Slug
    """Stable identifier, unique among the tiles."""
    label: Annotated[str, Meta(min_length=1, max_length=16)]
    """Korean label, e.g. ``노래교실``."""
    label_en: Annotated[str, Meta(max_length=32)] = ""
    """Optional English line under the label."""
    icon: Icon
    """Picture on the tile."""
    colour: Colour
    """Tile colour; must reach 7:1 contrast with ``display.text``."""
    action: TileAction
    """What pressing the tile starts."""
    target: Annotated[str, Meta(max_length=200)] = ""
    """What the action acts on (programme id, contact, room); empty for defaults."""
    prompt: PromptFile | None = None
    """Voice prompt played on press, e.g. ``singing.wav``; none for silence."""

    def labels(self, language: str, show_english: bool) -> tuple[str, str]:
        """The big label and the small line under it ('' for none) in *language*.

        Korean screens show the Korean label over the optional English line; an
        English screen swaps them where an English label exists.
        """
        if language == "en" and self.label_en:
            return self.label_en, self.label
        return self.label, self.label_en if show_english else ""


def _default_tile_keys() -> list[str]:
    return [str(n) for n in range(1, 10)]


class Keys(_Frozen, frozen=True, kw_only=True):
    """Which key does what. Names are Qt's (``Escape``, ``F1``, ``Media Play``).

    Big-button USB keypads and TV remotes send many different keys; each
    command accepts a list.
    """

    tiles: Annotated[list[KeyName], Meta(max_length=9)] = msgspec.field(
        default_factory=_default_tile_keys
    )
    """Key *n* presses tile *n* (1-based)."""
    up: list[KeyName] = msgspec.field(default_factory=lambda: ["Up"])
    """Move the focus ring up."""
    down: list[KeyName] = msgspec.field(default_factory=lambda: ["Down"])
    """Move the focus ring down."""
    left: list[KeyName] = msgspec.field(default_factory=lambda: ["Left"])
    """Move the focus ring left."""
    right: list[KeyName] = msgspec.field(default_factory=lambda: ["Right"])
    """Move the focus ring right."""
    activate: list[KeyName] = msgspec.field(
        default_factory=lambda: ["Return", "Enter", "Space", "Select"]
    )
    """Press the control inside the focus ring."""
    back: list[KeyName] = msgspec.field(
        default_factory=lambda: ["Escape", "Backspace", "Back", "Home"]
    )
    """Go back / home."""
    leader: list[KeyName] = msgspec.field(default_factory=lambda: ["F12"])
    """Pressed three times within three seconds: the leader's PIN keypad."""

    def __post_init__(self) -> None:
        owners: dict[str, str] = {}
        for command in ("tiles", "up", "down", "left", "right", "activate", "back", "leader"):
            for key in getattr(self, command):
                owner = owners.setdefault(key.casefold(), command)
                if owner != command:
                    raise ValueError(f"key {key!r} is given to both {owner} and {command}")
        if len(set(k.casefold() for k in self.tiles)) != len(self.tiles):
            raise ValueError("the same key is given to two tiles")


class Idle(_Frozen, frozen=True, kw_only=True):
    """When the kiosk goes home by itself."""

    return_home_after_s: Annotated[int, Meta(ge=10, le=3600)] = 120
    """Seconds without a touch or key on any other screen before going home
    (never while something plays or a call is up)."""
    please_wait_s: Annotated[int, Meta(ge=2, le=60)] = 5
    """Seconds the calm "please wait" message stays after an error."""


class Voice(_Frozen, frozen=True, kw_only=True):
    """Spoken guidance."""

    enabled: bool = True
    """Speak a short prompt when a tile is pressed."""
    volume: Annotated[int, Meta(ge=0, le=100)] = 90
    """Prompt volume in percent."""


PinHash = Annotated[str, Meta(pattern=PIN_HASH_PATTERN, description="scrypt:N:r:p:salt:hash")]


class Leader(_Frozen, frozen=True, kw_only=True):
    """The centre leader's access (leader mode)."""

    pin_hash: PinHash | None = None
    """Salted scrypt hash of the leader's PIN (never the PIN itself); none: no leader mode."""
    leave_after_s: Annotated[int, Meta(ge=30, le=3600)] = 120
    """The leader screen closes by itself after this many seconds without a touch."""


SoundLink = Literal["speakerphone", "usb", "hdmi", "analog"]


class Devices(_Frozen, frozen=True, kw_only=True):
    """Which camera, microphone and speaker to use when several are attached."""

    camera_model: Annotated[str, Meta(max_length=60)] = ""
    """Prefer a camera whose model name contains this (case-insensitive), e.g. ``BRIO``."""
    microphone_order: list[SoundLink] = msgspec.field(
        default_factory=lambda: ["speakerphone", "usb", "analog", "hdmi"]
    )
    """Kinds of microphone in order of preference; unlisted kinds are never used."""
    speaker_order: list[SoundLink] = msgspec.field(
        default_factory=lambda: ["speakerphone", "hdmi", "usb", "analog"]
    )
    """Kinds of speaker in order of preference. A USB speakerphone first: it cancels
    the echo of its own speaker in hardware, so city hall hears the room, not the TV."""


class Technician(_Frozen, frozen=True, kw_only=True):
    """The installer's access to the diagnostics screen (same keypad as leader mode)."""

    pin_hash: PinHash | None = None
    """Salted scrypt hash of the technicians' PIN (it must differ from the leader's, whose
    screen would open instead); none: no diagnostics screen on the box (``kiosk doctor``
    over SSH still works)."""


class Maintenance(_Frozen, frozen=True, kw_only=True):
    """Unattended care of the box."""

    restart_at: Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] | None = "04:00"
    """Daily restart (centre time) for memory hygiene, only when nobody uses the kiosk;
    none: never."""


class Sync(_Frozen, frozen=True, kw_only=True):
    """How the box keeps its configuration up to date."""

    interval_s: Annotated[int, Meta(ge=60, le=86_400)] = 900
    """Mean seconds between checks; each wait is drawn from ±25 % around it so
    that 500 boxes never ask the server in step."""
    quiet_s: Annotated[int, Meta(ge=0, le=3600)] = 30
    """A new configuration is applied only on the home screen, with nothing
    playing, after this many seconds without a touch or key."""


class Transport(_Frozen, frozen=True, kw_only=True):
    """How the box may talk to other machines."""

    allow_unencrypted: bool = False
    """Allow ``ws://`` and ``http://`` to other machines (calls, downloads, live
    broadcasts). Only for a closed test network: anyone on the way can then read and
    change the calls, videos and streams. Addresses on the box itself (``127.0.0.1``,
    ``localhost``) never need it."""


def on_this_machine(host: str) -> bool:
    """*host* is this machine: ``localhost`` or a loopback address (not a name that
    merely starts with ``127.``, such as ``127.0.0.1.example.com``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unencrypted_to_another_machine(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "ws") and not on_this_machine(parts.hostname or "")


class KioskConfig(_Frozen, frozen=True, kw_only=True):
    """One centre's whole configuration."""

    schema_version: int
    """Layout of this document; must be :data:`SCHEMA_VERSION`."""
    revision: Annotated[int, Meta(ge=0)] = 0
    """Revision set by the provisioning side, shown to technicians."""
    centre: Centre
    display: Display = msgspec.field(default_factory=Display)
    tiles: Annotated[list[Tile], Meta(min_length=2, max_length=6)]
    keys: Keys = msgspec.field(default_factory=Keys)
    idle: Idle = msgspec.field(default_factory=Idle)
    voice: Voice = msgspec.field(default_factory=Voice)
    sync: Sync = msgspec.field(default_factory=Sync)
    leader: Leader = msgspec.field(default_factory=Leader)
    library: Annotated[list[Video], Meta(max_length=500)] = msgspec.field(default_factory=list)
    programmes: Annotated[list[Programme], Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    schedule: Annotated[list[Slot], Meta(max_length=200)] = msgspec.field(default_factory=list)
    downloads: Downloads = msgspec.field(default_factory=Downloads)
    devices: Devices = msgspec.field(default_factory=Devices)
    technician: Technician = msgspec.field(default_factory=Technician)
    maintenance: Maintenance = msgspec.field(default_factory=Maintenance)
    calls: Calls = msgspec.field(default_factory=Calls)
    transport: Transport = msgspec.field(default_factory=Transport)
    fleet: FleetChannel | None = None
    """City hall's fleet channel (status, alerts); none: the box reports nowhere and
    hears no alerts."""
    notices: Annotated[list[Notice], Meta(max_length=50)] = msgspec.field(default_factory=list)
    """Today's notices (오늘의 안내), each shown on the days it is valid."""

    def programme(self, programme_id: str) -> Programme | None:
        return next((p for p in self.programmes if p.id == programme_id), None)

    def video(self, video_id: str) -> Video | None:
        return next((v for v in self.library if v.id == video_id), None)

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {self.schema_version} is not {SCHEMA_VERSION}, "
                "the one this kiosk understands"
            )
        ids = [tile.id for tile in self.tiles]
        for tile_id in ids:
            if ids.count(tile_id) > 1:
                raise ValueError(f"tile id {tile_id!r} is used twice")
        check_references(self.library, self.programmes, self.schedule)
        notice_ids = [notice.id for notice in self.notices]
        for notice_id in notice_ids:
            if notice_ids.count(notice_id) > 1:
                raise ValueError(f"notice id {notice_id!r} is used twice")
        self._check_call_tiles()
        self._check_message_tiles()
        self._check_transport()
        text = self.display.text
        pairs = [("display.background", self.display.background)]
        pairs += [(f"tiles[{i}].colour", t.colour) for i, t in enumerate(self.tiles)]
        for field, colour in pairs:
            ratio = contrast_ratio(text, colour)
            if ratio < AAA_CONTRAST:
                raise ValueError(
                    f"{field} {colour} gives contrast {ratio:.1f}:1 with display.text "
                    f"{text}; at least {AAA_CONTRAST}:1 is needed"
                )
        accent = contrast_ratio(self.display.accent, self.display.background)
        if accent < AAA_CONTRAST:
            raise ValueError(
                f"display.accent gives contrast {accent:.1f}:1 with display.background; "
                f"at least {AAA_CONTRAST}:1 is needed"
            )

    def _check_transport(self) -> None:
        """Plain text to another machine only where the configuration says so."""
        if self.transport.allow_unencrypted:
            return
        urls = [
            ("calls.server", self.calls.server),
            ("downloads.base_url", self.downloads.base_url),
        ]
        urls += [(f"programme {p.id!r} live_url", p.live_url) for p in self.programmes]
        for field, url in urls:
            if url and _unencrypted_to_another_machine(url):
                secure = "wss" if url.startswith("ws:") else "https"
                raise ValueError(
                    f"{field} {url} is not encrypted: use {secure}:// "
                    "(transport.allow_unencrypted only on a closed test network)"
                )

    def _check_call_tiles(self) -> None:
        """With a call server configured, call and group tiles name a contact or room."""
        if self.calls.server is None:
            return  # those tiles say "not available yet"
        for tile in self.tiles:
            if tile.action == "call" and self.calls.contact(tile.target) is None:
                raise ValueError(f"tile {tile.id!r} calls {tile.target!r}, not a contact")
            if tile.action == "group" and self.calls.room(tile.target) is None:
                raise ValueError(f"tile {tile.id!r} joins {tile.target!r}, not a room")

    def _check_message_tiles(self) -> None:
        """A message tile names nothing (messages go to city hall's identity service,
        the box's own), and one is enough: two would be the same button twice."""
        messages = [tile for tile in self.tiles if tile.action == "message"]
        for tile in messages:
            if tile.target:
                raise ValueError(
                    f"tile {tile.id!r} leaves a message: its target must be empty, "
                    f"not {tile.target!r}"
                )
        if len(messages) > 1:
            first, second = messages[0].id, messages[1].id
            raise ValueError(f"tiles {first!r} and {second!r} both leave a message")
