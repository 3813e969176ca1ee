"""A published fleet repository behind a real nginx, and a box enrolled to it."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.paths import Paths
from kiosk.sync.enrolment import Enrolment, enrol
from kiosk_provisioning.build import build, publish
from kiosk_provisioning.repository import Repository
from tests.conftest import ASSETS
from tests.webserver import nginx

EXAMPLES = Path(__file__).resolve().parents[2] / "provisioning" / "examples"


@dataclass
class Fleet:
    """A small fleet repository the test can change and republish."""

    repo: Repository
    fleet_dir: Path
    inventory: Path
    url: str
    server_dir: Path

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


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    repo = Repository(tmp_path / "repo")
    repo.init()
    fleet_dir = tmp_path / "fleet"
    (fleet_dir / "districts").mkdir(parents=True)
    defaults = json.loads((EXAMPLES / "fleet" / "fleet.json").read_text())
    (fleet_dir / "fleet.json").write_text(json.dumps(defaults, ensure_ascii=False))
    for district in ("운봉읍", "향교동"):
        (fleet_dir / "districts" / f"{district}.json").write_text("{}")
    with nginx(repo.public, tmp_path / "nginx") as url:
        made = Fleet(repo, fleet_dir, tmp_path / "centres.csv", url, tmp_path / "nginx")
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
    enrolment = enrol(paths, fleet.url, "namwon-002", (fleet.repo.path / "root.json").read_bytes())
    return paths, enrolment
