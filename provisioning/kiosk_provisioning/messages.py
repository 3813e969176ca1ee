"""Video messages from the centres (의견 남기기): the store the identity service fills
by resumable upload and the console reads.

A box announces a message (its id, size, SHA-256, duration), then sends its bytes in
order, each piece appended durably to ``REPO/messages/incoming/<id>.part``. When the
last byte is in, the file is checked (SHA-256, then ffprobe: a WebM with one video
and one audio stream, at most :data:`MAX_DURATION_S`) and moved to
``REPO/messages/<centre>/<id>.webm``: one complete copy per id, never two. A file
that fails the check is deleted with its entry.

The index is ``REPO/messages/messages.sqlite3`` (WAL, ``synchronous=FULL``), opened
by the identity service and the console alike. It is the truth about how far an
upload has come: a piece's bytes are written and fsynced before the index moves the
offset, and an append starts by cutting the part back to the index's offset, so a
power cut or a broken connection never leaves bytes counted that are not on disk.

Qt-free and synchronous: the identity service calls it from a worker thread.
"""

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

log = logging.getLogger(__name__)

MAX_SIZE = 32 * 1024 * 1024
"""Largest message, in bytes (a 60 s message at the box's settings is about 5 MB)."""
MAX_CHUNK = 1024 * 1024
"""Largest piece one append may carry (the box sends 256 KiB)."""
MAX_DURATION_S = 65.0
"""Longest message, in seconds (the box records at most 60)."""
MAX_UPLOADING = 20
"""Unfinished uploads one centre may have at once (a box has a few at most)."""
SPARE_BYTES = 1024 * 1024 * 1024
"""Free space an announcement leaves on the disk, besides the message itself."""
ABANDONED_S = 7 * 24 * 3600.0
"""An upload untouched this long is given up: its part and entry are deleted."""
PROBE_TIMEOUT_S = 60.0
WHOLE_WITHIN_S = 1.5
"""Each stream's last packet starts at most this long before the message ends."""
STATES = ("uploading", "received", "handled")
VIDEO_CODECS = frozenset({"vp8", "vp9", "av1"})
AUDIO_CODECS = frozenset({"opus", "vorbis"})
"""What a WebM may carry."""

_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    centre TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    announced_at TEXT NOT NULL,
    received_at TEXT,
    duration_s REAL NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0,
    touched REAL NOT NULL,
    state TEXT NOT NULL,
    played_by TEXT,
    played_at TEXT,
    handled_by TEXT,
    handled_at TEXT
);
CREATE INDEX IF NOT EXISTS messages_centre ON messages (centre, state);
CREATE INDEX IF NOT EXISTS messages_received ON messages (state, received_at);
"""


class MessageError(Exception):
    """A request the store refuses. *kind* names why (the identity service maps it to
    a status); *offset*, for ``offset`` and ``busy``, is how far the upload is."""

    def __init__(self, kind: str, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.offset = offset


@dataclass(frozen=True)
class Message:
    """One message as the index holds it. Times are ISO 8601 in UTC."""

    id: str
    centre: str
    recorded_at: str
    announced_at: str
    received_at: str | None
    duration_s: float
    size: int
    sha256: str
    offset: int
    """Bytes durably received so far (``size`` once received)."""
    state: str
    played_by: str | None
    played_at: str | None
    handled_by: str | None
    handled_at: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self:
        return cls(
            id=row["id"],
            centre=row["centre"],
            recorded_at=row["recorded_at"],
            announced_at=row["announced_at"],
            received_at=row["received_at"],
            duration_s=row["duration_s"],
            size=row["size"],
            sha256=row["sha256"],
            offset=row["uploaded"],
            state=row["state"],
            played_by=row["played_by"],
            played_at=row["played_at"],
            handled_by=row["handled_by"],
            handled_at=row["handled_at"],
        )


def is_message_id(text: str) -> bool:
    return bool(_ID.match(text))


def _now_iso(clock: Callable[[], float]) -> str:
    return dt.datetime.fromtimestamp(clock(), dt.UTC).isoformat(timespec="seconds")


def _utc_iso(text: str) -> str:
    """*text* (ISO 8601 with a zone) as UTC, or :class:`MessageError`."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise MessageError("input", "recorded_at is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise MessageError("input", "recorded_at has no time zone")
    try:
        return when.astimezone(dt.UTC).isoformat(timespec="seconds")
    except OverflowError:  # 0001-01-01T00:00+14:00 has no date in UTC
        raise MessageError("input", "recorded_at is out of range") from None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_FFPROBE = ("ffprobe", "-v", "error", "-f", "matroska")
"""ffprobe as the check runs it: errors only, the Matroska demuxer only."""


def _ffprobe(path: Path, *asked: str) -> Iterator[str]:
    """ffprobe's output lines for *asked* on *path*, read as they come (a file of a
    million tiny packets never sits in memory whole); :class:`MessageError`
    (``malformed``) if it fails, says anything, or takes over :data:`PROBE_TIMEOUT_S`."""
    with (
        tempfile.TemporaryFile() as said,
        subprocess.Popen(
            [*_FFPROBE, *asked, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=said,
        ) as ffprobe,
    ):
        assert ffprobe.stdout is not None
        stop = threading.Timer(PROBE_TIMEOUT_S, ffprobe.kill)
        stop.start()
        try:
            for line in ffprobe.stdout:
                yield line.decode(errors="replace")
            code = ffprobe.wait()
        finally:
            stop.cancel()
            ffprobe.kill()
        said.seek(0)
        words = said.read(4096).decode(errors="replace").strip().splitlines()
    if code != 0 or words:
        why = words[-1] if words else f"ffprobe ended with {code}"
        raise MessageError("malformed", f"not a whole WebM ({why})")


def probe(path: Path) -> float:
    """The duration of the WebM at *path*, in seconds; :class:`MessageError`
    (``malformed``) unless it is a whole WebM (every packet read without an error,
    each stream running to the end) with exactly one video and one audio stream, no
    longer than :data:`MAX_DURATION_S`. Only the Matroska demuxer reads it (nothing
    is decoded)."""
    shown = "".join(
        _ffprobe(
            path,
            "-of",
            "json",
            "-show_entries",
            "format=duration:stream=index,codec_type,codec_name",
        )
    )
    ends: dict[int, float] = {}
    for line in _ffprobe(path, "-of", "csv=p=0", "-show_entries", "packet=stream_index,pts_time"):
        index, _, pts = line.strip().partition(",")
        with contextlib.suppress(ValueError):  # a packet without a time ("N/A")
            ends[int(index)] = max(ends.get(int(index), 0.0), float(pts))
    try:
        found: dict[str, Any] = json.loads(shown)
        streams: list[dict[str, Any]] = found["streams"]
        said = found.get("format", {}).get("duration")
        duration = float(said) if said is not None else max(ends.values(), default=0.0)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise MessageError("malformed", "not a WebM with a duration") from None
    kinds = sorted(str(s.get("codec_type")) for s in streams)
    if kinds != ["audio", "video"]:
        raise MessageError("malformed", f"needs one video and one audio stream, has {kinds}")
    for stream in streams:
        allowed = VIDEO_CODECS if stream.get("codec_type") == "video" else AUDIO_CODECS
        if stream.get("codec_name") not in allowed:
            raise MessageError("malformed", f"{stream.get('codec_name')} is not a WebM codec")
        if ends.get(int(stream["index"]), -1.0) < duration - WHOLE_WITHIN_S:
            raise MessageError("malformed", f"its {stream['codec_type']} ends early")
    if not 0 < duration <= MAX_DURATION_S:
        raise MessageError("malformed", f"{duration:.1f} s long (at most {MAX_DURATION_S:.0f})")
    return duration


class Append:
    """One piece being appended to an upload (from :meth:`MessageStore.append`).

    :meth:`write` the bytes in order, then :meth:`commit` (durable; the offset moves
    by what was written) or :meth:`discard` (the part is cut back; nothing moves).
    Either one also releases the upload for the next piece; use it as a context
    manager to make sure (leaving it without either discards).
    """

    def __init__(self, store: "MessageStore", message: Message, fd: int, most: int) -> None:
        self._store = store
        self.message = message
        self._fd = fd
        self._most = most
        self.written = 0
        self._done = False
        self._lock = threading.Lock()
        """One call at a time (a commit after a broken connection may come from
        another thread while the last write is still going)."""

    def write(self, data: bytes) -> None:
        """Append *data*; :class:`MessageError` (``size``) past what this piece may
        carry (the message's size, or :data:`MAX_CHUNK`): nothing of it is written."""
        with self._lock:
            if self._done:
                raise MessageError("offset", "this piece is over", self.message.offset)
            if self.written + len(data) > self._most:
                raise MessageError("size", "more bytes than the message or one piece may hold")
            view = memoryview(data)
            while view:
                done = os.pwrite(self._fd, view, self.message.offset + self.written)
                self.written += done
                view = view[done:]

    def commit(self) -> Message:
        """Make what was written durable and count it; when that completes the
        message, check it (:class:`MessageError` ``malformed`` if bad: deleted)."""
        with self._lock:
            if self._done:
                raise MessageError("offset", "this piece is over", self.message.offset)
            try:
                if self.written:
                    os.fsync(self._fd)
                return self._store._advance(self.message, self.written)
            finally:
                self._release()

    def discard(self) -> None:
        """Forget this piece: the part is cut back to where it began."""
        with self._lock:
            if not self._done:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self.message.offset)
                self._release()

    def _release(self) -> None:
        if not self._done:
            self._done = True
            os.close(self._fd)  # also drops the lock

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


class MessageStore:
    """``REPO/messages``: see the module. Thread-safe (one SQLite connection per
    call); *clock* is seconds since the epoch (tests move it)."""

    def __init__(self, repo: Path, clock: Callable[[], float] = time.time) -> None:
        self.folder = repo / "messages"
        self.incoming = self.folder / "incoming"
        self.index = self.folder / "messages.sqlite3"
        self._clock = clock

    @classmethod
    def open(cls, repo: Path, clock: Callable[[], float] = time.time) -> Self:
        """The store of *repo*, its folders and index made if missing."""
        store = cls(repo, clock)
        store.incoming.mkdir(parents=True, exist_ok=True, mode=0o700)
        with store._db() as db:
            db.executescript(_SCHEMA)
        return store

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.index, timeout=10.0, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    def part(self, message_id: str) -> Path:
        return self.incoming / f"{message_id}.part"

    def file(self, message: Message) -> Path:
        """Where a received message's file is."""
        return self.folder / message.centre / f"{message.id}.webm"

    # -- the box's side (through the identity service) --------------------------------

    def announce(
        self,
        centre: str,
        message_id: str,
        size: int,
        sha256: str,
        duration_s: float,
        recorded_at: str,
    ) -> tuple[Message, bool]:
        """Start (or, the same again, resume) an upload; ``(message, new)``.

        Refusals: ``input`` (bad id, hash, time), ``duration``, ``size`` (over
        :data:`MAX_SIZE`), ``conflict`` (the id is another centre's, or another
        size or hash), ``busy`` (too many unfinished uploads), ``space`` (disk full).
        """
        if not is_message_id(message_id):
            raise MessageError("input", "id must be 32 lowercase hex characters")
        if not _SHA256.match(sha256):
            raise MessageError("input", "sha256 must be 64 lowercase hex characters")
        if not 0 < size <= MAX_SIZE:
            raise MessageError("size", f"size must be 1 to {MAX_SIZE} bytes")
        if not 0 < duration_s <= MAX_DURATION_S:
            raise MessageError("duration", f"duration_s must be above 0, at most {MAX_DURATION_S}")
        recorded = _utc_iso(recorded_at)
        with self._db() as db:
            row = db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is not None:
            known = Message.from_row(row)
            if known.centre != centre or (known.size, known.sha256) != (size, sha256):
                raise MessageError("conflict", f"message {message_id} is already another one")
            return self._settled(known), False
        with self._db() as db:
            (unfinished,) = db.execute(
                "SELECT count(*) FROM messages WHERE centre = ? AND state = 'uploading'",
                (centre,),
            ).fetchone()
        if unfinished >= MAX_UPLOADING:
            raise MessageError("busy", f"{centre} has {unfinished} unfinished uploads already")
        if shutil.disk_usage(self.folder).free < size + SPARE_BYTES:
            raise MessageError("space", "city hall's disk is too full for messages")
        now = _now_iso(self._clock)
        with self._db() as db:
            try:
                db.execute(
                    "INSERT INTO messages (id, centre, recorded_at, announced_at, duration_s,"
                    " size, sha256, uploaded, touched, state) VALUES (?,?,?,?,?,?,?,0,?,?)",
                    (message_id, centre, recorded, now, duration_s, size, sha256,
                     self._clock(), "uploading"),
                )  # fmt: skip
            except sqlite3.IntegrityError:  # announced meanwhile: answer as a repeat
                return self.announce(centre, message_id, size, sha256, duration_s, recorded_at)
        log.info("centre %s announced message %s (%d bytes)", centre, message_id, size)
        return self._get(message_id), True  # type: ignore[return-value]

    def status(self, centre: str, message_id: str) -> Message | None:
        """The message, if it is *centre*'s (``None`` for another centre's, as for
        an unknown id)."""
        known = self._get(message_id) if is_message_id(message_id) else None
        if known is None or known.centre != centre:
            return None
        return self._settled(known)

    def append(self, centre: str, message_id: str, offset: int, length: int | None) -> Append:
        """Open the next piece of *centre*'s upload at *offset* (*length* bytes, when
        the request says). Refusals: ``unknown``, ``offset`` (not where the upload
        is, or it is received already: :attr:`MessageError.offset` says where),
        ``busy`` (another piece is being appended: ``offset`` too), ``size``."""
        known = self.status(centre, message_id)
        if known is None:
            raise MessageError("unknown", f"no message {message_id} from {centre}")
        if known.state != "uploading":
            raise MessageError("offset", f"the message is {known.state} already", known.offset)
        if offset != known.offset:
            raise MessageError(
                "offset", f"the upload is at {known.offset}, not {offset}", known.offset
            )
        most = min(MAX_CHUNK, known.size - known.offset)
        if length is not None and length > most:
            raise MessageError("size", f"{length} bytes, but at most {most} may come now")
        fd = os.open(self.part(message_id), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise MessageError("busy", "another piece is on its way", known.offset) from None
        # Under the lock, the index cannot move: read it again, and drop whatever lies
        # past it (written, but never counted: a power cut between the two).
        again = self._get(message_id)
        if again is None or again.state != "uploading" or again.offset != offset:
            self._drop_empty_part(message_id, again)
            os.close(fd)
            now_at = again.offset if again is not None else 0
            raise MessageError("offset", f"the upload is at {now_at}, not {offset}", now_at)
        os.ftruncate(fd, offset)
        return Append(self, again, fd, most)

    def _advance(self, message: Message, written: int) -> Message:
        """Count *written* more bytes (durable already); complete the message if that
        was the last. Called under the part's lock."""
        with self._db() as db:
            db.execute(
                "UPDATE messages SET uploaded = ?, touched = ? WHERE id = ? AND uploaded = ?",
                (message.offset + written, self._clock(), message.id, message.offset),
            )
        now = self._get(message.id)
        assert now is not None
        if now.state == "uploading" and now.offset == now.size:
            return self._complete(now)
        return now

    def _settled(self, message: Message) -> Message:
        """*message*, completed first if all its bytes are in but a stop came before
        its check (so a box that re-announces it is not left waiting). While another
        request is checking it, *message* as it is (still ``uploading``, every byte
        in): a request never waits for another's check, so one box asking again and
        again cannot tie up every worker of the service."""
        if message.state == "uploading" and message.offset == message.size:
            fd = os.open(self.part(message.id), os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return message
                again = self._get(message.id)
                if again is None:
                    raise MessageError("unknown", f"message {message.id} is gone")
                if again.state == "uploading" and again.offset == again.size:
                    return self._complete(again)
                self._drop_empty_part(message.id, again)
                return again
            finally:
                os.close(fd)
        return message

    def _complete(self, message: Message) -> Message:
        """Check the whole upload and file it (or delete it, ``malformed``)."""
        part = self.part(message.id)
        final = self.file(message)
        source = part
        if not part.exists() or part.stat().st_size == 0:
            source = final  # moved already, stopped before the index said so
        try:
            with source.open("rb") as data:
                digest = hashlib.file_digest(data, "sha256").hexdigest()
            if digest != message.sha256:
                raise MessageError("malformed", "the bytes do not have the announced SHA-256")
            duration = probe(source)
        except (MessageError, OSError) as err:
            self._forget(message)
            if isinstance(err, MessageError):
                raise
            raise MessageError("malformed", f"the upload is unreadable: {err}") from None
        if source == part:
            final.parent.mkdir(exist_ok=True, mode=0o700)
            part.replace(final)
            _fsync_dir(final.parent)
        else:
            part.unlink(missing_ok=True)
        _fsync_dir(part.parent)
        with self._db() as db:
            db.execute(
                "UPDATE messages SET state = 'received', received_at = ?, duration_s = ?,"
                " touched = ? WHERE id = ? AND state = 'uploading'",
                (_now_iso(self._clock), duration, self._clock(), message.id),
            )
        log.info(
            "centre %s delivered message %s (%.1f s, %d bytes)",
            message.centre,
            message.id,
            duration,
            message.size,
        )
        received = self._get(message.id)
        assert received is not None
        return received

    def _drop_empty_part(self, message_id: str, message: Message | None) -> None:
        """The empty part an open made for a message finished (or gone) meanwhile."""
        part = self.part(message_id)
        with contextlib.suppress(OSError):
            if (message is None or message.state != "uploading") and not part.stat().st_size:
                part.unlink()

    def _forget(self, message: Message) -> None:
        with self._db() as db:
            db.execute("DELETE FROM messages WHERE id = ?", (message.id,))
        for path in (self.part(message.id), self.file(message)):
            path.unlink(missing_ok=True)

    def _get(self, message_id: str) -> Message | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return Message.from_row(row) if row is not None else None

    def sweep(self) -> int:
        """Delete uploads untouched for :data:`ABANDONED_S` and parts no entry owns
        (older than that too); returns how many uploads were given up."""
        oldest = self._clock() - ABANDONED_S
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM messages WHERE state = 'uploading' AND touched < ?", (oldest,)
            ).fetchall()
        for row in rows:
            message = Message.from_row(row)
            log.info(
                "message %s from centre %s abandoned at %d of %d bytes: deleted",
                message.id,
                message.centre,
                message.offset,
                message.size,
            )
            self._forget(message)
        for part in self.incoming.glob("*.part"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime < oldest:
                    owner = self._get(part.stem)
                    if owner is None or owner.state != "uploading":
                        part.unlink()
        return len(rows)

    # -- city hall's side (the console) ----------------------------------------------

    def delivered(self, limit: int = 500) -> list[Message]:
        """Received and handled messages, the last to arrive first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM messages WHERE state IN ('received', 'handled')"
                " ORDER BY received_at DESC, touched DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Message.from_row(row) for row in rows]

    def get(self, message_id: str) -> Message | None:
        """Any centre's message (the console's view)."""
        return self._get(message_id) if is_message_id(message_id) else None

    def mark_played(self, message_id: str, login: str) -> None:
        """Note who first played a delivered message (later plays change nothing)."""
        with self._db() as db:
            db.execute(
                "UPDATE messages SET played_by = ?, played_at = ? WHERE id = ?"
                " AND state IN ('received', 'handled') AND played_by IS NULL",
                (login, _now_iso(self._clock), message_id),
            )

    def mark_handled(self, message_id: str, login: str) -> Message | None:
        """Mark a delivered message handled by *login* (once: a second mark keeps the
        first); ``None`` if there is no such delivered message."""
        with self._db() as db:
            db.execute(
                "UPDATE messages SET state = 'handled', handled_by = ?, handled_at = ?"
                " WHERE id = ? AND state = 'received'",
                (login, _now_iso(self._clock), message_id),
            )
        found = self._get(message_id)
        return found if found is not None and found.state == "handled" else None
