"""The message store on its own: what a power cut, a stop or a week of silence leaves
behind (the service's tests drive it over TLS; these reach the states a cut leaves)."""

import fcntl
import hashlib
import os
import sqlite3
import uuid
from pathlib import Path

import pytest

from kiosk_provisioning.messages import (
    ABANDONED_S,
    MessageError,
    MessageStore,
    probe,
)
from tests.provision.test_messages_service import webm

CENTRE = "namwon-001"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return webm(tmp_path_factory.mktemp("clip"), 2)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def announced(store: MessageStore, data: bytes) -> str:
    message_id = uuid.uuid4().hex
    digest = hashlib.sha256(data).hexdigest()
    store.announce(CENTRE, message_id, len(data), digest, 2.0, "2026-11-30T10:00:00+09:00")
    return message_id


def all_in_not_checked(store: MessageStore, data: bytes) -> str:
    """A message whose bytes are all in and counted, as a stop before its check leaves it."""
    message_id = announced(store, data)
    store.part(message_id).write_bytes(data)
    with sqlite3.connect(store.index) as db:
        db.execute("UPDATE messages SET uploaded = size WHERE id = ?", (message_id,))
    return message_id


def test_bytes_written_but_never_counted_are_cut_before_the_next_piece(
    tmp_path: Path, clip: bytes
) -> None:
    store = MessageStore.open(tmp_path)
    message_id = announced(store, clip)
    with store.append(CENTRE, message_id, 0, 1000) as piece:
        piece.write(clip[:1000])
        assert piece.commit().offset == 1000
    # A power cut after the write and before the index moved: garbage past the offset.
    with store.part(message_id).open("ab") as part:
        part.write(b"\xff" * 5000)
    status = store.status(CENTRE, message_id)
    assert status is not None and status.offset == 1000
    with store.append(CENTRE, message_id, 1000, None) as piece:
        piece.write(clip[1000:])
        assert piece.commit().state == "received"
    final = store.file(store.get(message_id))  # type: ignore[arg-type]
    assert final.read_bytes() == clip


def test_a_second_piece_at_once_waits_and_a_discarded_one_leaves_nothing(
    tmp_path: Path, clip: bytes
) -> None:
    store = MessageStore.open(tmp_path)
    message_id = announced(store, clip)
    first = store.append(CENTRE, message_id, 0, 2000)
    with pytest.raises(MessageError) as busy:
        store.append(CENTRE, message_id, 0, 2000)
    assert (busy.value.kind, busy.value.offset) == ("busy", 0)
    first.write(clip[:1500])
    first.discard()
    assert store.part(message_id).stat().st_size == 0
    assert store.status(CENTRE, message_id).offset == 0  # type: ignore[union-attr]
    with store.append(CENTRE, message_id, 0, None) as piece:
        with pytest.raises(MessageError) as too_much:
            piece.write(clip + b"x")
        assert too_much.value.kind == "size"
    assert store.part(message_id).stat().st_size == 0


def test_a_stop_between_the_last_byte_and_the_check_is_finished_on_the_next_ask(
    tmp_path: Path, clip: bytes
) -> None:
    message_id = all_in_not_checked(MessageStore.open(tmp_path), clip)
    again = MessageStore.open(tmp_path)
    status = again.status(CENTRE, message_id)
    assert status is not None and status.state == "received"
    assert again.file(status).read_bytes() == clip
    assert not again.part(message_id).exists()


def test_an_ask_during_another_requests_check_answers_at_once_not_after_it(
    tmp_path: Path, clip: bytes
) -> None:
    store = MessageStore.open(tmp_path)
    message_id = all_in_not_checked(store, clip)
    checking = os.open(store.part(message_id), os.O_WRONLY)
    fcntl.flock(checking, fcntl.LOCK_EX)  # another request, checking the message
    try:
        status = store.status(CENTRE, message_id)
        assert status is not None and (status.state, status.offset) == ("uploading", len(clip))
        digest = hashlib.sha256(clip).hexdigest()
        again, new = store.announce(CENTRE, message_id, len(clip), digest, 2.0, "2026-11-30T01:00Z")
        assert (again.state, new) == ("uploading", False)
    finally:
        os.close(checking)
    status = store.status(CENTRE, message_id)
    assert status is not None and status.state == "received"


def test_a_stop_after_the_move_and_before_the_index_is_finished_too(
    tmp_path: Path, clip: bytes
) -> None:
    store = MessageStore.open(tmp_path)
    message_id = announced(store, clip)
    with sqlite3.connect(store.index) as db:
        db.execute("UPDATE messages SET uploaded = size WHERE id = ?", (message_id,))
    message = store.get(message_id)
    assert message is not None
    store.file(message).parent.mkdir()
    store.file(message).write_bytes(clip)  # moved, then the power went
    digest = hashlib.sha256(clip).hexdigest()
    again, new = store.announce(CENTRE, message_id, len(clip), digest, 2.0, "2026-11-30T01:00Z")
    assert (again.state, new) == ("received", False)
    assert [p.name for p in store.folder.rglob("*.webm")] == [f"{message_id}.webm"]
    assert list(store.incoming.iterdir()) == []


def test_uploads_left_a_week_are_swept_and_delivered_ones_stay(tmp_path: Path, clip: bytes) -> None:
    clock = Clock()
    store = MessageStore.open(tmp_path, clock)
    stale = announced(store, clip)
    with store.append(CENTRE, stale, 0, 100) as piece:
        piece.write(clip[:100])
        piece.commit()
    done = announced(store, clip)
    with store.append(CENTRE, done, 0, None) as piece:
        piece.write(clip)
        piece.commit()
    orphan = store.incoming / f"{uuid.uuid4().hex}.part"  # a crash, with no entry
    orphan.write_bytes(b"left by a crash")
    os.utime(orphan, (clock.now, clock.now))
    clock.now += ABANDONED_S - 60
    assert store.sweep() == 0
    assert store.part(stale).exists()
    clock.now += 120
    fresh = announced(store, clip)  # announced just now: not touched
    young = store.incoming / f"{uuid.uuid4().hex}.part"
    young.write_bytes(b"a part whose entry is still being written")
    os.utime(young, (clock.now, clock.now))
    assert store.sweep() == 1
    assert store.get(stale) is None and not store.part(stale).exists()
    assert store.get(fresh) is not None
    assert store.get(done).state == "received"  # type: ignore[union-attr]
    assert not orphan.exists() and young.exists()


def test_the_probe_reads_the_whole_file(tmp_path: Path, clip: bytes) -> None:
    whole = tmp_path / "whole.webm"
    whole.write_bytes(clip)
    assert 1.9 < probe(whole) < 2.1
    cut = tmp_path / "cut.webm"
    cut.write_bytes(clip[: len(clip) * 2 // 3])
    with pytest.raises(MessageError, match="not a whole WebM"):
        probe(cut)


@pytest.mark.parametrize(
    "recorded_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "yesterday"]
)
def test_a_recording_time_out_of_range_is_bad_input(tmp_path: Path, recorded_at: str) -> None:
    # A time that is valid ISO 8601 but has no UTC date (year 0 or 10000 once moved
    # to UTC) is the box's bad input, refused as such (it raised OverflowError: 500).
    store = MessageStore.open(tmp_path)
    with pytest.raises(MessageError) as refused:
        store.announce(CENTRE, uuid.uuid4().hex, 10, "0" * 64, 2.0, recorded_at)
    assert refused.value.kind == "input"
