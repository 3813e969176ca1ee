"""City hall's fleet authority: who each box is, proven by a certificate it earned once.

A box makes its own key pair at enrolment (the private key never leaves it) and
sends a certificate request with a **one-time code** the technician got from
``kiosk-provision code``. The authority checks the code, signs a client
certificate whose common name is the centre id (whatever the request said), and
records which box key holds which centre. A second box claiming a centre that
already has one is refused and written down; a replaced box is re-enrolled with a
*replacement* code, which revokes the old box when it is used.
``kiosk-provision revoke`` revokes a centre's box: the certificate revocation list
(``crl.pem``, read by nginx) and :meth:`Authority.identify` (the identity service
and the call gate) refuse it from then on.

Everything lives in one folder (``REPO/identity``, mode 0700): the fleet CA
(``ca.key`` 0600, ``ca.pem``), the registry (SQLite: codes, boxes, events), the
revocation list, and the secrets the call gate, Janus and TURN share.
"""

import contextlib
import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk_contract.files import write_atomically

CODE_DIGITS = 12
CODE_TRIES = 100
"""Wrong codes before a centre's code is spent (a new one must be issued): a ceiling on
guessing one code from many addresses (the identity service limits each address
first). Not lower: anyone may type wrong codes, and each spent code is a trip to
city hall for the technician."""
BOX_CERT_DAYS = 365
CRL_DAYS = 7
"""The revocation list's ``nextUpdate``: ``kiosk-provision refresh`` rewrites it daily;
nginx refuses every box once it has expired."""
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class IdentityError(ValueError):
    """A request the authority refuses; the message says why, plainly.

    ``kind``: ``code`` (wrong, spent or expired code), ``taken`` (the centre has a
    box), ``tries`` (too many wrong codes), ``csr`` (a bad certificate request),
    ``revoked``, ``unknown`` (no such centre or box)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Box:
    """One box's certificate for one centre."""

    serial: str
    centre_id: str
    key_sha256: str
    enrolled_at: dt.datetime
    not_after: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None and self.not_after > _now()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(when: float | None) -> dt.datetime | None:
    return None if when is None else dt.datetime.fromtimestamp(when, dt.UTC)


def _make_secret(path: Path, make: bytes) -> None:
    """Keep *make* in *path* (mode 0600) unless a secret is there already."""
    if not path.exists():
        write_atomically(path, make, mode=0o600)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """A private key, readable by its owner only from its first byte."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_atomically(path, pem, mode=0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _code_hash(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode(), salt=salt, **_SCRYPT)


def normal_code(code: str) -> str:
    """The code's digits (a technician may type it with spaces or dashes)."""
    return "".join(c for c in code if c.isdigit())


class Verifier:
    """Tells who a box is, reading the authority's folder and nothing else: what the
    call gate needs (it never sees the CA's key and never writes). Use :meth:`open`."""

    def __init__(self, folder: Path, ca: x509.Certificate) -> None:
        self.folder = folder
        self._ca = ca
        self.ca_path = folder / "ca.pem"
        self.crl_path = folder / "crl.pem"

    @classmethod
    def open(cls, folder: Path) -> "Verifier":
        """The verifier of the authority made in *folder* (raises ``OSError`` if none)."""
        return cls(folder, x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes()))

    @property
    def janus_secret(self) -> str:
        return (self.folder / "janus.secret").read_text()

    @property
    def turn_secret(self) -> str:
        return (self.folder / "turn.secret").read_text()

    @property
    def token_key(self) -> bytes:
        return (self.folder / "token.key").read_bytes()

    @property
    def ca_pem(self) -> bytes:
        return _pem(self._ca)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        path = (self.folder / "registry.sqlite3").resolve()
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            yield db
        finally:
            db.close()

    def identify(self, cert_der: bytes) -> str | None:
        """The centre id of a box certificate this authority issued, still in date and
        not revoked; ``None`` for anything else."""
        try:
            cert = x509.load_der_x509_certificate(cert_der)
            cert.verify_directly_issued_by(self._ca)
        except (ValueError, TypeError, InvalidSignature):
            return None
        now = _now()
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return None
        with self._db() as db:
            row = db.execute(
                "SELECT centre_id, revoked_at FROM boxes WHERE serial = ?",
                (f"{cert.serial_number:x}",),
            ).fetchone()
        if row is None or row[1] is not None:
            return None
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(row[0]) if names and names[0].value == row[0] else None

    def boxes(self) -> list[Box]:
        """Every certificate ever issued, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT serial, centre_id, key_sha256, enrolled_at, not_after, revoked_at "
                "FROM boxes ORDER BY enrolled_at"
            ).fetchall()
        return [
            Box(
                serial,
                centre,
                key,
                dt.datetime.fromtimestamp(enrolled, dt.UTC),
                dt.datetime.fromtimestamp(not_after, dt.UTC),
                _stamp(revoked),
            )
            for serial, centre, key, enrolled, not_after, revoked in rows
        ]


class Authority(Verifier):
    """The fleet CA and its registry in *folder*. Use :meth:`open`."""

    def __init__(self, folder: Path, key: ec.EllipticCurvePrivateKey, ca: x509.Certificate):
        super().__init__(folder, ca)
        self._key = key
        for name in ("janus.secret", "turn.secret", "token.key"):
            _make_secret(folder / name, secrets.token_hex(32).encode())
        with self._db() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS codes (
                    centre_id TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL,
                    replace INTEGER NOT NULL, issued_at REAL NOT NULL,
                    expires_at REAL NOT NULL, used_at REAL, tries INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE IF NOT EXISTS boxes (
                    serial TEXT PRIMARY KEY, centre_id TEXT NOT NULL,
                    key_sha256 TEXT NOT NULL, enrolled_at REAL NOT NULL,
                    not_after REAL NOT NULL, revoked_at REAL);
                CREATE TABLE IF NOT EXISTS events (
                    at REAL NOT NULL, centre_id TEXT NOT NULL, what TEXT NOT NULL);
                """
            )
        (folder / "registry.sqlite3").chmod(0o600)  # code hashes, who holds what
        if not self.crl_path.exists():
            self.write_crl()

    @classmethod
    def open(cls, folder: Path, city: str = "Namwon") -> "Authority":
        """The authority in *folder*, made (CA, secrets, registry) on first use."""
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        key_path, ca_path = folder / "ca.key", folder / "ca.pem"
        if key_path.exists() and ca_path.exists():
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise IdentityError("unknown", f"{key_path}: not the fleet CA's key")
            return cls(folder, loaded, x509.load_pem_x509_certificate(ca_path.read_bytes()))
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{city} kiosk fleet CA")])
        now = _now()
        ca = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_key(key_path, key)
        write_atomically(ca_path, _pem(ca))
        return cls(folder, key, ca)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.folder / "registry.sqlite3", timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def _event(self, db: sqlite3.Connection, centre_id: str, what: str) -> None:
        db.execute("INSERT INTO events VALUES (?, ?, ?)", (_now().timestamp(), centre_id, what))

    # -- codes and enrolment ---------------------------------------------------------

    def issue_code(self, centre_id: str, *, replace: bool = False, valid_days: int = 14) -> str:
        """A new one-time enrolment code for *centre_id* (12 digits), replacing any
        unused one. A centre that has a box needs *replace*: the box that enrols with
        it then takes the centre over and the old one is revoked."""
        live = [box for box in self.boxes() if box.centre_id == centre_id and box.live]
        if live and not replace:
            raise IdentityError(
                "taken",
                f"{centre_id} already has a box (certificate {live[0].serial}); "
                "issue a replacement code (--replace) to enrol a new box in its place",
            )
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        salt = secrets.token_bytes(16)
        now = _now().timestamp()
        with self._db() as db:
            db.execute(
                "UPDATE codes SET used_at = ? WHERE centre_id = ? AND used_at IS NULL",
                (now, centre_id),
            )
            db.execute(
                "INSERT INTO codes VALUES (?, ?, ?, ?, ?, ?, NULL, 0)",
                (
                    centre_id,
                    salt,
                    _code_hash(code, salt),
                    int(replace),
                    now,
                    now + valid_days * 86400,
                ),
            )
            self._event(db, centre_id, "replacement code issued" if replace else "code issued")
        return code

    def open_codes(self) -> set[str]:
        """Centres with a code issued, not used and not expired (a technician may be
        carrying it)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT DISTINCT centre_id FROM codes WHERE used_at IS NULL AND expires_at > ?",
                (_now().timestamp(),),
            ).fetchall()
        return {str(centre) for (centre,) in rows}

    def enrol(self, centre_id: str, code: str, csr_pem: bytes) -> bytes:
        """The box certificate (PEM) for the key in *csr_pem*, if *code* is *centre_id*'s
        outstanding one-time code. Raises :class:`IdentityError` (after recording the
        refusal and counting a wrong code)."""
        request = self._request(csr_pem)
        with self._db() as db:
            outcome = self._enrol(db, centre_id, normal_code(code), request)
        if isinstance(outcome, IdentityError):
            raise outcome
        cert, replaced = outcome
        if replaced:
            self.write_crl()
        return _pem(cert)

    def _enrol(
        self,
        db: sqlite3.Connection,
        centre_id: str,
        code: str,
        request: x509.CertificateSigningRequest,
    ) -> tuple[x509.Certificate, bool] | IdentityError:
        """One enrolment in one transaction; a refusal is returned, not raised, so that
        what it changed (a try counted, an event) is kept."""
        # One enrolment at a time across processes (the service, the CLI): the code
        # is read and spent in one write transaction.
        db.execute("BEGIN IMMEDIATE")
        now = _now().timestamp()
        row = db.execute(
            "SELECT rowid, salt, hash, replace, expires_at, tries FROM codes "
            "WHERE centre_id = ? AND used_at IS NULL ORDER BY issued_at DESC LIMIT 1",
            (centre_id,),
        ).fetchone()
        live = db.execute(
            "SELECT serial FROM boxes WHERE centre_id = ? AND revoked_at IS NULL AND not_after > ?",
            (centre_id, now),
        ).fetchall()
        taken = IdentityError(
            "taken", f"{centre_id} already has a box; ask city hall for a replacement code"
        )
        if row is None:
            if live:
                self._event(db, centre_id, "a second box tried to enrol; refused")
                return taken
            return IdentityError("code", f"no enrolment code is open for {centre_id}")
        rowid, salt, digest, replace, expires_at, tries = row
        if not hmac.compare_digest(_code_hash(code, salt), digest):
            tries += 1
            spent = tries >= CODE_TRIES
            db.execute(
                "UPDATE codes SET tries = ?, used_at = ? WHERE rowid = ?",
                (tries, now if spent else None, rowid),
            )
            self._event(db, centre_id, f"wrong enrolment code ({tries}/{CODE_TRIES})")
            if spent:
                return IdentityError(
                    "tries", f"too many wrong codes for {centre_id}: ask for a new code"
                )
            return IdentityError("code", f"wrong enrolment code for {centre_id}")
        if expires_at < now:
            db.execute("UPDATE codes SET used_at = ? WHERE rowid = ?", (now, rowid))
            return IdentityError("code", f"the enrolment code for {centre_id} has expired")
        if live and not replace:
            self._event(db, centre_id, "a second box tried to enrol; refused")
            return taken
        spent = db.execute(
            "UPDATE codes SET used_at = ? WHERE rowid = ? AND used_at IS NULL", (now, rowid)
        )
        if spent.rowcount != 1:
            return IdentityError("code", f"the enrolment code for {centre_id} was just used")
        for (serial,) in live:
            db.execute("UPDATE boxes SET revoked_at = ? WHERE serial = ?", (now, serial))
            self._event(db, centre_id, f"box {serial} replaced and revoked")
        cert = self._sign(db, centre_id, request)
        self._event(db, centre_id, f"box {cert.serial_number:x} enrolled")
        return cert, bool(live)

    def renew(self, cert_der: bytes, csr_pem: bytes) -> bytes:
        """A new certificate for the box proven by *cert_der* (still valid, not revoked),
        for the key in *csr_pem*. The old certificate stays valid until it expires."""
        centre_id = self.identify(cert_der)
        if centre_id is None:
            raise IdentityError("revoked", "this certificate is not valid any more")
        request = self._request(csr_pem)
        with self._db() as db:
            cert = self._sign(db, centre_id, request)
            self._event(db, centre_id, f"box certificate renewed as {cert.serial_number:x}")
        return _pem(cert)

    def _request(self, csr_pem: bytes) -> x509.CertificateSigningRequest:
        try:
            request = x509.load_pem_x509_csr(csr_pem)
            valid = request.is_signature_valid
        except ValueError as err:
            raise IdentityError("csr", f"not a certificate request: {err}") from None
        key = request.public_key()
        strong = (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size >= 256) or (
            isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048
        )
        if not valid or not strong:
            raise IdentityError("csr", "the certificate request is not signed by a strong key")
        return request

    def _sign(
        self, db: sqlite3.Connection, centre_id: str, request: x509.CertificateSigningRequest
    ) -> x509.Certificate:
        """Sign the box's key for *centre_id*: the name comes from the code, never from
        the request."""
        now = _now()
        key = request.public_key()
        assert isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, centre_id)]))
            .issuer_name(self._ca.subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=BOX_CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .sign(self._key, hashes.SHA256())
        )
        spki = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        db.execute(
            "INSERT INTO boxes VALUES (?, ?, ?, ?, ?, NULL)",
            (
                f"{cert.serial_number:x}",
                centre_id,
                hashlib.sha256(spki).hexdigest(),
                now.timestamp(),
                cert.not_valid_after_utc.timestamp(),
            ),
        )
        return cert

    # -- who is this, and revocation -------------------------------------------------

    def revoke(self, centre_id: str) -> list[Box]:
        """Revoke every live box of *centre_id*; rewrites the revocation list."""
        live = [box for box in self.boxes() if box.centre_id == centre_id and box.live]
        if not live:
            raise IdentityError("unknown", f"{centre_id} has no enrolled box")
        now = _now().timestamp()
        with self._db() as db:
            for box in live:
                db.execute("UPDATE boxes SET revoked_at = ? WHERE serial = ?", (now, box.serial))
                self._event(db, centre_id, f"box {box.serial} revoked")
        self.write_crl()
        return live

    def events(self, centre_id: str | None = None) -> list[tuple[dt.datetime, str, str]]:
        """What happened (codes, enrolments, refusals, revocations), oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT at, centre_id, what FROM events "
                "WHERE ? IS NULL OR centre_id = ? ORDER BY at",
                (centre_id, centre_id),
            ).fetchall()
        return [(dt.datetime.fromtimestamp(at, dt.UTC), c, what) for at, c, what in rows]

    def write_crl(self) -> Path:
        """Write the revocation list (every revoked box), valid for :data:`CRL_DAYS`."""
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self._ca.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=CRL_DAYS))
        )
        for box in self.boxes():
            if box.revoked_at is not None and box.not_after > now:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(int(box.serial, 16))
                    .revocation_date(box.revoked_at)
                    .build()
                )
        crl = builder.sign(self._key, hashes.SHA256())
        write_atomically(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        return self.crl_path

    def issue_server_cert(
        self, names: Sequence[str], out_dir: Path, days: int = 365
    ) -> tuple[Path, Path]:
        """A server certificate for *names* (host names or IP addresses) signed by the
        fleet CA, for city hall's own services in tests and the demo. A city's public
        servers may use certificates from any CA the boxes trust instead."""
        alt: list[x509.GeneralName] = []
        for name in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        out_dir.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = out_dir / "server.pem", out_dir / "server.key"
        self._issue_leaf(
            names[0],
            ExtendedKeyUsageOID.SERVER_AUTH,
            days,
            cert_path,
            key_path,
            x509.SubjectAlternativeName(alt),
        )
        return cert_path, key_path

    def issue_client_cert(
        self, name: str, cert_path: Path, key_path: Path, days: int = 365
    ) -> None:
        """A client certificate with CN *name* for one of city hall's own tools (the
        fleet broker's ``city-hall.fleet`` login), its key 0600. Not a box: it is not in
        the registry, and whoever could take it from this folder holds the CA's key too."""
        self._issue_leaf(name, ExtendedKeyUsageOID.CLIENT_AUTH, days, cert_path, key_path)

    def _issue_leaf(
        self,
        name: str,
        usage: x509.ObjectIdentifier,
        days: int,
        cert_path: Path,
        key_path: Path,
        alt: x509.SubjectAlternativeName | None = None,
    ) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), False)
        )
        if alt is not None:
            builder = builder.add_extension(alt, critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        _write_key(key_path, key)
        write_atomically(cert_path, _pem(cert) + self.ca_pem)
