"""One centre set up as in the field, all on this machine, for the tests and benchmarks
that run a real kiosk against city hall's real services: its configuration built by
``kiosk-provision build`` from the example fleet with a fleet channel (and, if asked, a
singing class with its video in the repository's media), and a box enrolled with its
own key and certificate from the fleet CA, its configuration fetched and checked as
``kiosk sync`` does."""

import json
import shutil
from pathlib import Path
from typing import Any

from kiosk.identity import new_request, store_certificate
from kiosk.paths import Paths, default_assets
from kiosk.sync.enrolment import enrol
from kiosk_provisioning.build import build, publish
from kiosk_provisioning.media import add_media
from kiosk_provisioning.repository import Repository
from tests.calls.identities import CityHallIdentity
from tests.provision.fleets import put_example_media

CENTRE = "namwon-001"
DISTRICT = "운봉읍"
ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE_FLEET = ROOT / "provisioning" / "examples" / "fleet"
SINGING_VIDEO = ROOT / "assets" / "demo" / "media" / "singing-class.mp4"


def singing_class(repo: Path) -> dict[str, Any]:
    """The demo's singing class (30 s, longer than the example's) put into *repo*'s
    media, as a centre's settings: the example's library with it added and the
    example's programmes with 노래교실 playing it."""
    entry = add_media(repo, SINGING_VIDEO, "고향의 봄", "singing", 30.0)
    video = {"file": entry["file"], "sha256": entry["sha256"], "size": entry["length"]}
    example = json.loads((EXAMPLE_FLEET / "fleet.json").read_text())
    spring = {"id": "spring-song", "title": "고향의 봄", "category": "singing", "video": video}
    programmes = [
        {**p, "videos": ["spring-song"]} if p["id"] == "singing" else p
        for p in example["programmes"]
    ]
    return {"library": [*example["library"], spring], "programmes": programmes}


def build_centre(
    repo: Repository,
    folder: Path,
    broker_url: str,
    alert_keys: list[str] | None = None,
    centre: dict[str, Any] | None = None,
) -> None:
    """Build and publish :data:`CENTRE` in *repo* from the example fleet (copied into
    *folder*), its configuration naming *broker_url*; city hall's alert key is put in by
    the build, *alert_keys* are trusted besides; *centre*: the centre's own settings."""
    fleet = folder / "fleet"
    shutil.copytree(EXAMPLE_FLEET, fleet)
    put_example_media(repo.path)  # the example's library and notices name them
    defaults = json.loads((fleet / "fleet.json").read_text())
    defaults["fleet"] = {"broker": broker_url, "alert_keys": alert_keys or []}
    (fleet / "fleet.json").write_text(json.dumps(defaults, ensure_ascii=False))
    if centre:
        own = fleet / "centres" / f"{CENTRE}.json"
        settings = json.loads(own.read_text()) if own.exists() else {}
        own.parent.mkdir(exist_ok=True)
        own.write_text(json.dumps({**settings, **centre}, ensure_ascii=False))
    inventory = folder / "centres.csv"
    inventory.write_text(f"id,이름,읍면동,음량\n{CENTRE},운봉 신기마을 경로당,{DISTRICT},\n")
    build(repo.path, fleet, inventory)
    publish(repo)


def enrolled_box(folder: Path, identity: CityHallIdentity, url: str, root: bytes) -> Paths:
    """A box of :data:`CENTRE` with its own key and certificate, enrolled to *url*."""
    paths = Paths(folder / "etc", folder / "state", default_assets())
    paths.etc.mkdir(parents=True)
    paths.state.mkdir(parents=True)
    authority = identity.authority
    code = authority.issue_code(CENTRE, replace=True)
    certificate = authority.enrol(CENTRE, code, new_request(paths, CENTRE))
    store_certificate(paths, certificate, authority.ca_pem)
    enrol(paths, url, CENTRE, root)
    return paths
