"""Configuration of programmes: the video library, live broadcasts and the weekly timetable.

Part of :class:`kiosk_contract.config.model.KioskConfig`; declared here to keep the
model file short. The library names each file by its SHA-256 and size, so a
box can verify every download against the signed configuration alone.
"""

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
MediaName = Annotated[
    str, Meta(pattern=r"^[0-9a-f]{64}\.(mp4|mkv|webm|ts|srt|ass|png|jpg|ogg|wav|mp3)$")
]
"""Videos, lyrics, and notices' pictures and recordings."""
HttpUrl = Annotated[str, Meta(pattern=r"^https?://[^\s]{1,500}$")]
Clock = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Frozen(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class MediaFile(_Frozen, frozen=True, kw_only=True):
    """One file of the library, as published in the repository's ``media/`` folder."""

    file: MediaName
    """``<sha256>.<ext>``, the name under which the repository publishes it."""
    sha256: Sha256
    size: Annotated[int, Meta(ge=1, le=20_000_000_000)]
    """Bytes; a download longer than this is cut off and refused."""

    def __post_init__(self) -> None:
        if not self.file.startswith(self.sha256):
            raise ValueError(f"file {self.file} is not named by its sha256")


class Video(_Frozen, frozen=True, kw_only=True):
    """A recorded video: a singing class, an exercise session, a notice."""

    id: Slug
    title: Annotated[str, Meta(min_length=1, max_length=60)]
    """Korean title shown while it plays and on the leader's screen."""
    category: Literal["singing", "exercise", "other"] = "other"
    video: MediaFile
    subtitles: MediaFile | None = None
    """Lyrics (SRT or ASS), shown large at the bottom of the screen."""


class Programme(_Frozen, frozen=True, kw_only=True):
    """What a programme tile or a timetable entry plays."""

    id: Slug
    title: Annotated[str, Meta(min_length=1, max_length=60)]
    videos: list[Slug] = msgspec.field(default_factory=list)
    """Library videos played in order (a singing class, an exercise series)."""
    live_url: HttpUrl | None = None
    """An HLS stream (``.m3u8``) from city hall: played instead of the videos."""
    fallback: Slug | None = None
    """Library video played while the live stream is down."""

    def __post_init__(self) -> None:
        if not self.videos and self.live_url is None:
            raise ValueError(f"programme {self.id!r} has neither videos nor a live_url")


class Slot(_Frozen, frozen=True, kw_only=True):
    """One weekly timetable entry, in the centre's time zone."""

    programme: Slug
    days: Annotated[list[Day], Meta(min_length=1, max_length=7)]
    start: Clock
    minutes: Annotated[int, Meta(ge=5, le=480)] = 60
    """How long the slot lasts; the join banner stays up while it runs."""
    auto_start: bool = False
    """Start by itself at the start time if nobody is using the kiosk."""
    notice_min: Annotated[int, Meta(ge=0, le=120)] = 10
    """Minutes before the start when the banner with the countdown appears."""


class Downloads(_Frozen, frozen=True, kw_only=True):
    """How the box fills its media cache."""

    base_url: HttpUrl | None = None
    """Where ``<sha256>.<file>`` is fetched; none: the configuration repository's
    ``targets/media`` folder."""
    quota_mb: Annotated[int, Meta(ge=100, le=1_000_000)] = 20_000
    """The cache never grows past this; files no longer in the library go first."""


def check_references(
    library: list[Video], programmes: list[Programme], schedule: list[Slot]
) -> None:
    """Every id is unique and every reference points at something that exists."""
    videos = {v.id for v in library}
    if len(videos) != len(library):
        raise ValueError("a library video id is used twice")
    names = {p.id for p in programmes}
    if len(names) != len(programmes):
        raise ValueError("a programme id is used twice")
    for p in programmes:
        for ref in [*p.videos, *([p.fallback] if p.fallback else [])]:
            if ref not in videos:
                raise ValueError(f"programme {p.id!r} names video {ref!r}, not in the library")
    for i, slot in enumerate(schedule):
        if slot.programme not in names:
            raise ValueError(f"schedule[{i}] names programme {slot.programme!r}, which is unknown")
