"""Alerts from city hall: checked, signed with city hall's alert key, published retained
on each addressed topic; a record of what was sent (``REPO/alerts/record.sqlite3``)
that also hands out sequence numbers; the boxes' receipts.

A sequence number is never handed out twice, also to two runs at once (taken in one
SQLite write transaction): it is the current Unix second, or one more than the last
if that is not smaller, so numbers keep counting up even if the record were restored
from an old backup (the boxes refuse a number they have seen exceeded).
"""

import datetime as dt
import json
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import (
    MAX_ALERT_BYTES,
    MAX_ALERT_DAYS,
    MAX_VOICE_BYTES,
    Alert,
    Audience,
    Level,
    Receipt,
    sign_alert,
)
from kiosk_provisioning.broker.alertkey import alert_key
from kiosk_provisioning.problems import Problem, ProvisionError

if TYPE_CHECKING:
    from kiosk_provisioning.broker.session import HallSession

LEVELS = {
    "안내": Level.INFO,
    "info": Level.INFO,
    "주의": Level.CAUTION,
    "caution": Level.CAUTION,
    "긴급": Level.EMERGENCY,
    "emergency": Level.EMERGENCY,
}
LEVEL_WORDS = {Level.INFO: "안내", Level.CAUTION: "주의", Level.EMERGENCY: "긴급"}
STATES = ("delivered", "shown", "acknowledged")
"""How far an alert got on a box, in order."""
MAX_HOURS = MAX_ALERT_DAYS * 24
MAX_TEXT = 300
"""Characters of an alert's Korean text (what the box's screen fits; the contract's bound)."""
MAX_TEXT_EN = 450


@dataclass(frozen=True)
class SentAlert:
    """One alert in the record."""

    seq: int
    id: str
    level: Level
    text: str
    audience: Audience
    centres: tuple[str, ...]
    """The centres it was for, as the fleet was when it was sent."""
    topics: tuple[str, ...]
    issued_at: int
    expires_at: int
    sent_at: float | None
    """None: the broker was not reached (nothing was published)."""
    withdrawn_at: float | None


class AlertRecord:
    """The record of alerts sent, in ``REPO/alerts/record.sqlite3`` (folder 0700)."""

    def __init__(self, repo: Path) -> None:
        folder = repo / "alerts"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / "record.sqlite3"
        with self._db() as db:
            db.execute(
                """CREATE TABLE IF NOT EXISTS alerts (
                    seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, level TEXT NOT NULL,
                    text TEXT NOT NULL, audience TEXT NOT NULL, centres TEXT NOT NULL,
                    topics TEXT NOT NULL, issued_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, sent_at REAL, withdrawn_at REAL,
                    cleared INTEGER NOT NULL DEFAULT 0)"""
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def reserve(self, now: int) -> int:
        """A new sequence number (never one handed out before), held in the record
        with nothing else yet: :meth:`fill` completes it."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            (last,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM alerts").fetchone()
            seq = max(int(last) + 1, now)
            db.execute(
                "INSERT INTO alerts (seq, id, level, text, audience, centres, topics, "
                "issued_at, expires_at) VALUES (?, ?, '', '', '{}', '[]', '[]', ?, ?)",
                (seq, f"a-{seq}", now, now),
            )
            db.execute("COMMIT")
        return seq

    def fill(self, alert: Alert, centres: list[str]) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE alerts SET level = ?, text = ?, audience = ?, centres = ?, "
                "topics = ?, issued_at = ?, expires_at = ? WHERE seq = ?",
                (
                    alert.level.value,
                    alert.text,
                    msgspec.json.encode(alert.audience).decode(),
                    json.dumps(centres),
                    json.dumps(alert.topics()),
                    alert.issued_at,
                    alert.expires_at,
                    alert.seq,
                ),
            )

    def mark(self, alert_id: str, column: str, when: float | None = None) -> None:
        assert column in ("sent_at", "withdrawn_at")
        with self._db() as db:
            db.execute(
                f"UPDATE alerts SET {column} = ? WHERE id = ?", (when or time.time(), alert_id)
            )

    def mark_cleared(self, alert_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE alerts SET cleared = 1 WHERE id = ?", (alert_id,))

    def alerts(self) -> list[SentAlert]:
        """Every alert sent (or tried), oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT seq, id, level, text, audience, centres, topics, issued_at, "
                "expires_at, sent_at, withdrawn_at FROM alerts WHERE level != '' ORDER BY seq"
            ).fetchall()
        return [
            SentAlert(
                seq,
                alert_id,
                Level(level),
                text,
                msgspec.json.decode(audience, type=Audience),
                tuple(json.loads(centres)),
                tuple(json.loads(topics)),
                issued,
                expires,
                sent,
                withdrawn,
            )
            for (
                seq,
                alert_id,
                level,
                text,
                audience,
                centres,
                topics,
                issued,
                expires,
                sent,
                withdrawn,
            ) in rows
        ]

    def to_clear(self, now: float) -> list[SentAlert]:
        """Alerts whose retained messages should go: expired or withdrawn, not cleared."""
        with self._db() as db:
            ids = {
                alert_id
                for (alert_id,) in db.execute(
                    "SELECT id FROM alerts WHERE level != '' AND cleared = 0 AND sent_at IS "
                    "NOT NULL AND (expires_at <= ? OR withdrawn_at IS NOT NULL)",
                    (now,),
                )
            }
        return [alert for alert in self.alerts() if alert.id in ids]

    def find(self, alert_id: str) -> SentAlert:
        for alert in self.alerts():
            if alert.id == alert_id:
                return alert
        raise ProvisionError([Problem(str(self.path), f"no alert {alert_id!r} was sent")])


def audience_of(
    configs: list[KioskConfig], everyone: bool, districts: list[str], centres: list[str]
) -> tuple[Audience, list[str]]:
    """The audience and the centres it reaches; unknown names are refused, naming them."""
    if sum((everyone, bool(districts), bool(centres))) != 1:
        raise ProvisionError([Problem("alert", "say who it is for: --all, --district or --centre")])
    known = {c.centre.id: c.centre.district for c in configs}
    if everyone:
        return Audience(kind="all"), sorted(known)
    if districts:
        unknown = sorted(set(districts) - set(known.values()) - {""})
        if unknown:
            names = ", ".join(unknown)
            raise ProvisionError([Problem("--district", f"no centre is in {names}")])
        reached = sorted(c for c, d in known.items() if d in districts)
        return Audience(kind="district", names=sorted(set(districts))), reached
    unknown = sorted(set(centres) - set(known))
    if unknown:
        raise ProvisionError([Problem("--centre", f"not in the fleet: {', '.join(unknown)}")])
    return Audience(kind="centres", names=sorted(set(centres))), sorted(set(centres))


def media_kind(data: bytes) -> str:
    """``png``, ``jpeg``, ``ogg``, ``wav``, ``mp3`` from the first bytes, or ``""``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"OggS"):
        return "ogg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return ""


PICTURE_KINDS = ("png", "jpeg")
VOICE_KINDS = ("ogg", "wav", "mp3")


def media_problem(data: bytes, kinds: tuple[str, ...], limit: int, what: str) -> str | None:
    """Why *data* cannot be an alert's *what* (larger than *limit*, not one of *kinds*
    by its first bytes), or None when it can."""
    if len(data) > limit:
        return f"the {what} is larger than {limit} bytes"
    if media_kind(data) not in kinds:
        return f"the {what} is not {' or '.join(kind.upper() for kind in kinds)}"
    return None


def cut_short(data: bytes) -> bool:
    """Whether *data* (a PNG, JPEG, WAV or OGG by :func:`media_kind`) ends before its
    format says it does: an upload or copy broken off. MP3 has no end marker to check."""
    kind = media_kind(data)
    if kind == "png":
        return not data.endswith(b"IEND\xaeB`\x82")
    if kind == "jpeg":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if kind == "wav":
        return len(data) < 8 + int.from_bytes(data[4:8], "little")
    if kind == "ogg":
        last = data.rfind(b"OggS")
        # The last page has the end-of-stream flag and all the bytes its segments count.
        if last < 0 or len(data) < last + 27 or not data[last + 5] & 0x04:
            return True
        count = data[last + 26]
        segments = data[last + 27 : last + 27 + count]
        return len(segments) < count or len(data) < last + 27 + count + sum(segments)
    return False


def read_media(path: Path, kinds: tuple[str, ...], limit: int, what: str) -> bytes:
    """*path*'s bytes if it is one of *kinds* and at most *limit* bytes."""
    try:
        with path.open("rb") as src:
            data = src.read(limit + 1)
    except OSError as err:
        raise ProvisionError([Problem(str(path), f"cannot read the {what}: {err}")]) from None
    problem = media_problem(data, kinds, limit, what)
    if problem is not None:
        raise ProvisionError([Problem(str(path), problem)])
    return data


def speak(text: str, limit: int = MAX_VOICE_BYTES // 4) -> bytes | None:
    """*text* spoken in Korean by espeak-ng, as OGG/Opus (or WAV without ffmpeg), if
    espeak-ng is installed and the result is at most *limit* bytes; else None (the box
    then has only the text to show)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "voice.wav"
        spoken = subprocess.run(
            [espeak, "-v", "ko", "-w", str(wav), text], capture_output=True, check=False
        )
        if spoken.returncode != 0 or not wav.exists():
            return None
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is not None:
            ogg = Path(tmp) / "voice.ogg"
            opus = ["-ac", "1", "-c:a", "libopus", "-b:a", "24k"]
            encoded = subprocess.run(
                [ffmpeg, "-loglevel", "error", "-i", str(wav), *opus, str(ogg)],
                capture_output=True,
                check=False,
            )
            if encoded.returncode == 0 and 0 < ogg.stat().st_size <= limit:
                return ogg.read_bytes()
        data = wav.read_bytes()
        return data if len(data) <= limit else None


@dataclass(frozen=True)
class Draft:
    """What a technician asked for, checked."""

    level: Level
    text: str
    text_en: str
    audience: Audience
    centres: list[str]
    hours: float
    voice: bytes | None
    picture: bytes | None


def make_draft(
    configs: list[KioskConfig],
    level: Level,
    text: str,
    text_en: str,
    everyone: bool,
    districts: list[str],
    centres: list[str],
    hours: float,
    voice: bytes | None,
    picture: bytes | None,
    read_aloud: bool = True,
) -> Draft:
    """What staff asked for, checked (texts, hours, audience against *configs*, the
    fleet as built); without *voice*, espeak-ng reads *text* aloud when *read_aloud*.
    *voice* and *picture* are checked by the caller (:func:`media_problem`)."""
    check_text(text, text_en)
    check_hours(hours)
    audience, reached = audience_of(configs, everyone, districts, centres)
    if voice is None and read_aloud:
        voice = speak(text)
    return Draft(level, text, text_en, audience, reached, hours, voice, picture)


def check_hours(hours: float) -> int:
    if not 0 < hours <= MAX_HOURS:
        raise ProvisionError(
            [Problem("--hours", f"an alert lasts more than 0 and at most {MAX_HOURS} hours")]
        )
    return round(hours * 3600)


def signed(repo: Path, record: AlertRecord, draft: Draft, now: int) -> tuple[Alert, bytes]:
    """A new alert from *draft*, numbered, recorded and signed; the envelope's bytes."""
    lasts = check_hours(draft.hours)
    seq = record.reserve(now)
    try:
        alert = Alert(
            id=f"a-{seq}",
            seq=seq,
            level=draft.level,
            text=draft.text,
            text_en=draft.text_en,
            audience=draft.audience,
            issued_at=now,
            expires_at=now + lasts,
            voice=draft.voice,
            picture=draft.picture,
        )
    except (ValueError, msgspec.ValidationError) as err:
        raise ProvisionError([Problem("alert", str(err))]) from None
    envelope = sign_alert(alert, alert_key(repo).sign)
    if len(envelope) > MAX_ALERT_BYTES:
        raise ProvisionError(
            [
                Problem(
                    "alert",
                    f"{len(envelope)} bytes signed; a box reads at most {MAX_ALERT_BYTES}: "
                    "use a shorter recording or a smaller picture",
                )
            ]
        )
    record.fill(alert, draft.centres)
    return alert, envelope


def check_text(text: str, text_en: str) -> None:
    """The texts within what the box shows (checked before a number is taken)."""
    limits = {"--text": (text, MAX_TEXT), "--text-en": (text_en, MAX_TEXT_EN)}
    for option, (value, limit) in limits.items():
        if len(value) > limit:
            raise ProvisionError([Problem(option, f"at most {limit} characters")])
    if not text.strip():
        raise ProvisionError([Problem("--text", "the alert needs a text")])


def send(
    repo: Path, hall: "HallSession", record: AlertRecord, draft: Draft
) -> tuple[Alert, list[str]]:
    """Sign *draft* as a new alert and publish it, retained until it expires, on each
    topic of its audience; recorded as sent. Every send first clears the retained
    messages of alerts expired or withdrawn. The alert, and the ids cleared.

    The one way an alert leaves city hall: ``kiosk-provision alert`` and the console's
    알림 page both come here."""
    alert, envelope = signed(repo, record, draft, int(time.time()))
    cleared = clear(hall, record, record.to_clear(time.time()))
    lasts = alert.expires_at - int(time.time())
    for topic in alert.topics():
        hall.publish(topic, envelope, retain=True, lasts_s=lasts)
    record.mark(alert.id, "sent_at")
    return alert, cleared


def clear(hall: "HallSession", record: AlertRecord, alerts: list[SentAlert]) -> list[str]:
    """Take *alerts*' retained messages off the broker (an empty retained message)."""
    for alert in alerts:
        for topic in alert.topics:
            hall.publish(topic, b"", retain=True)
        record.mark_cleared(alert.id)
    return [alert.id for alert in alerts]


def withdraw(record: AlertRecord, alert_id: str) -> SentAlert:
    """Record a sent alert as withdrawn; :func:`clear` then takes its retained messages
    off the broker (or the next :func:`send` does, if the broker was not reached), so
    boxes that connect from then on do not get it. A box showing it keeps it until 확인:
    the clearing message is not signed."""
    alert = record.find(alert_id)
    record.mark(alert.id, "withdrawn_at")
    return alert


def latest_receipts(payloads: dict[str, bytes]) -> dict[str, Receipt]:
    """Centre -> its receipt, from retained receipt messages (topic -> payload)."""
    found: dict[str, Receipt] = {}
    for topic, payload in payloads.items():
        parts = topic.split("/")
        if len(parts) != 4 or not payload:
            continue
        try:
            found[parts[1]] = msgspec.json.decode(payload, type=Receipt)
        except (msgspec.DecodeError, ValueError):  # ValueError: bad UTF-8
            continue
    return found


def when(seconds: float | None) -> str:
    if not seconds:
        return ""
    return dt.datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M:%S")
