"""Messages on the box's disk: queued whole or not at all, and what a restart finds."""

import datetime as dt
import uuid
from pathlib import Path

import pytest

from kiosk.messages.spool import Spool, State

WHEN = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def recorded(spool: Spool, data: bytes = b"webm" * 1000) -> Path:
    path = spool.recording_path(uuid.uuid4().hex)
    path.write_bytes(data)
    return path


def test_a_queued_message_is_its_recording_and_its_record(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    message = spool.queue(recorded(spool), 12.345, WHEN)
    assert spool.video(message).read_bytes() == b"webm" * 1000
    assert message.size == 4000 and len(message.sha256) == 64
    assert message.duration_s == 12.35 and message.recorded_at == "2026-11-30T10:00:00+00:00"
    assert Spool(tmp_path / "messages").in_state(State.QUEUED) == [message]


@pytest.mark.allow_warnings  # the dropped half-message is logged
def test_a_restart_drops_cut_recordings_and_keeps_queued_messages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    queued = spool.queue(recorded(spool), 3.0, WHEN)
    cut_short = recorded(spool)  # power went while recording
    never_queued = tmp_path / "messages" / f"{uuid.uuid4().hex}.webm"
    never_queued.write_bytes(b"half")  # power went between the rename and the record
    again = Spool(tmp_path / "messages")
    again.tidy()
    assert not cut_short.exists() and not never_queued.exists()
    assert again.in_state(State.QUEUED) == [queued]
    assert again.video(queued).exists()
    assert f"message {never_queued.stem} was cut off before it was queued" in caplog.text
    again.video(queued).unlink()  # a disk fault took the recording
    again.tidy()
    assert again.messages() == [], "a record with nothing to send is not kept"


def test_delivered_then_handled_then_said(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    message = spool.queue(recorded(spool), 3.0, WHEN)
    delivered = spool.delivered(message)
    assert not spool.video(message).exists(), "the box keeps no copy city hall has"
    assert spool.in_state(State.DELIVERED) == [delivered]
    handled = spool.handled(delivered, "김주무관")
    assert spool.in_state(State.HANDLED) == [handled] and handled.handled_by == "김주무관"
    spool.said(handled)
    assert spool.messages() == []


def test_a_refused_message_is_kept_aside_and_not_queued(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    message = spool.queue(recorded(spool), 3.0, WHEN)
    spool.refuse(message)
    assert spool.messages() == []
    assert (spool.refused / f"{message.id}.webm").exists()
    assert (spool.refused / f"{message.id}.json").exists()
