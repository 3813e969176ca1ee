"""The messages kept on the box until city hall has them: ``STATE/messages``. Qt-free,
blocking (disk): call from a worker thread, or on the loop for the small records.

A message is ``<id>.webm`` (the recording) and ``<id>.json`` (what city hall is told,
and how far it got). The recording is fsynced and renamed into the folder first and
its record written last (temporary, fsync, rename): a message is queued only once its
record exists, so a power cut leaves either a whole message or none. A recording
under way is written to ``recording/``, which the next start empties (a recording cut
by power loss is discarded, never sent half). Messages city hall refused as malformed
move to ``refused/`` with their record, and stay there for a technician.

Life of a record: ``queued`` (sent in part or not at all) -> ``delivered`` (city
hall has all of it; the recording is deleted from the box) -> ``handled`` (staff
marked it; the home screen says so once) -> gone once said.
"""

import contextlib
import datetime as dt
import enum
import hashlib
import logging
import os
import shutil
from pathlib import Path

import msgspec

from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)

ID_LENGTH = 32
"""A message id: uuid4().hex, made on the box."""


class State(enum.Enum):
    QUEUED = "queued"
    """Waiting for city hall to have all of it (the recording is on disk)."""
    DELIVERED = "delivered"
    """City hall has it whole; staff have not handled it yet."""
    HANDLED = "handled"
    """Staff marked it handled; the home screen has not said so yet."""


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One message's record (``<id>.json``)."""

    id: str
    """32 lowercase hex characters."""
    size: int
    """Bytes of the recording."""
    sha256: str
    """Hex digest of the recording."""
    duration_s: float
    """Length of the recording, seconds."""
    recorded_at: str
    """When it was recorded, ISO 8601 with its UTC offset."""
    state: State = State.QUEUED
    handled_by: str = ""
    """Who at city hall handled it (once ``handled``)."""


def _valid_id(name: str) -> bool:
    return len(name) == ID_LENGTH and all(c in "0123456789abcdef" for c in name)


class Spool:
    """The folder *root* (``STATE/messages``), made if missing. One owner (the kiosk);
    a record is read from disk at each call, so what a crash leaves is what is seen."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.recording = root / "recording"
        self.refused = root / "refused"

    def tidy(self) -> None:
        """At start: drop a recording a power cut interrupted, a recording whose
        record was never written (it was never queued), and a queued record whose
        recording is gone (nothing could ever be sent)."""
        shutil.rmtree(self.recording, ignore_errors=True)
        self.recording.mkdir(parents=True, exist_ok=True)
        for video in self.root.glob("*.webm"):
            if not video.with_suffix(".json").exists():
                log.warning("message %s was cut off before it was queued: dropped", video.stem)
                video.unlink(missing_ok=True)
        for stray in self.root.glob(".*.tmp"):
            stray.unlink(missing_ok=True)
        for message in self.in_state(State.QUEUED):
            if not self.video(message).exists():
                log.error("message %s lost its recording: dropped", message.id)
                (self.root / f"{message.id}.json").unlink(missing_ok=True)

    def recording_path(self, message_id: str) -> Path:
        """Where a recording under way is written."""
        self.recording.mkdir(parents=True, exist_ok=True)
        return self.recording / f"{message_id}.webm"

    def video(self, message: Message) -> Path:
        return self.root / f"{message.id}.webm"

    def queue(self, recording: Path, duration_s: float, recorded_at: dt.datetime) -> Message:
        """Keep *recording* (a finished file under :meth:`recording_path`) as a message
        to send. Raises ``OSError`` (disk full) with nothing queued."""
        message_id = recording.stem
        if not _valid_id(message_id):
            raise ValueError(f"not a message id: {message_id!r}")
        digest = hashlib.sha256()
        with recording.open("rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
            os.fsync(src.fileno())
        message = Message(
            id=message_id,
            size=recording.stat().st_size,
            sha256=digest.hexdigest(),
            duration_s=round(duration_s, 2),
            recorded_at=recorded_at.isoformat(timespec="seconds"),
        )
        video = self.video(message)
        recording.replace(video)
        _sync_folder(self.root)
        self.save(message)
        log.info("message %s queued (%d bytes, %.1f s)", message.id, message.size, duration_s)
        return message

    def save(self, message: Message) -> None:
        write_atomically(self.root / f"{message.id}.json", msgspec.json.encode(message))

    def messages(self) -> list[Message]:
        """Every record, oldest first; one that cannot be read is logged and skipped."""
        found = []
        for path in self.root.glob("*.json"):
            if not _valid_id(path.stem):
                continue
            try:
                found.append(msgspec.json.decode(path.read_bytes(), type=Message))
            except (OSError, msgspec.DecodeError, msgspec.ValidationError) as err:
                log.error("message record %s cannot be read: %s", path.name, err)
        return sorted(found, key=lambda m: (m.recorded_at, m.id))

    def in_state(self, state: State) -> list[Message]:
        return [m for m in self.messages() if m.state is state]

    def delivered(self, message: Message) -> Message:
        """City hall has all of *message*: its record says so, the recording goes."""
        done = msgspec.structs.replace(message, state=State.DELIVERED)
        self.save(done)
        self.video(message).unlink(missing_ok=True)
        return done

    def handled(self, message: Message, by: str) -> Message:
        done = msgspec.structs.replace(message, state=State.HANDLED, handled_by=by)
        self.save(done)
        return done

    def said(self, message: Message) -> None:
        """The home screen said it was handled: nothing of it is kept."""
        (self.root / f"{message.id}.json").unlink(missing_ok=True)
        self.video(message).unlink(missing_ok=True)

    def refuse(self, message: Message) -> None:
        """City hall will never take *message*: kept aside in ``refused/``, not sent again."""
        self.refused.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.video(message).replace(self.refused / f"{message.id}.webm")
        (self.root / f"{message.id}.json").replace(self.refused / f"{message.id}.json")
        _sync_folder(self.root)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
