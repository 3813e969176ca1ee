"""City hall's identities for the call tests and benchmarks: a fleet CA and
directory in the test's folder, boxes enrolled with their own keys (as ``kiosk
enroll`` does), and staff passes, all made by the real authority
(kiosk_provisioning.identity); and :class:`CallServer`, Janus behind the call gate
as boxes and staff reach it."""

import json
import secrets
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.calls.janus import JanusSession
from kiosk.calls.line import OpenSession, identified
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.server import GateServer, JanusServer
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.tokens import issue_staff_pass
from kiosk_provisioning.janus_config import JanusSetup, Room

STAFF_NAMES = ("cityhall-welfare", "cityhall-mayor", "cityhall-host")
"""The names city hall's staff use in the tests (contacts and the room's host)."""


@dataclass(frozen=True)
class BoxFiles:
    """What an enrolled box keeps (STATE/identity/)."""

    key: Path
    cert: Path
    ca: Path

    def context(self) -> ssl.SSLContext:
        """The box's TLS: city hall checked against the fleet CA, its own certificate shown."""
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(self.cert, self.key)
        return context


class CityHallIdentity:
    """The authority in *repo*/identity, with a directory naming each of *centres*
    (centre id -> its rooms; its call name is its id) and marking *floors* town
    meetings (a centre sends into one only while the floor names it)."""

    def __init__(
        self, repo: Path, centres: Mapping[str, tuple[int, ...]], floors: Collection[int] = ()
    ) -> None:
        self.repo = repo
        self.folder = repo / "identity"
        self.authority = Authority.open(self.folder)
        self.room_secrets = {n: secrets.token_hex(16) for r in centres.values() for n in r}
        document = {
            "centres": {c: {"call_name": c, "rooms": list(r)} for c, r in centres.items()},
            "rooms": {
                str(n): {"secret": s, "floor": n in floors} for n, s in self.room_secrets.items()
            },
        }
        (self.folder / "directory.json").write_text(json.dumps(document))

    def janus_setup(self, rooms: dict[int, str], **changes: object) -> JanusSetup:
        """Janus' setup sharing the gate's token secret, with *rooms* (number -> title)."""
        kept = tuple(
            Room(n, title, secret=self.room_secrets.get(n, secrets.token_hex(16)))
            for n, title in rooms.items()
        )
        return JanusSetup(rooms=kept, token_secret=self.authority.janus_secret, **changes)  # type: ignore[arg-type]

    def enrol(self, centre_id: str, folder: Path) -> BoxFiles:
        """A box for *centre_id*: its key made here, its certificate issued for a
        one-time code, as at a technician's enrolment."""
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, centre_id)]))
            .sign(key, hashes.SHA256())
        )
        code = self.authority.issue_code(centre_id, replace=True)
        cert = self.authority.enrol(centre_id, code, csr.public_bytes(serialization.Encoding.PEM))
        files = BoxFiles(folder / "key.pem", folder / "cert.pem", folder / "ca.pem")
        files.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        files.key.chmod(0o600)
        files.cert.write_bytes(cert)
        files.ca.write_bytes(self.authority.ca_pem)
        return files

    def staff_pass(
        self,
        names: tuple[str, ...] = STAFF_NAMES,
        rooms: tuple[int, ...] = (),
        host: bool = False,
        ttl_s: int = 3600,
    ) -> str:
        return issue_staff_pass(self.authority.token_key, "staff-kim", names, rooms, host, ttl_s)

    def server_check(self) -> ssl.SSLContext:
        """TLS for a client without a certificate (staff): the gate checked, nothing shown."""
        return ssl.create_default_context(cafile=self.authority.ca_path)


@dataclass(frozen=True)
class StaffDoor:
    """The gate as a staff browser reaches it: :attr:`url`, and :attr:`cert`, the
    gate's certificate the browser is told to trust."""

    url: str
    cert: Path


class CallServer:
    """City hall's call server as boxes and staff reach it: the gate (:attr:`url`)
    in front of Janus (:attr:`janus`, restarted or killed by tests), in *network*,
    its files in *folder*. City hall knows *centres* (centre id -> its rooms), Janus
    has *rooms* (number -> title, the *floors* among them town meetings) and
    *changes* to its setup (ports, ...); the box of *centre* is enrolled
    (:attr:`box`)."""

    def __init__(
        self,
        network: PrivateNetwork,
        folder: Path,
        centres: Mapping[str, tuple[int, ...]],
        rooms: dict[int, str],
        centre: str,
        *,
        floors: Collection[int] = (),
        **changes: object,
    ) -> None:
        self.identity = CityHallIdentity(folder / "repo", centres, floors)
        setup = self.identity.janus_setup(rooms, interfaces=(network.inner,), **changes)
        self.janus = JanusServer(network, folder / "janus", setup)
        self.gate = GateServer(
            network, self.janus, self.identity.repo, folder / "gate", staff_port=8990
        )
        self.box = self.identity.enrol(centre, folder / "box")
        """The box of *centre* (STATE/identity)."""

    @property
    def url(self) -> str:
        return self.gate.url

    @property
    def staff_door(self) -> "StaffDoor":
        """Where staff browsers reach the gate (TLS asking for no client certificate)."""
        assert self.gate.cert_path is not None
        return StaffDoor(self.gate.staff_url, self.gate.cert_path)

    @property
    def setup(self) -> JanusSetup:
        return self.janus.setup

    @property
    def admin_url(self) -> str:
        return self.janus.admin_url

    def start(self) -> None:
        self.janus.start()

    def stop(self) -> None:
        self.janus.stop()

    def kill(self) -> None:
        self.janus.kill()

    def box_session(self, box: BoxFiles | None = None) -> OpenSession:
        """Sessions opened as the box *box* (:attr:`box` by default) opens them."""
        return identified((box or self.box).context)

    def staff_session(self, names: tuple[str, ...] | None = None, **rights: Any) -> OpenSession:
        """Sessions opened by staff with a pass for *names* (every staff name) and
        *rights* (``rooms``, ``host``)."""
        token = self.identity.staff_pass(names or STAFF_NAMES, **rights)
        return partial(JanusSession.open, tls=self.identity.server_check(), token=token)

    def __enter__(self) -> "CallServer":
        self.janus.start()
        try:
            self.gate.start()
        except BaseException:
            self.gate.stop()
            self.janus.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.stop()
        self.janus.stop()
