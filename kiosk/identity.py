"""The box's own identity: its key, its certificate from the fleet CA, and renewing it.

The box makes its EC P-256 key itself and never sends it anywhere: only a
certificate signing request (the public key and the centre id as its CN)
leaves the box. City hall's identity service answers with a certificate
signed by the fleet CA; the box then presents it (mutual TLS) to the
configuration server, the call gate and the identity service.

Files, in ``STATE/identity/``: ``key.pem`` (mode 0600), ``cert.pem``,
``ca.pem`` (the fleet CA). A new key is made as ``key.pending.pem`` and
only replaces ``key.pem`` when its certificate arrives, so a failed
enrolment or renewal leaves the working identity as it was. Every file is
written whole (temporary, fsync, rename). ``refused.json`` remembers that a
server refused the certificate (revoked or unknown), for ``kiosk doctor``.

Qt-free and blocking (disk, and the network in :func:`renew_if_due`): call
from a worker thread or a command. Servers are verified against the usual store
and, once the box has it, the fleet CA (:func:`tls_context`): the call gate and the
identity service may have certificates from either; the first enrolment, before
the box has the CA, needs an identity service with a certificate the store trusts.
"""

import contextlib
import datetime as dt
import json
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.paths import Paths
from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)

RENEW_WHEN_LEFT = 1 / 3
"""Renew once less than this share of the certificate's validity remains."""

READ_TIMEOUT_S = 15


class IdentityError(ValueError):
    """The identity cannot be made, stored or renewed; the message says why, plainly."""


@dataclass(frozen=True)
class IdentityFiles:
    """Where the box keeps its identity."""

    folder: Path

    @property
    def key(self) -> Path:
        return self.folder / "key.pem"

    @property
    def pending_key(self) -> Path:
        return self.folder / "key.pending.pem"

    @property
    def cert(self) -> Path:
        return self.folder / "cert.pem"

    @property
    def ca(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def refused(self) -> Path:
        return self.folder / "refused.json"


def identity_files(paths: Paths) -> IdentityFiles:
    return IdentityFiles(paths.state / "identity")


@dataclass(frozen=True)
class Certificate:
    """What a technician needs to know about the box's certificate."""

    centre_id: str
    serial: str
    """Hexadecimal, as city hall's registry lists it."""
    not_before: dt.datetime
    not_after: dt.datetime

    def due_for_renewal(self, now: dt.datetime) -> bool:
        """Less than :data:`RENEW_WHEN_LEFT` of the validity remains (or it has run out)."""
        return self.not_after - now < (self.not_after - self.not_before) * RENEW_WHEN_LEFT


def _write_private(path: Path, data: bytes) -> None:
    """Write *data* whole, readable by this user only from the first byte (0600)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, data, mode=0o600)


def new_request(paths: Paths, centre_id: str) -> bytes:
    """Make a new key (kept pending, 0600) and return a CSR (PEM) for *centre_id*.

    The CSR carries the public key only. The key becomes the box's once
    :func:`store_certificate` receives a certificate for it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        _write_private(identity_files(paths).pending_key, pem)
    except OSError as err:
        raise IdentityError(f"cannot store the box's key: {err.strerror or err}") from None
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, centre_id)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def store_certificate(paths: Paths, cert_pem: bytes, ca_pem: bytes | None = None) -> Certificate:
    """Adopt *cert_pem* (and the fleet CA *ca_pem*, if given) for the pending key.

    Refuses a certificate that is not for the pending key. The old identity
    stays in force until the new one is whole on disk.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    files = identity_files(paths)
    try:
        pending = serialization.load_pem_private_key(files.pending_key.read_bytes(), None)
        cert = x509.load_pem_x509_certificate(cert_pem)
    except (OSError, ValueError) as err:
        raise IdentityError(f"the certificate cannot be used: {err}") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if cert.public_key().public_bytes(der, public) != pending.public_key().public_bytes(
        der, public
    ):
        raise IdentityError("the certificate received is not for this box's key")
    try:
        if ca_pem is not None:
            x509.load_pem_x509_certificate(ca_pem)
            write_atomically(files.ca, ca_pem)
        write_atomically(files.cert, cert_pem)
        files.pending_key.replace(files.key)
        files.refused.unlink(missing_ok=True)
    except ValueError as err:
        raise IdentityError(f"the fleet CA received is not a certificate: {err}") from None
    except OSError as err:
        raise IdentityError(f"cannot store the certificate: {err.strerror or err}") from None
    info = _describe(cert)
    log.info("identity: certificate %s for %s until %s", info.serial, info.centre_id,
             info.not_after.date())  # fmt: skip
    return info


def _describe(cert: Any) -> Certificate:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return Certificate(
        centre_id=str(names[0].value) if names else "",
        serial=f"{cert.serial_number:x}",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def certificate(paths: Paths) -> Certificate | None:
    """The box's certificate, or ``None`` if it has none (or no key for it)."""
    from cryptography import x509

    files = identity_files(paths)
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    except (OSError, ValueError):
        return None
    if not files.key.exists():
        return None
    return _describe(cert)


def _finish_adoption(files: IdentityFiles) -> None:
    """Finish :func:`store_certificate` if a crash or power cut came between writing the
    certificate and moving its key into place (the certificate is for the pending key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        pending = serialization.load_pem_private_key(files.pending_key.read_bytes(), None)
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    except (OSError, ValueError):
        return
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    mine = pending.public_key().public_bytes(der, public)
    if cert.public_key().public_bytes(der, public) == mine:
        with contextlib.suppress(OSError):
            files.pending_key.replace(files.key)
            log.info("identity: finished adopting the certificate cut off by a restart")


def client_cert(paths: Paths) -> tuple[str, str] | None:
    """``(cert, key)`` file names for requests' ``cert=``, or ``None`` if not enrolled."""
    files = identity_files(paths)
    if files.pending_key.exists():
        _finish_adoption(files)
    if not (files.cert.exists() and files.key.exists()):
        return None
    return str(files.cert), str(files.key)


def tls_context(paths: Paths) -> ssl.SSLContext | None:
    """A client TLS context presenting the box's certificate, or ``None`` if the box
    has none. Servers are verified as by :func:`ssl.create_default_context`, and a
    server certificate from the fleet CA (``kiosk-provision server-cert``) is trusted
    too: city hall's call gate may use one. The CA signs boxes only for client use, so
    no box can pose as a server."""
    pair = client_cert(paths)
    if pair is None:
        return None
    context = ssl.create_default_context()
    try:
        if identity_files(paths).ca.exists():
            context.load_verify_locations(cafile=str(identity_files(paths).ca))
        context.load_cert_chain(*pair)
    except (OSError, ssl.SSLError) as err:
        log.error("identity: cannot load the box's certificate: %s", err)
        return None
    return context


def note_refused(paths: Paths, why: str) -> None:
    """Remember that a server refused the box's certificate (*why*, e.g. "certificate revoked")."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = {"why": why, "at": now}
    files = identity_files(paths)
    try:
        previous = json.loads(files.refused.read_text())
    except (OSError, ValueError):
        previous = None
    if isinstance(previous, dict) and previous.get("why") == why:
        return  # already said; keep when it started
    try:
        write_atomically(files.refused, json.dumps(record).encode())
    except OSError as err:
        log.error("identity: could not record the refusal: %s", err)


def note_accepted(paths: Paths) -> None:
    """A server accepted the certificate again: forget an earlier refusal."""
    with contextlib.suppress(OSError):
        identity_files(paths).refused.unlink(missing_ok=True)


def standing(paths: Paths, now: dt.datetime | None = None) -> dict[str, Any]:
    """The identity for ``kiosk doctor``: ``state`` is one of ``none``, ``enrolled``,
    ``expired``, ``refused``; with the serial, expiry and the refusal's reason."""
    now = now or dt.datetime.now(dt.UTC)
    info = certificate(paths)
    if info is None:
        return {"state": "none"}
    report: dict[str, Any] = {
        "state": "enrolled",
        "centre": info.centre_id,
        "serial": info.serial,
        "not_after": info.not_after.isoformat(timespec="seconds"),
        "renewal_due": info.due_for_renewal(now),
    }
    try:
        refused = json.loads(identity_files(paths).refused.read_text())
        report.update(state="refused", refused=str(refused["why"]), refused_at=refused["at"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if info.not_after <= now:
        report["state"] = "expired"
    return report


def renew_if_due(paths: Paths, identity_url: str, now: dt.datetime | None = None) -> str | None:
    """Renew the certificate when less than a third of its validity remains.

    Sends a new CSR to ``POST {identity_url}/v1/renew`` over mutual TLS with
    the current certificate. Returns ``None`` when nothing was due, else one
    plain line saying what happened. Never raises for network trouble: the
    current certificate stays in force and the next sync tries again.
    """
    info = certificate(paths)
    if info is None or not info.due_for_renewal(now or dt.datetime.now(dt.UTC)):
        return None
    context = tls_context(paths)
    if context is None:
        return "certificate not renewed: the box's certificate cannot be loaded"
    import urllib.error
    import urllib.request

    try:
        csr = new_request(paths, info.centre_id)
        request = urllib.request.Request(
            f"{identity_url.rstrip('/')}/v1/renew",
            data=json.dumps({"csr": csr.decode()}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        # The box's TLS context: its certificate shown, and the identity service
        # trusted through the fleet CA as well as the usual store.
        with urllib.request.urlopen(request, context=context, timeout=READ_TIMEOUT_S) as reply:
            answer = json.loads(reply.read(64 * 1024))
    except IdentityError as err:
        return f"certificate not renewed: {err}"
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            note_refused(paths, "certificate revoked or unknown to city hall")
            return f"certificate not renewed: refused by city hall (HTTP {err.code})"
        return f"certificate not renewed: HTTP {err.code}"
    except (OSError, ValueError) as err:
        return f"certificate not renewed: identity service unreachable ({type(err).__name__})"
    try:
        renewed = store_certificate(paths, str(answer["certificate"]).encode())
    except (KeyError, TypeError, IdentityError) as err:
        return f"certificate not renewed: {err}"
    return f"certificate renewed until {renewed.not_after.date()} (serial {renewed.serial})"
