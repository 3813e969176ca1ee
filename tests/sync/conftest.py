"""A published fleet repository behind a real nginx as shipped (mutual TLS against the
fleet CA, per-centre settings), and a box enrolled to it with its own certificate."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.identity import new_request, store_certificate
from kiosk.paths import Paths
from kiosk.sync.enrolment import Enrolment, enrol
from kiosk_provisioning.build import build, publish
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.repository import Repository
from tests.conftest import ASSETS
from tests.provision.fleets import put_example_media
from tests.webserver import MutualTls, nginx

EXAMPLES = Path(__file__).resolve().parents[2] / "provisioning" / "examples"
CITY_HALL_TILES = ("call", "group", "live")
"""The example's tiles that reach a server at city hall (left out of this fleet)."""


@dataclass
class Fleet:
    """A small fleet repository the test can change and republish."""

    repo: Repository
    fleet_dir: Path
    inventory: Path
    url: str
    server_dir: Path
    authority: Authority
    """City hall's fleet CA and registry (``REPO/identity``)."""
    tls: MutualTls

    def write_inventory(self, rows: list[str]) -> None:
        self.inventory.write_text("id,이름,읍면동,음량\n" + "\n".join(rows) + "\n")

    def set_default(self, section: str, key: str, value: object) -> None:
        path = self.fleet_dir / "fleet.json"
        doc = json.loads(path.read_text())
        doc.setdefault(section, {})[key] = value
        path.write_text(json.dumps(doc, ensure_ascii=False))

    def publish(self) -> None:
        build(self.repo.path, self.fleet_dir, self.inventory)
        publish(self.repo)

    @property
    def root(self) -> bytes:
        """The trust root a new box is shipped with."""
        return (self.repo.path / "root.json").read_bytes()

    def certify(self, paths: Paths, centre_id: str) -> None:
        """Give the box at *paths* its certificate for *centre_id* straight from the
        authority (a one-time code spent at once), as the identity service would."""
        code = self.authority.issue_code(centre_id, replace=True)
        certificate = self.authority.enrol(centre_id, code, new_request(paths, centre_id))
        store_certificate(paths, certificate, self.authority.ca_pem)

    def enrol(self, paths: Paths, centre_id: str) -> Enrolment:
        """A box certified for *centre_id* and enrolled to this fleet (not yet synced)."""
        self.certify(paths, centre_id)
        return enrol(paths, self.url, centre_id, self.root)


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    repo = Repository(tmp_path / "repo")
    repo.init()
    put_example_media(repo.path)  # the example's library and notices name them
    authority = Authority.open(repo.path / "identity")
    cert, key = authority.issue_server_cert(["127.0.0.1"], tmp_path / "server-tls")
    tls = MutualTls(cert, key, authority.ca_path, authority.crl_path)
    # Boxes trust city hall's servers through the system's trust store; here, the
    # fleet CA that signed them (this process and every kiosk it starts).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(authority.ca_path))
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_path))
    fleet_dir = tmp_path / "fleet"
    (fleet_dir / "districts").mkdir(parents=True)
    defaults = json.loads((EXAMPLES / "fleet" / "fleet.json").read_text())
    # No broker and no call server here (kiosk doctor would ask them); the broadcast
    # tile is the one tests add to a centre.
    defaults.pop("fleet")
    defaults.pop("calls")
    defaults["tiles"] = [t for t in defaults["tiles"] if t["action"] not in CITY_HALL_TILES]
    (fleet_dir / "fleet.json").write_text(json.dumps(defaults, ensure_ascii=False))
    for district in ("운봉읍", "향교동"):
        (fleet_dir / "districts" / f"{district}.json").write_text("{}")
    with nginx(repo.public, tmp_path / "nginx", mtls=tls) as url:
        made = Fleet(
            repo, fleet_dir, tmp_path / "centres.csv", url, tmp_path / "nginx", authority, tls
        )
        made.write_inventory(
            ["namwon-001,운봉 신기마을 경로당,운봉읍,", "namwon-002,향교 상촌마을 경로당,향교동,90"]
        )
        made.publish()
        yield made


def make_box(tmp_path: Path, name: str) -> Paths:
    (tmp_path / name / "etc").mkdir(parents=True)
    (tmp_path / name / "state").mkdir()
    return Paths(tmp_path / name / "etc", tmp_path / name / "state", ASSETS)


@pytest.fixture
def box(tmp_path: Path, fleet: Fleet) -> tuple[Paths, Enrolment]:
    """A box enrolled as namwon-002 (not yet synced)."""
    paths = make_box(tmp_path, "box")
    return paths, fleet.enrol(paths, "namwon-002")


@pytest.fixture
def identity_service(fleet: Fleet) -> Iterator[str]:
    """City hall's identity service (enrolment with a code, renewal) for *fleet*: its URL."""
    from kiosk_provisioning.identity.service import start

    service = start(fleet.authority.folder, fleet.tls.cert, fleet.tls.key)
    try:
        yield service.url
    finally:
        service.close()
