"""TLS is verified: a box refuses a server whose certificate it cannot trust."""

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import enrol
from kiosk.sync.result import Outcome
from tests.sync.conftest import Fleet, make_box
from tests.webserver import nginx


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_an_untrusted_certificate_is_refused_and_a_trusted_one_works(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    with nginx(fleet.repo.public, tmp_path / "tls", (cert, key)) as url:
        paths = make_box(tmp_path, "tls-box")
        enrolment = enrol(paths, url, "namwon-001", (fleet.repo.path / "root.json").read_bytes())
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        refused = sync_once(paths, enrolment)
        assert refused.outcome is Outcome.UNREACHABLE
        assert "certificate is not trusted" in refused.reason
        # The same server, once the box trusts its certificate authority.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
