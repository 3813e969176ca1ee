"""Enrolment with city hall's one-time code, through the real identity service: the box
makes its key, only its certificate request leaves it, and refusals say what to do."""

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk import identity
from kiosk.identity import certificate, identity_files, renew_if_due
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import EnrolmentError, enrol_with_code, load_enrolment
from kiosk.sync.result import Outcome
from tests.sync.conftest import Fleet, make_box
from tests.sync.test_commands import enroll
from tests.webserver import reload_nginx


@pytest.mark.allow_warnings
def test_a_wrong_or_used_code_is_refused_in_both_languages(
    fleet: Fleet, identity_service: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_box(tmp_path, "new")
    code = fleet.authority.issue_code("namwon-001")
    wrong = str((int(code) + 1) % 10**12).zfill(12)
    refused = enroll(paths, fleet, identity_service, "namwon-001", wrong)
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[:2] == [
        "번호가 틀렸거나 이미 쓰였습니다. 확인하거나 시청에 새 번호를 요청하세요",
        "Wrong or used code (or centre number). Check, or ask city hall for a new code",
    ]
    assert load_enrolment(paths) is None
    assert enroll(paths, fleet, identity_service, "namwon-001", code).returncode == 0
    assert load_enrolment(paths) is not None

    again = make_box(tmp_path, "second")
    taken = enroll(again, fleet, identity_service, "namwon-001", code)
    assert taken.returncode == 2
    assert "another box holds this centre; ask city hall for a replacement code" in taken.stderr
    assert "다른 단말기가 이 경로당에 등록되어 있습니다" in taken.stderr
    assert certificate(again) is None
    assert "refused (409 taken)" in caplog.text, "city hall notices the second box"


@pytest.mark.allow_warnings
def test_an_unreachable_identity_service_says_so(fleet: Fleet, tmp_path: Path) -> None:
    paths = make_box(tmp_path, "offline")
    with pytest.raises(EnrolmentError) as refused:
        enrol_with_code(paths, fleet.url, "https://127.0.0.1:9", "namwon-001", "1" * 12, fleet.root)
    assert refused.value.kind == "unreachable"
    assert "identity service is unreachable" in str(refused.value)
    with pytest.raises(EnrolmentError) as short:
        enrol_with_code(paths, fleet.url, "https://127.0.0.1:9", "namwon-001", "12345", fleet.root)
    assert short.value.kind == "code"


def test_a_replaced_box_enrols_in_one_step_and_the_old_one_is_cut_off(
    fleet: Fleet, identity_service: str, tmp_path: Path
) -> None:
    old = make_box(tmp_path, "old")
    old_enrolment = fleet.enrol(old, "namwon-002")
    assert sync_once(old, old_enrolment).outcome is Outcome.APPLIED

    new = make_box(tmp_path, "new")
    code = fleet.authority.issue_code("namwon-002", replace=True)
    done = enroll(new, fleet, identity_service, "namwon-002", code)
    assert done.returncode == 0, done.stderr
    assert "applied revision 1" in done.stdout
    reload_nginx(fleet.server_dir)  # the replacement revoked the old box: new CRL
    cut_off = sync_once(old, old_enrolment)
    assert cut_off.outcome is Outcome.REJECTED
    assert cut_off.reason.endswith("certificate revoked")


def test_the_box_renews_its_certificate_by_itself(
    fleet: Fleet, identity_service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = make_box(tmp_path, "renewing")
    code = fleet.authority.issue_code("namwon-001")
    enrolment = enrol_with_code(paths, fleet.url, identity_service, "namwon-001", code, fleet.root)
    # From here on the box trusts the identity service (its certificate from the fleet
    # CA) through the CA it received, not through a CA bundle set for this process.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")
    assert enrolment.identity == identity_service
    first = certificate(paths)
    assert first is not None
    key_before = identity_files(paths).key.read_bytes()
    assert renew_if_due(paths, identity_service) is None, "not due: nothing sent"

    late = first.not_after - dt.timedelta(days=100)  # less than a third of 365 days left
    said = renew_if_due(paths, identity_service, now=late)
    assert said is not None and said.startswith("certificate renewed until")
    renewed = certificate(paths)
    assert renewed is not None and renewed.serial != first.serial
    assert identity_files(paths).key.read_bytes() != key_before, "a new key each time"
    assert identity_files(paths).key.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fleet.authority.ca_path))  # nginx's, below
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED, "the new one works"


class Recorder(http.server.BaseHTTPRequestHandler):
    """An identity service that records what it is sent and says the centre is taken."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(409)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_only_the_public_key_is_sent(fleet: Fleet, recorder: str, tmp_path: Path) -> None:
    paths = make_box(tmp_path, "discreet")
    with pytest.raises(EnrolmentError) as taken:
        enrol_with_code(paths, fleet.url, recorder, "namwon-001", "1234 5678 9012", fleet.root)
    assert taken.value.kind == "taken"
    (sent,) = Recorder.bodies
    body = json.loads(sent)
    assert set(body) == {"centre_id", "code", "csr"}
    assert (body["centre_id"], body["code"]) == ("namwon-001", "123456789012")
    request = x509.load_pem_x509_csr(body["csr"].encode())
    assert request.is_signature_valid
    assert request.subject.rfc4514_string() == "CN=namwon-001"
    key = serialization.load_pem_private_key(identity_files(paths).pending_key.read_bytes(), None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert request.public_key().public_bytes(der, public) == key.public_key().public_bytes(
        der, public
    )
    secret = key.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[union-attr]
    pkcs8 = key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    for leaked in (secret, secret.hex().encode(), pkcs8):
        assert leaked not in sent and leaked not in request.public_bytes(der)
    assert identity_files(paths).pending_key.stat().st_mode & 0o777 == 0o600
    assert not identity_files(paths).key.exists(), "no identity without a certificate"


def test_the_periodic_sync_renews_a_certificate_that_is_due(
    fleet: Fleet, identity_service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check the running kiosk's child makes every interval renews by itself."""
    paths = make_box(tmp_path, "due")
    code = fleet.authority.issue_code("namwon-002")
    enrolment = enrol_with_code(paths, fleet.url, identity_service, "namwon-002", code, fleet.root)
    first = certificate(paths)
    assert first is not None
    monkeypatch.setattr(identity, "RENEW_WHEN_LEFT", 1.0)  # any time left is under all of it
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    renewed = certificate(paths)
    assert renewed is not None and renewed.serial != first.serial
    assert {box.serial for box in fleet.authority.boxes()} == {first.serial, renewed.serial}


def test_plain_text_to_another_machine_is_refused_before_anything_is_sent(
    fleet: Fleet, tmp_path: Path
) -> None:
    paths = make_box(tmp_path, "plain")
    for server, service in (
        ("http://198.18.0.2/fleet", "https://127.0.0.1:9"),
        (fleet.url, "http://198.18.0.2:8443"),
        (fleet.url, "http://127.attacker.example:8443"),
    ):
        with pytest.raises(EnrolmentError, match="encrypted"):
            enrol_with_code(paths, server, service, "namwon-001", "1" * 12, fleet.root)
    assert certificate(paths) is None and not identity_files(paths).key.exists()
