"""The fleet authority: one-time codes, box certificates, a second box, revocation."""

import base64
import hashlib
import hmac
import os
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk_provisioning.identity.authority import CODE_TRIES, Authority, IdentityError, Verifier
from kiosk_provisioning.identity.tokens import (
    issue_staff_pass,
    janus_token,
    turn_credentials,
    verify_staff_pass,
)


def request_for(name: str = "anything") -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM), key


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return Authority.open(tmp_path / "identity")


def test_a_code_enrols_one_box_whose_name_comes_from_the_code(authority: Authority) -> None:
    code = authority.issue_code("namwon-001")
    assert len(code) == 12 and code.isdigit()
    csr, _ = request_for("namwon-002")  # the box asks for another centre's name
    cert = x509.load_pem_x509_certificate(authority.enrol("namwon-001", code, csr))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "namwon-001"
    assert authority.identify(der(authority.ca_pem)) is None  # the CA is no box
    assert authority.identify(cert.public_bytes(serialization.Encoding.DER)) == "namwon-001"
    with pytest.raises(IdentityError) as again:
        authority.enrol("namwon-001", code, request_for()[0])
    assert again.value.kind == "taken"
    assert any("second box" in what for _, _, what in authority.events("namwon-001"))


def test_typing_spaces_and_dashes_is_fine_but_wrong_codes_spend_it(authority: Authority) -> None:
    code = authority.issue_code("namwon-003")
    for n in range(1, CODE_TRIES):
        with pytest.raises(IdentityError) as wrong:
            authority.enrol("namwon-003", "000000000000", request_for()[0])
        assert wrong.value.kind == "code", n
    with pytest.raises(IdentityError) as spent:
        authority.enrol("namwon-003", "000000000000", request_for()[0])
    assert spent.value.kind == "tries"
    with pytest.raises(IdentityError):  # even the right code, now
        authority.enrol("namwon-003", code, request_for()[0])
    fresh = authority.issue_code("namwon-003")
    spaced = f"{fresh[:4]} {fresh[4:8]}-{fresh[8:]}"
    assert authority.enrol("namwon-003", spaced, request_for()[0])


def test_a_centre_with_a_box_needs_a_replacement_code_which_revokes_the_old_box(
    authority: Authority,
) -> None:
    old = der(authority.enrol("namwon-001", authority.issue_code("namwon-001"), request_for()[0]))
    with pytest.raises(IdentityError) as taken:
        authority.issue_code("namwon-001")
    assert taken.value.kind == "taken"
    new = der(
        authority.enrol(
            "namwon-001", authority.issue_code("namwon-001", replace=True), request_for()[0]
        )
    )
    assert authority.identify(old) is None
    assert authority.identify(new) == "namwon-001"
    crl = x509.load_pem_x509_crl(authority.crl_path.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(
        x509.load_der_x509_certificate(old).serial_number
    )


def test_a_revoked_box_is_not_identified_and_is_on_the_revocation_list(
    authority: Authority,
) -> None:
    cert = der(authority.enrol("namwon-001", authority.issue_code("namwon-001"), request_for()[0]))
    renewed = der(authority.renew(cert, request_for()[0]))
    assert authority.identify(renewed) == "namwon-001"
    revoked = authority.revoke("namwon-001")
    assert len(revoked) == 2
    assert authority.identify(cert) is None and authority.identify(renewed) is None
    with pytest.raises(IdentityError):
        authority.renew(renewed, request_for()[0])
    crl = x509.load_pem_x509_crl(authority.crl_path.read_bytes())
    assert len(list(crl)) == 2


def test_a_certificate_from_another_authority_is_nobody(tmp_path: Path) -> None:
    ours, theirs = Authority.open(tmp_path / "a"), Authority.open(tmp_path / "b")
    cert = der(theirs.enrol("namwon-001", theirs.issue_code("namwon-001"), request_for()[0]))
    assert ours.identify(cert) is None
    assert ours.identify(b"not a certificate") is None


def test_the_authority_keeps_its_ca_and_secrets_private_and_across_opens(tmp_path: Path) -> None:
    first = Authority.open(tmp_path / "identity")
    again = Authority.open(tmp_path / "identity")
    assert first.ca_pem == again.ca_pem and first.janus_secret == again.janus_secret
    assert (tmp_path / "identity").stat().st_mode & 0o777 == 0o700
    for name in ("ca.key", "janus.secret", "turn.secret", "token.key"):
        assert (tmp_path / "identity" / name).stat().st_mode & 0o777 == 0o600, name


def test_staff_passes_are_checked_and_expire(authority: Authority) -> None:
    token = issue_staff_pass(authority.token_key, "kim", ["cityhall-welfare"], [1001], True)
    staff = verify_staff_pass(authority.token_key, token)
    assert staff is not None and staff.names == ("cityhall-welfare",) and staff.host
    assert verify_staff_pass(b"another key, just as long as ours", token) is None
    expired = issue_staff_pass(authority.token_key, "kim", ["x"], ttl_s=-10)
    assert verify_staff_pass(authority.token_key, expired) is None
    header, claims, signature = token.split(".")
    forged_claims = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(claims + "==").replace(b'"kim"', b'"lee"')
    ).rstrip(b"=")
    assert (
        verify_staff_pass(authority.token_key, f"{header}.{forged_claims.decode()}.{signature}")
        is None
    )


def test_janus_and_turn_tokens_follow_their_servers_schemes(authority: Authority) -> None:
    token = janus_token("s3cret", 60)
    data, signature = token.split(":")
    expiry, realm, *plugins = data.split(",")
    assert realm == "janus" and "janus.plugin.videocall" in plugins
    assert int(expiry) > time.time()
    expected = hmac.new(b"s3cret", data.encode(), hashlib.sha1).digest()
    assert base64.b64decode(signature) == expected
    user, password = turn_credentials("s3cret", "namwon-001", 600)
    assert user.endswith(":namwon-001") and int(user.split(":")[0]) > time.time()
    assert base64.b64decode(password) == hmac.new(b"s3cret", user.encode(), hashlib.sha1).digest()


def test_the_verifier_tells_boxes_apart_without_the_ca_key_or_writing(
    authority: Authority,
) -> None:
    """What the call gate uses: its unit sees the folder read-only."""
    cert = der(authority.enrol("namwon-001", authority.issue_code("namwon-001"), request_for()[0]))
    (authority.folder / "ca.key").rename(authority.folder / "elsewhere.key")
    before = {p.name: p.stat().st_mtime_ns for p in authority.folder.iterdir()}
    verifier = Verifier.open(authority.folder)
    assert verifier.identify(cert) == "namwon-001"
    assert verifier.token_key == authority.token_key
    assert not hasattr(verifier, "enrol") and not hasattr(verifier, "revoke")
    assert {p.name: p.stat().st_mtime_ns for p in authority.folder.iterdir()} == before
    (authority.folder / "elsewhere.key").rename(authority.folder / "ca.key")
    authority.revoke("namwon-001")
    assert verifier.identify(cert) is None, "a revocation is seen at once"


def test_keys_are_private_whatever_the_umask(tmp_path: Path) -> None:
    """The CA key and a server key are 0600 even under umask 0 (the certificate is not)."""
    old = os.umask(0o000)
    try:
        authority = Authority.open(tmp_path / "identity")
        cert, key = authority.issue_server_cert(["127.0.0.1"], tmp_path / "tls")
    finally:
        os.umask(old)
    assert (authority.folder / "ca.key").stat().st_mode & 0o777 == 0o600
    assert key.stat().st_mode & 0o777 == 0o600
    assert cert.stat().st_mode & 0o077 != 0, "the certificate itself is public"
