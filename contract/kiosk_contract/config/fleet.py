"""Configuration of the fleet channel and of today's notices.

Part of :class:`kiosk_contract.config.model.KioskConfig`; declared here to keep the
model file short. The channel's messages themselves are in :mod:`kiosk_contract.fleet`.
"""

import base64
import binascii
import datetime as dt
from typing import Annotated
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from kiosk_contract.config.programmes import MediaFile

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Day = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]
AlertKey = Annotated[str, Meta(pattern=r"^[A-Za-z0-9+/]{43}=$", description="base64 Ed25519")]


class _Frozen(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class FleetChannel(_Frozen, frozen=True, kw_only=True):
    """City hall's message broker (MQTT over TLS): the box reports its status there and
    hears alerts from it. The box logs in with its own certificate (enrolment)."""

    broker: Annotated[str, Meta(pattern=r"^mqtts://[^\s/]{1,200}/?$")]
    """``mqtts://host[:port]`` (port 8883 when left out). Always TLS: the box proves who
    it is with its certificate, and the broker with one the fleet trusts."""
    alert_keys: Annotated[list[AlertKey], Meta(max_length=4)] = msgspec.field(default_factory=list)
    """Public halves of city hall's alert keys (raw Ed25519, base64). An alert signed by
    none of them is refused; two during a key change. Empty: every alert is refused."""
    status_every_s: Annotated[int, Meta(ge=30, le=3600)] = 120
    """Seconds between status reports when nothing changes (a change is sent at once).
    City hall's "offline since" for a box that vanished is as exact as this."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.broker)
        try:
            port = parts.port  # raises for a port that is not a number or out of range
        except ValueError:
            port = 0
        if not parts.hostname or port == 0:
            raise ValueError(f"fleet.broker {self.broker!r} names no host or a bad port")
        for key in self.alert_keys:
            try:
                raw = base64.b64decode(key, validate=True)
            except binascii.Error:
                raw = b""
            if len(raw) != 32:
                raise ValueError(f"alert key {key!r} is not a base64 Ed25519 public key")

    @property
    def host(self) -> str:
        return urlsplit(self.broker).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.broker).port or 8883

    def public_keys(self) -> list[bytes]:
        """The alert keys as raw bytes."""
        return [base64.b64decode(key) for key in self.alert_keys]


class Notice(_Frozen, frozen=True, kw_only=True):
    """One of today's notices (오늘의 안내): shown on the notices tile from
    *valid_from* to *valid_to* (both included, the centre's dates)."""

    id: Slug
    title: Annotated[str, Meta(min_length=1, max_length=40)]
    """Short Korean title, listed in large type."""
    text: Annotated[str, Meta(min_length=1, max_length=600)]
    """The notice itself, shown large and read aloud when it has no recording."""
    title_en: Annotated[str, Meta(max_length=60)] = ""
    text_en: Annotated[str, Meta(max_length=900)] = ""
    valid_from: Day
    valid_to: Day
    picture: MediaFile | None = None
    """A picture (PNG or JPEG) from the repository's media, shown beside the text."""
    voice: MediaFile | None = None
    """A recording of the notice (OGG, WAV or MP3) from the repository's media, played
    when the notice is chosen."""

    def __post_init__(self) -> None:
        start, end = self.first_day, self.last_day  # also checks the dates are real
        if end < start:
            raise ValueError(f"notice {self.id!r} ends ({self.valid_to}) before it starts")

    @property
    def first_day(self) -> dt.date:
        return _day(self.id, "valid_from", self.valid_from)

    @property
    def last_day(self) -> dt.date:
        return _day(self.id, "valid_to", self.valid_to)

    def shown_on(self, day: dt.date) -> bool:
        """The notice is one of *day*'s."""
        return self.first_day <= day <= self.last_day


def _day(notice: str, field: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"notice {notice!r} {field} {text!r} is not a date") from None
