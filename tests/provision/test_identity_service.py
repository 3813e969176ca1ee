"""City hall's identity service over real TLS on loopback, with real client certificates."""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk_provisioning.identity.authority import Authority, IdentityError
from kiosk_provisioning.identity.service import (
    MAX_BODY_BYTES,
    Limits,
    RunningService,
    TryCounter,
    start,
)

LIMITS = Limits(tries_per_centre=3, tries_per_address=5, window_s=900)


@dataclass
class CityHall:
    authority: Authority
    """The test's own handle on the registry (the service opens its own)."""
    service: RunningService
    folder: Path
    work: Path

    @property
    def port(self) -> int:
        return int(self.service.url.rsplit(":", 1)[1])


@pytest.fixture
def city_hall(tmp_path: Path) -> Iterator[CityHall]:
    folder = tmp_path / "repo" / "identity"
    authority = Authority.open(folder)
    cert, key = authority.issue_server_cert(["127.0.0.1"], tmp_path / "server")
    service = start(folder, cert, key, limits=LIMITS)
    try:
        yield CityHall(authority, service, folder, tmp_path)
    finally:
        service.close()


@dataclass
class Box:
    """A box's key and, once enrolled, its certificate, as files for the TLS client."""

    key: ec.EllipticCurvePrivateKey
    folder: Path

    def csr(self, centre_id: str) -> str:
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, centre_id)]))
            .sign(self.key, hashes.SHA256())
        )
        return request.public_bytes(serialization.Encoding.PEM).decode()

    def keep(self, certificate_pem: str) -> tuple[Path, Path]:
        cert, key = self.folder / "cert.pem", self.folder / "key.pem"
        cert.write_text(certificate_pem)
        key.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert, key


def new_box(folder: Path) -> Box:
    folder.mkdir(parents=True)
    return Box(ec.generate_private_key(ec.SECP256R1()), folder)


def call(
    hall: CityHall,
    method: str,
    path: str,
    body: Any = None,
    client: tuple[Path, Path] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request over a fresh TLS connection that trusts only the fleet CA."""
    context = ssl.create_default_context(cafile=str(hall.authority.ca_path))
    if client is not None:
        context.load_cert_chain(*client)
    connection = http.client.HTTPSConnection("127.0.0.1", hall.port, context=context, timeout=10)
    try:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload.startswith(b"{") else {}
    finally:
        connection.close()


def enrol(hall: CityHall, box: Box, centre_id: str, code: str) -> tuple[int, dict[str, Any]]:
    return call(
        hall, "POST", "/v1/enrol", {"centre_id": centre_id, "code": code, "csr": box.csr(centre_id)}
    )


def enrolled(hall: CityHall, folder: Path, centre_id: str) -> tuple[Path, Path]:
    box = new_box(folder)
    status, answer = enrol(hall, box, centre_id, hall.authority.issue_code(centre_id))
    assert status == 200, answer
    return box.keep(answer["certificate"])


def der_of(cert: Path) -> bytes:
    return x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(
        serialization.Encoding.DER
    )


def test_a_good_code_gives_a_certificate_for_the_centre(city_hall: CityHall) -> None:
    box = new_box(city_hall.work / "box")
    status, answer = enrol(
        city_hall, box, "namwon-001", city_hall.authority.issue_code("namwon-001")
    )
    assert status == 200, answer
    certificate = x509.load_pem_x509_certificate(answer["certificate"].encode())
    cn = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in cn] == ["namwon-001"]
    assert certificate.public_key() == box.key.public_key(), "the box's own key, certified"
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
    assert answer["ca"].encode() == city_hall.authority.ca_pem
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert city_hall.authority.identify(der) == "namwon-001"


@pytest.mark.allow_warnings
def test_a_code_works_once(city_hall: CityHall, caplog: pytest.LogCaptureFixture) -> None:
    code = city_hall.authority.issue_code("namwon-002")
    assert enrol(city_hall, new_box(city_hall.work / "a"), "namwon-002", code)[0] == 200
    city_hall.authority.revoke("namwon-002")  # even with the centre free again
    status, answer = enrol(city_hall, new_box(city_hall.work / "b"), "namwon-002", code)
    assert (status, answer["error"]) == (403, "code")
    assert answer["message"]
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(refusals) == 1, "one log line per refusal"
    assert "/v1/enrol from 127.0.0.1 refused (403 code): centre namwon-002" in refusals[0]


@pytest.mark.allow_warnings
def test_wrong_codes_are_refused_then_the_centre_is_held_off(city_hall: CityHall) -> None:
    good = city_hall.authority.issue_code("namwon-003")
    wrong = "000000000000" if good != "000000000000" else "111111111111"
    box = new_box(city_hall.work / "box")
    answers = [
        enrol(city_hall, box, "namwon-003", wrong)[0] for _ in range(LIMITS.tries_per_centre)
    ]
    assert answers == [403] * LIMITS.tries_per_centre
    status, answer = enrol(city_hall, box, "namwon-003", good)
    assert (status, answer["error"]) == (429, "tries"), "not even the right code, for now"
    assert "centre namwon-003" in answer["message"]
    other = city_hall.authority.issue_code("namwon-004")
    assert enrol(city_hall, box, "namwon-004", other)[0] == 200, "other centres still enrol"


@pytest.mark.allow_warnings
def test_one_address_guessing_across_centres_is_held_off(city_hall: CityHall) -> None:
    box = new_box(city_hall.work / "box")
    for n in range(LIMITS.tries_per_address):
        assert enrol(city_hall, box, f"namwon-1{n:02d}", "123456789012")[0] == 403
    good = city_hall.authority.issue_code("namwon-200")
    status, answer = enrol(city_hall, box, "namwon-200", good)
    assert (status, answer["error"]) == (429, "tries")
    assert "address 127.0.0.1" in answer["message"]


def test_refused_tries_are_forgotten_after_the_window() -> None:
    now = [0.0]
    counter = TryCounter(2, 60.0, lambda: now[0])
    counter.count("centre c-1")
    counter.count("centre c-1")
    assert counter.exhausted("centre c-1")
    assert not counter.exhausted("centre c-2")
    now[0] = 59.0
    assert counter.exhausted("centre c-1")
    now[0] = 61.0
    assert not counter.exhausted("centre c-1")


@pytest.mark.allow_warnings
def test_a_second_box_for_an_enrolled_centre_is_refused(city_hall: CityHall) -> None:
    code = city_hall.authority.issue_code("namwon-005")
    box = new_box(city_hall.work / "first")
    status, answer = enrol(city_hall, box, "namwon-005", code)
    assert status == 200, answer
    first = box.keep(answer["certificate"])
    # A second box with the code the first one used (the authority issues no plain
    # code for a centre that has a box: only a replacement code).
    with pytest.raises(IdentityError) as no_code:
        city_hall.authority.issue_code("namwon-005")
    assert no_code.value.kind == "taken"
    status, answer = enrol(city_hall, new_box(city_hall.work / "second"), "namwon-005", code)
    assert (status, answer["error"]) == (409, "taken")
    assert "replacement code" in answer["message"]
    assert city_hall.authority.identify(der_of(first[0])) == "namwon-005", "first box untouched"


def test_a_replace_code_enrols_the_new_box_and_revokes_the_old(city_hall: CityHall) -> None:
    old = enrolled(city_hall, city_hall.work / "old", "namwon-006")
    code = city_hall.authority.issue_code("namwon-006", replace=True)
    box = new_box(city_hall.work / "new")
    status, answer = enrol(city_hall, box, "namwon-006", code)
    assert status == 200, answer
    new = box.keep(answer["certificate"])
    assert city_hall.authority.identify(der_of(new[0])) == "namwon-006"
    assert city_hall.authority.identify(der_of(old[0])) is None
    assert call(city_hall, "GET", "/v1/turn", client=new)[0] == 200


def coturn_password(secret: str, username: str) -> str:
    """coturn's use-auth-secret check (turnserver's own computation)."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_turn_credentials_for_a_good_certificate(city_hall: CityHall) -> None:
    client = enrolled(city_hall, city_hall.work / "box", "namwon-007")
    status, answer = call(city_hall, "GET", "/v1/turn", client=client)
    assert status == 200, answer
    expiry, _, who = answer["username"].partition(":")
    assert who == "namwon-007"
    assert answer["ttl_s"] > 0
    assert abs(int(expiry) - (time.time() + answer["ttl_s"])) < 60
    assert answer["credential"] == coturn_password(
        city_hall.authority.turn_secret, answer["username"]
    )


@pytest.mark.allow_warnings
def test_turn_without_a_certificate_is_refused(city_hall: CityHall) -> None:
    status, answer = call(city_hall, "GET", "/v1/turn")
    assert (status, answer["error"]) == (401, "certificate")
    assert "username" not in answer


@pytest.mark.allow_warnings
def test_a_revoked_box_gets_nothing(city_hall: CityHall) -> None:
    client = enrolled(city_hall, city_hall.work / "box", "namwon-008")
    assert call(city_hall, "GET", "/v1/turn", client=client)[0] == 200
    city_hall.authority.revoke("namwon-008")
    status, answer = call(city_hall, "GET", "/v1/turn", client=client)
    assert (status, answer["error"]) == (401, "certificate")
    assert "certificate 'namwon-008'" in answer["message"], "the log says who"
    box = new_box(city_hall.work / "again")
    renewed = call(city_hall, "POST", "/v1/renew", {"csr": box.csr("namwon-008")}, client=client)
    assert renewed[0] == 401


def foreign_certificate(folder: Path, centre_id: str) -> tuple[Path, Path]:
    """A client certificate for *centre_id* from a CA that is not the fleet's."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Namwon fleet CA")])
    now = dt.datetime.now(dt.UTC)
    box = new_box(folder)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, centre_id)]))
        .issuer_name(ca_name)
        .public_key(box.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return box.keep(cert.public_bytes(serialization.Encoding.PEM).decode())


@pytest.mark.allow_warnings
def test_a_certificate_from_another_ca_gets_nothing(city_hall: CityHall) -> None:
    enrolled(city_hall, city_hall.work / "real", "namwon-009")
    client = foreign_certificate(city_hall.work / "forged", "namwon-009")
    try:
        status, answer = call(city_hall, "GET", "/v1/turn", client=client)
    except (ssl.SSLError, ConnectionError):
        return  # the handshake refused it: the certificate does not chain to the fleet CA
    assert status == 401 and "username" not in answer


@pytest.mark.allow_warnings
def test_renewal_gives_a_new_certificate_for_the_same_centre(city_hall: CityHall) -> None:
    client = enrolled(city_hall, city_hall.work / "box", "namwon-010")
    box = new_box(city_hall.work / "next-key")
    status, answer = call(
        city_hall, "POST", "/v1/renew", {"csr": box.csr("namwon-010")}, client=client
    )
    assert status == 200, answer
    renewed = x509.load_pem_x509_certificate(answer["certificate"].encode())
    assert renewed.public_key() == box.key.public_key()
    der = renewed.public_bytes(serialization.Encoding.DER)
    assert city_hall.authority.identify(der) == "namwon-010"
    status, _ = call(city_hall, "POST", "/v1/renew", {"csr": box.csr("namwon-010")})
    assert status == 401, "renewal needs the box's certificate"


@pytest.mark.allow_warnings
def test_bad_and_oversize_bodies_are_refused(city_hall: CityHall) -> None:
    code = city_hall.authority.issue_code("namwon-011")
    box = new_box(city_hall.work / "box")
    huge = {"centre_id": "namwon-011", "code": code, "csr": "x" * MAX_BODY_BYTES}
    assert call(city_hall, "POST", "/v1/enrol", huge)[0] == 413
    assert call(city_hall, "POST", "/v1/enrol", raw=b"not json")[0] == 400
    assert call(city_hall, "POST", "/v1/enrol", ["namwon-011", code])[0] == 400
    missing = call(city_hall, "POST", "/v1/enrol", {"centre_id": "namwon-011", "code": code})
    assert missing == (400, {"error": "input", "message": missing[1]["message"]})
    assert "csr" in missing[1]["message"]
    assert enrol(city_hall, box, "namwon-011", code)[0] == 200, "the code was not spent"


def test_a_service_that_cannot_listen_says_why(city_hall: CityHall, tmp_path: Path) -> None:
    cert, key = city_hall.authority.issue_server_cert(["127.0.0.1"], tmp_path / "second")
    with pytest.raises(OSError):
        start(city_hall.folder, cert, key, port=city_hall.port)  # the first one holds it


@pytest.mark.allow_warnings
def test_the_command_serves_and_says_when_it_is_ready(city_hall: CityHall, tmp_path: Path) -> None:
    cert, key = city_hall.authority.issue_server_cert(["127.0.0.1"], tmp_path / "cli")
    command = [sys.executable, "-m", "kiosk_provisioning.identity.service"]
    command += ["--repo", str(city_hall.folder.parent), "--listen", "127.0.0.1:0"]
    command += ["--cert", str(cert), "--key", str(key)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline().decode()  # blocks until it accepts connections
            assert first.startswith("ready https://127.0.0.1:"), first
            city_hall.service.url = first.split()[1]  # talk to the command's server instead
            client = enrolled(city_hall, tmp_path / "box", "namwon-012")
            assert call(city_hall, "GET", "/v1/turn", client=client)[0] == 200
            assert call(city_hall, "GET", "/v1/turn")[0] == 401
        finally:
            server.terminate()
            try:
                _, errors = server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                _, errors = server.communicate()
                pytest.fail(f"SIGTERM did not stop the service: {errors.decode()[-2000:]}")
    assert server.returncode == 0, errors.decode()
