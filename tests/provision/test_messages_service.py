"""Video messages uploaded to city hall's identity service (issue 15, Contract M): the
real service over TLS on loopback, real box certificates from the real fleet CA, and
real WebM files made by ffmpeg from its generated camera and microphone."""

import hashlib
import http.client
import json
import logging
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.service import start
from kiosk_provisioning.messages import ABANDONED_S, MAX_CHUNK, MAX_SIZE, MessageStore
from tests.provision.test_identity_service import (
    CityHall,
    enrolled,
    foreign_certificate,
)

CHUNK = 16 * 1024


def webm(folder: Path, seconds: float, name: str = "message.webm", fps: int = 15) -> bytes:
    """A real WebM message: VP8 from ffmpeg's test pattern, Opus from its sine."""
    out = folder / name
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size=160x120:rate={fps}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "200k", "-c:a", "libopus",
            "-f", "webm", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return webm(tmp_path_factory.mktemp("clip"), 2)


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[CityHall]:
    folder = tmp_path / "repo" / "identity"
    authority = Authority.open(folder)
    cert, key = authority.issue_server_cert(["127.0.0.1"], tmp_path / "server")
    service = start(folder, cert, key)
    try:
        yield CityHall(authority, service, folder, tmp_path)
    finally:
        service.close()


def context(hall: CityHall, client: tuple[Path, Path] | None) -> ssl.SSLContext:
    made = ssl.create_default_context(cafile=str(hall.authority.ca_path))
    if client is not None:
        made.load_cert_chain(*client)
    return made


def ask(
    hall: CityHall,
    method: str,
    path: str,
    client: tuple[Path, Path] | None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request over a fresh TLS connection that trusts only the fleet CA."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", hall.port, context=context(hall, client), timeout=30
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload.startswith(b"{") else {}
    finally:
        connection.close()


def announce(
    hall: CityHall, client: tuple[Path, Path] | None, data: bytes, **change: Any
) -> tuple[int, dict[str, Any]]:
    meta = {
        "id": change.pop("id", None) or uuid.uuid4().hex,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "duration_s": 2.0,
        "recorded_at": "2026-11-30T10:00:00+00:00",
        **change,
    }
    body = json.dumps(meta).encode()
    status, answer = ask(
        hall, "POST", "/v1/messages", client, body, {"Content-Type": "application/json"}
    )
    answer.setdefault("id", meta["id"])
    return status, answer


def send(
    hall: CityHall, client: tuple[Path, Path] | None, message_id: str, offset: int, piece: bytes
) -> tuple[int, dict[str, Any]]:
    headers = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    return ask(hall, "PATCH", f"/v1/messages/{message_id}", client, piece, headers)


def upload(
    hall: CityHall, client: tuple[Path, Path], message_id: str, data: bytes, start_at: int = 0
) -> tuple[int, dict[str, Any]]:
    """Send *data* from *start_at* in pieces; the last answer."""
    status: int = 200
    answer: dict[str, Any] = {}
    for at in range(start_at, len(data), CHUNK):
        status, answer = send(hall, client, message_id, at, data[at : at + CHUNK])
        if status != 200:
            break
    return status, answer


def store(hall: CityHall) -> MessageStore:
    return MessageStore(hall.folder.parent)


def stored_files(hall: CityHall) -> list[Path]:
    folder = hall.folder.parent / "messages"
    return sorted(p for p in folder.rglob("*") if p.is_file() and "sqlite3" not in p.name)


def playable(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_entries",
         "format=format_name,duration:stream=codec_type", str(path)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    assert done.stderr == ""
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.allow_warnings
def test_a_message_is_announced_resumed_and_delivered_whole(hall: CityHall, clip: bytes) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-001")
    status, answer = announce(hall, box, clip)
    assert (status, answer["offset"], answer["state"]) == (201, 0, "uploading"), answer
    message_id = answer["id"]
    half = (len(clip) // 2 // CHUNK) * CHUNK
    assert upload(hall, box, message_id, clip[:half]) == (
        200,
        {"offset": half, "state": "uploading"},
    )
    # The box lost power and announces it again: where it stands, nothing made anew.
    again = announce(hall, box, clip, id=message_id)
    assert again == (200, {"id": message_id, "offset": half, "state": "uploading"})
    status, seen = ask(hall, "GET", f"/v1/messages/{message_id}", box)
    assert (status, seen["offset"], seen["size"], seen["state"]) == (
        200,
        half,
        len(clip),
        "uploading",
    )
    status, done = upload(hall, box, message_id, clip, start_at=half)
    assert (status, done) == (200, {"offset": len(clip), "state": "received"})
    status, seen = ask(hall, "GET", f"/v1/messages/{message_id}", box)
    assert seen == {
        "id": message_id, "offset": len(clip), "size": len(clip), "state": "received",
        "handled_by": None, "handled_at": None,
    }  # fmt: skip
    # Exactly one complete copy, where the console finds it, and nothing left over.
    final = hall.folder.parent / "messages" / "namwon-001" / f"{message_id}.webm"
    assert stored_files(hall) == [final]
    assert final.read_bytes() == clip
    probed = playable(final)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"]
    assert 1.5 < float(probed["format"]["duration"]) < 2.5
    # Announcing a delivered message again changes nothing; more bytes are refused.
    assert announce(hall, box, clip, id=message_id)[0] == 200
    status, answer = send(hall, box, message_id, len(clip), b"x")
    assert (status, answer["error"], answer["offset"]) == (409, "offset", len(clip))
    (message,) = store(hall).delivered()
    assert (message.centre, message.state, message.recorded_at) == (
        "namwon-001", "received", "2026-11-30T10:00:00+00:00",
    )  # fmt: skip
    # Handled at the console: the box learns it by asking.
    store(hall).mark_handled(message_id, "kim")
    status, seen = ask(hall, "GET", f"/v1/messages/{message_id}", box)
    assert (seen["state"], seen["handled_by"]) == ("handled", "kim") and seen["handled_at"]


@pytest.mark.allow_warnings
def test_a_piece_at_the_wrong_offset_is_answered_with_the_right_one(
    hall: CityHall, clip: bytes
) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-002")
    message_id = announce(hall, box, clip)[1]["id"]
    assert send(hall, box, message_id, 0, clip[:CHUNK])[0] == 200
    for wrong in (0, CHUNK + 5, 2 * CHUNK):
        status, answer = send(hall, box, message_id, wrong, clip[wrong : wrong + CHUNK])
        assert (status, answer["error"], answer["offset"]) == (409, "offset", CHUNK), wrong
    assert ask(hall, "GET", f"/v1/messages/{message_id}", box)[1]["offset"] == CHUNK
    assert upload(hall, box, message_id, clip, start_at=CHUNK)[1]["state"] == "received"
    (final,) = stored_files(hall)
    assert final.read_bytes() == clip


def broken_piece(
    hall: CityHall, client: tuple[Path, Path], message_id: str, offset: int, sent: bytes, said: int
) -> None:
    """A PATCH that promises *said* bytes, sends *sent* and then the connection dies."""
    raw = socket.create_connection(("127.0.0.1", hall.port), timeout=30)
    with context(hall, client).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        head = (
            f"PATCH /v1/messages/{message_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {said}\r\n\r\n"
        )
        tls.sendall(head.encode() + sent)


def wait_for(condition: Any, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.allow_warnings
def test_a_connection_broken_mid_piece_keeps_only_what_came_and_resumes(
    hall: CityHall, clip: bytes
) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-003")
    message_id = announce(hall, box, clip)[1]["id"]
    assert send(hall, box, message_id, 0, clip[:CHUNK])[0] == 200
    broken_piece(hall, box, message_id, CHUNK, clip[CHUNK : CHUNK + 5000], said=CHUNK)

    # Whatever of the piece the service read before the break is on disk and counted,
    # nothing more: the box asks where it stands and goes on from there to one whole
    # copy (a piece still being taken in answers 409 with the offset, like a wrong one).
    def resumed() -> bool:
        at = int(ask(hall, "GET", f"/v1/messages/{message_id}", box)[1]["offset"])
        assert CHUNK <= at <= CHUNK + 5000
        assert store(hall).part(message_id).read_bytes()[:at] == clip[:at]
        return send(hall, box, message_id, at, clip[at : at + CHUNK])[0] == 200

    wait_for(resumed, "the broken piece to be let go")
    at = int(ask(hall, "GET", f"/v1/messages/{message_id}", box)[1]["offset"])
    assert upload(hall, box, message_id, clip, start_at=at)[1]["state"] == "received"
    (final,) = stored_files(hall)
    assert final.read_bytes() == clip
    playable(final)


@pytest.mark.allow_warnings
def test_uploads_from_anything_but_a_live_box_are_refused(hall: CityHall, clip: bytes) -> None:
    real = enrolled(hall, hall.work / "real", "namwon-004")
    message_id = announce(hall, real, clip)[1]["id"]
    assert send(hall, real, message_id, 0, clip[:CHUNK])[0] == 200
    # No certificate at all.
    status, answer = announce(hall, None, clip)
    assert (status, answer["error"]) == (401, "certificate")
    assert send(hall, None, message_id, CHUNK, clip[CHUNK : 2 * CHUNK])[0] == 401
    assert ask(hall, "GET", f"/v1/messages/{message_id}", None)[0] == 401
    # A certificate for the same centre from a CA that is not the fleet's.
    forged = foreign_certificate(hall.work / "forged", "namwon-004")
    for attempt in (
        lambda: announce(hall, forged, clip),
        lambda: send(hall, forged, message_id, CHUNK, clip[CHUNK : 2 * CHUNK]),
    ):
        try:
            refused = attempt()[0]
        except (ssl.SSLError, ConnectionError):
            refused = 401  # the handshake refused it: it does not chain to the fleet CA
        assert refused == 401
    # The centre's own box, once revoked.
    hall.authority.revoke("namwon-004")
    assert announce(hall, real, clip)[0] == 401
    status, answer = send(hall, real, message_id, CHUNK, clip[CHUNK : 2 * CHUNK])
    assert (status, answer["error"]) == (401, "certificate")
    assert "namwon-004" in answer["message"]
    # Nothing was added: one announced message, one piece.
    (only,) = stored_files(hall)
    assert only.read_bytes() == clip[:CHUNK]


@pytest.mark.allow_warnings
def test_another_centre_can_neither_read_nor_add_to_a_message(hall: CityHall, clip: bytes) -> None:
    mine = enrolled(hall, hall.work / "mine", "namwon-005")
    theirs = enrolled(hall, hall.work / "theirs", "namwon-006")
    message_id = announce(hall, mine, clip)[1]["id"]
    assert send(hall, mine, message_id, 0, clip[:CHUNK])[0] == 200
    status, answer = ask(hall, "GET", f"/v1/messages/{message_id}", theirs)
    assert (status, answer["error"]) == (404, "unknown"), "as if there were none"
    assert ask(hall, "GET", f"/v1/messages/{uuid.uuid4().hex}", mine)[1]["error"] == "unknown"
    status, answer = send(hall, theirs, message_id, CHUNK, clip[CHUNK : 2 * CHUNK])
    assert (status, answer["error"]) == (404, "unknown")
    assert "offset" not in answer, "not even how far it is"
    status, answer = announce(hall, theirs, clip, id=message_id)
    assert (status, answer["error"]) == (409, "conflict")
    assert ask(hall, "GET", f"/v1/messages/{message_id}", mine)[1]["offset"] == CHUNK


@pytest.mark.allow_warnings
def test_oversized_announcements_and_pieces_are_refused_without_harm(
    hall: CityHall, clip: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-007")
    status, answer = announce(hall, box, clip, size=MAX_SIZE + 1)
    assert (status, answer["error"]) == (413, "size")
    # 10**400: a whole number JSON allows that is no float (it raised OverflowError).
    for duration in (0, -1, 65.5, 3600, 10**400):
        assert announce(hall, box, clip, duration_s=duration)[0] == 400, duration
    assert announce(hall, box, clip, id="not-a-message-id")[0] == 400
    for recorded_at in ("yesterday", "0001-01-01T00:00:00+14:00"):
        assert announce(hall, box, clip, recorded_at=recorded_at)[0] == 400, recorded_at
    message_id = announce(hall, box, clip)[1]["id"]
    assert send(hall, box, message_id, 0, clip[:CHUNK])[0] == 200
    caplog.clear()
    # A piece past the message's end, and one above the largest piece.
    status, answer = send(hall, box, message_id, CHUNK, clip[CHUNK:] + b"more")
    assert (status, answer["error"]) == (413, "size")
    status, answer = send(hall, box, message_id, CHUNK, b"\0" * (MAX_CHUNK + 1))
    assert (status, answer["error"]) == (413, "size")
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(refusals) == 2 and all("refused (413 size)" in r for r in refusals), refusals
    # Chunked, with no length said: cut off at the limit, none of it counted.
    raw = socket.create_connection(("127.0.0.1", hall.port), timeout=30)
    with context(hall, box).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        head = (
            f"PATCH /v1/messages/{message_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Upload-Offset: {CHUNK}\r\nContent-Type: application/offset+octet-stream\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        tls.sendall(head.encode())
        extra = clip[CHUNK:] + b"beyond the end"
        tls.sendall(f"{len(extra):x}\r\n".encode() + extra + b"\r\n0\r\n\r\n")
        reply = b""
        while chunk := tls.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    # The stored part is untouched by all three: the upload goes on and ends whole.
    assert store(hall).part(message_id).read_bytes() == clip[:CHUNK]
    assert ask(hall, "GET", f"/v1/messages/{message_id}", box)[1]["offset"] == CHUNK
    assert upload(hall, box, message_id, clip, start_at=CHUNK)[1]["state"] == "received"
    assert stored_files(hall)[0].read_bytes() == clip


@pytest.mark.allow_warnings
def test_a_piece_that_is_not_an_upload_is_refused(hall: CityHall, clip: bytes) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-008")
    message_id = announce(hall, box, clip)[1]["id"]
    path = f"/v1/messages/{message_id}"
    json_type = {"Upload-Offset": "0", "Content-Type": "application/json"}
    assert ask(hall, "PATCH", path, box, clip[:CHUNK], json_type)[0] == 415
    no_offset = {"Content-Type": "application/offset+octet-stream"}
    assert ask(hall, "PATCH", path, box, clip[:CHUNK], no_offset)[0] == 400
    assert ask(hall, "GET", f"/v1/messages/{message_id}", box)[1]["offset"] == 0


def malformed(hall: CityHall, box: tuple[Path, Path], data: bytes, **change: Any) -> None:
    """*data* uploaded whole is refused as malformed, and nothing of it is kept."""
    status, answer = announce(hall, box, data, **change)
    assert status == 201, answer
    message_id = answer["id"]
    status, answer = upload(hall, box, message_id, data)
    assert (status, answer["error"]) == (422, "malformed"), answer
    assert ask(hall, "GET", f"/v1/messages/{message_id}", box)[0] == 404
    assert stored_files(hall) == []
    assert store(hall).delivered() == []


@pytest.mark.allow_warnings
def test_malformed_messages_are_refused_and_deleted(
    hall: CityHall, clip: bytes, tmp_path: Path
) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-009")
    malformed(hall, box, b"this is not a video at all" * 100)
    malformed(hall, box, clip[: len(clip) // 2])  # announced as it is: cut short
    wrong_sha = hashlib.sha256(b"another message").hexdigest()
    malformed(hall, box, clip, sha256=wrong_sha)
    only_video = tmp_path / "silent.webm"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=15:duration=1",
         "-c:v", "libvpx", "-deadline", "realtime", "-f", "webm", str(only_video)],
        check=True,
    )  # fmt: skip
    malformed(hall, box, only_video.read_bytes())
    too_long = webm(tmp_path, 70, "long.webm", fps=2)
    malformed(hall, box, too_long, duration_s=60.0)


@pytest.mark.allow_warnings
def test_a_service_killed_mid_piece_counts_nothing_unsynced_and_the_upload_ends_whole(
    hall: CityHall, clip: bytes, tmp_path: Path
) -> None:
    """kill -9 of the service while a piece is coming in: after a restart the upload is
    where the index said before the piece (the piece's bytes on disk are not counted),
    and the box resumes to exactly one complete, playable copy."""
    box = enrolled(hall, hall.work / "box", "namwon-010")
    hall.service.close()  # from here on, the command, as systemd runs it
    cert, key = hall.authority.issue_server_cert(["127.0.0.1"], tmp_path / "command")
    command = [sys.executable, "-m", "kiosk_provisioning.identity.service"]
    command += ["--repo", str(hall.folder.parent), "--listen", "127.0.0.1:0"]
    command += ["--cert", str(cert), "--key", str(key)]

    def serve() -> subprocess.Popen[bytes]:
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert server.stdout is not None
        first = server.stdout.readline().decode()  # blocks until it accepts connections
        assert first.startswith("ready https://127.0.0.1:"), first
        hall.service.url = first.split()[1]
        return server

    server = serve()
    try:
        message_id = announce(hall, box, clip)[1]["id"]
        assert send(hall, box, message_id, 0, clip[:CHUNK])[0] == 200
        part = store(hall).part(message_id)
        raw = socket.create_connection(("127.0.0.1", hall.port), timeout=30)
        with context(hall, box).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            head = (
                f"PATCH /v1/messages/{message_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Upload-Offset: {CHUNK}\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {CHUNK}\r\n\r\n"
            )
            tls.sendall(head.encode() + clip[CHUNK : CHUNK + 6000])
            wait_for(lambda: part.stat().st_size > CHUNK, "the piece's first bytes on disk")
            server.kill()  # SIGKILL: no handler, no commit
            server.wait()
    finally:
        ended(server, kill=True)
    assert part.stat().st_size > CHUNK, "written, but never synced and counted"
    server = serve()
    try:
        status, seen = ask(hall, "GET", f"/v1/messages/{message_id}", box)
        assert (status, seen["offset"], seen["state"]) == (200, CHUNK, "uploading")
        assert upload(hall, box, message_id, clip, start_at=CHUNK)[1]["state"] == "received"
    finally:
        ended(server, kill=False)
    (final,) = stored_files(hall)
    assert final.read_bytes() == clip
    playable(final)


def ended(server: subprocess.Popen[bytes], kill: bool) -> None:
    """*server* stopped (SIGKILL or SIGTERM) and its pipe closed."""
    if kill:
        server.kill()
    else:
        server.terminate()
    server.wait(timeout=20)
    if server.stdout is not None:
        server.stdout.close()


@pytest.mark.allow_warnings
def test_the_service_sweeps_uploads_abandoned_for_a_week_when_it_starts(
    hall: CityHall, clip: bytes, tmp_path: Path
) -> None:
    box = enrolled(hall, hall.work / "box", "namwon-011")
    stale = announce(hall, box, clip)[1]["id"]
    fresh = announce(hall, box, clip)[1]["id"]
    for message_id in (stale, fresh):
        assert send(hall, box, message_id, 0, clip[:CHUNK])[0] == 200
    hall.service.close()
    week_ago = time.time() - ABANDONED_S - 60
    with sqlite3.connect(store(hall).index) as db:
        db.execute("UPDATE messages SET touched = ? WHERE id = ?", (week_ago, stale))
    cert, key = hall.authority.issue_server_cert(["127.0.0.1"], tmp_path / "again")
    hall.service = start(hall.folder, cert, key)
    wait_for(
        lambda: ask(hall, "GET", f"/v1/messages/{stale}", box)[0] == 404, "the stale upload swept"
    )
    assert not store(hall).part(stale).exists()
    assert ask(hall, "GET", f"/v1/messages/{fresh}", box)[1]["offset"] == CHUNK
