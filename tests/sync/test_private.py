"""Private settings: the configuration server (the shipped nginx site, mutual TLS) serves
a centre's settings only to the box holding that centre's certificate."""

import hashlib
import http.client
import json
import ssl
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.identity import (
    client_cert,
    identity_files,
    new_request,
    standing,
    store_certificate,
    tls_context,
)
from kiosk.paths import Paths
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import enrol
from kiosk.sync.result import Outcome
from kiosk_provisioning.identity.authority import Authority
from tests.sync.conftest import Fleet, make_box
from tests.sync.test_commands import kiosk
from tests.webserver import reload_nginx


def config_url(fleet: Fleet, centre: str) -> str:
    """Where the repository publishes *centre*'s current configuration."""
    target = fleet.repo.load("targets").signed.targets[f"centres/{centre}/config.json"]
    return f"{fleet.url}/targets/centres/{centre}/{target.hashes['sha256']}.config.json"


def test_without_a_certificate_nothing_is_served(fleet: Fleet, tmp_path: Path) -> None:
    for path in ("/metadata/1.root.json", "/metadata/timestamp.json"):
        refused = requests.get(fleet.url + path, timeout=10)
        assert refused.status_code == 403, path
        assert refused.headers["X-Kiosk-Certificate"] == "NONE"
    assert requests.get(config_url(fleet, "namwon-002"), timeout=10).status_code == 403

    # A box enrolled the old way (no code, so no certificate) gets nothing, and says why.
    paths = make_box(tmp_path, "no-cert")
    enrolment = enrol(paths, fleet.url, "namwon-002", fleet.root)
    result = sync_once(paths, enrolment)
    assert result.outcome is Outcome.REJECTED
    assert "refuses this box's certificate: no certificate" in result.reason
    assert not paths.config.exists()


def test_a_certificate_from_another_ca_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    stranger = Authority.open(tmp_path / "another-city")
    paths = make_box(tmp_path, "stranger")
    code = stranger.issue_code("namwon-002")
    store_certificate(paths, stranger.enrol("namwon-002", code, new_request(paths, "namwon-002")))
    result = sync_once(paths, enrol(paths, fleet.url, "namwon-002", fleet.root))
    assert result.outcome is Outcome.REJECTED
    assert "refuses this box's certificate" in result.reason, result.reason


def test_a_box_gets_its_own_settings_and_never_another_centres(
    fleet: Fleet, tmp_path: Path
) -> None:
    one = make_box(tmp_path, "one")
    fleet.certify(one, "namwon-001")
    cert = client_cert(one)
    mine = requests.get(config_url(fleet, "namwon-001"), cert=cert, timeout=10)
    assert mine.status_code == 200
    assert json.loads(mine.content)["centre"]["id"] == "namwon-001"
    assert "private" in mine.headers["Cache-Control"], "no shared cache keeps it"
    theirs = requests.get(config_url(fleet, "namwon-002"), cert=cert, timeout=10)
    assert theirs.status_code == 403
    assert "namwon-002" not in theirs.text
    # The signed metadata is the fleet's, readable by any valid box.
    assert requests.get(f"{fleet.url}/metadata/1.root.json", cert=cert, timeout=10).ok

    # A box holding namwon-001's certificate but enrolled as namwon-002 gets nothing of it.
    result = sync_once(one, enrol(one, fleet.url, "namwon-002", fleet.root))
    assert result.outcome is Outcome.REJECTED
    assert "HTTP 403" in result.reason and "namwon-002" in result.reason
    assert not one.config.exists()


def test_a_revoked_box_is_refused_keeps_its_last_good_settings_and_says_why(
    fleet: Fleet, box: tuple[Paths, object], tmp_path: Path
) -> None:
    paths, _ = box
    enrolment = enrol(paths, fleet.url, "namwon-002", fleet.root)
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    last_good = paths.config.read_bytes()

    (revoked,) = fleet.authority.revoke("namwon-002")
    assert revoked.serial == standing(paths)["serial"]
    reload_nginx(fleet.server_dir)  # what `kiosk-provision revoke` asks of the server
    fleet.set_default("idle", "return_home_after_s", 222)
    fleet.publish()

    result = sync_once(paths, enrolment)
    assert result.outcome is Outcome.REJECTED
    assert result.reason.endswith("refuses this box's certificate: certificate revoked")
    assert paths.config.read_bytes() == last_good, "the centre keeps its last good settings"
    assert standing(paths)["state"] == "refused"

    doctor = kiosk(paths, "doctor", "--json", room="centre-room")
    assert doctor.returncode == 1
    assert doctor.stderr.startswith("this box's certificate is refused (certificate revoked)")
    report = json.loads(doctor.stdout)
    assert report["config"]["identity"]["refused"] == "certificate revoked"
    assert report["config"]["revision"] == 1
    assert report["network"]["config_server"]["reachable"] is False
    words = kiosk(paths, "doctor", room="centre-room").stdout
    assert "REFUSED: certificate revoked" in words


def test_the_key_stays_on_the_box_readable_by_it_alone(fleet: Fleet, tmp_path: Path) -> None:
    paths = make_box(tmp_path, "careful")
    fleet.certify(paths, "namwon-001")
    files = identity_files(paths)
    assert files.key.stat().st_mode & 0o777 == 0o600
    assert files.folder.stat().st_mode & 0o777 == 0o700
    assert not files.pending_key.exists()
    key = serialization.load_pem_private_key(files.key.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    # What city hall recorded is the public key, and the certificate is for it.
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert cert.public_key().public_bytes(der, public) == key.public_key().public_bytes(der, public)
    (box,) = fleet.authority.boxes()
    assert box.key_sha256 == hashlib.sha256(key.public_key().public_bytes(der, public)).hexdigest()


def test_the_tls_context_for_other_parts_presents_the_certificate(
    fleet: Fleet, tmp_path: Path
) -> None:
    """What the call line uses (ssl, not requests) meets the same server rules."""
    paths = make_box(tmp_path, "caller")
    assert tls_context(paths) is None, "no certificate yet"
    fleet.certify(paths, "namwon-001")
    context = tls_context(paths)
    assert context is not None and context.verify_mode is ssl.CERT_REQUIRED
    host, port = fleet.url.removeprefix("https://").split(":")
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    try:
        connection.request("GET", config_url(fleet, "namwon-001").removeprefix(fleet.url))
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_a_restart_between_certificate_and_key_finishes_the_adoption(
    fleet: Fleet, tmp_path: Path
) -> None:
    paths = make_box(tmp_path, "cut-off")
    fleet.certify(paths, "namwon-001")
    files = identity_files(paths)
    old_key = files.key.read_bytes()
    # Power cut: the renewed certificate was written, its key not moved into place yet.
    code = fleet.authority.issue_code("namwon-001", replace=True)
    renewed = fleet.authority.enrol("namwon-001", code, new_request(paths, "namwon-001"))
    files.cert.write_bytes(renewed)
    assert files.key.read_bytes() == old_key
    pair = client_cert(paths)
    assert pair is not None and not files.pending_key.exists()
    assert requests.get(config_url(fleet, "namwon-001"), cert=pair, timeout=10).ok


def test_the_call_line_trusts_a_server_certificate_from_the_fleet_ca(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """City hall's call gate may use a certificate from the fleet CA: the box trusts it
    through the CA it received at enrolment, not through the system's store."""
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    paths = make_box(tmp_path, "gate-caller")
    fleet.certify(paths, "namwon-001")
    host, port = fleet.url.removeprefix("https://").split(":")
    context = tls_context(paths)
    assert context is not None
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    try:
        connection.request("GET", config_url(fleet, "namwon-001").removeprefix(fleet.url))
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    identity_files(paths).ca.unlink()
    without = tls_context(paths)
    assert without is not None
    connection = http.client.HTTPSConnection(host, int(port), context=without, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        connection.request("GET", "/")
    connection.close()
