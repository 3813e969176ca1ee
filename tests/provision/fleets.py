"""Small built fleets for the fleet channel's tests."""

import json
from pathlib import Path

from kiosk_provisioning.build import build
from kiosk_provisioning.media import add_media

EXAMPLES = Path(__file__).resolve().parents[2] / "provisioning" / "examples"


def put_example_media(repo: Path) -> None:
    """The example city's media in *repo*, as ``add-media`` puts them (without filling
    the fleet file), for tests that build a copy of the example."""
    for file in sorted((EXAMPLES / "media").iterdir()):
        if file.suffix:  # not the make script
            add_media(repo, file, file.stem, "other", 0.0)


def make_fleet(tmp_path: Path, centres: dict[str, str], fleet: dict[str, object]) -> Path:
    """A built repository with *centres* (id -> district) and *fleet* merged into
    the example's fleet.json (without its programmes; a ``None`` removes a section);
    returns the repository."""
    folder = tmp_path / "fleet"
    (folder / "districts").mkdir(parents=True)
    document = json.loads((EXAMPLES / "fleet" / "fleet.json").read_text())
    # The example city's programmes need its media in the repository; these fleets
    # are about the fleet channel, so they keep the tiles that need no media.
    for media in ("library", "programmes", "schedule", "notices"):
        document.pop(media, None)
    document["tiles"] = [t for t in document["tiles"] if t["action"] in ("call", "group", "info")]
    merged = {key: value for key, value in {**document, **fleet}.items() if value is not None}
    (folder / "fleet.json").write_text(json.dumps(merged, ensure_ascii=False))
    for district in set(centres.values()):
        (folder / "districts" / f"{district}.json").write_text("{}")
    inventory = tmp_path / "centres.csv"
    rows = "".join(f"{c},{c} 경로당,{d}\n" for c, d in centres.items())
    inventory.write_text("id,name,district\n" + rows)
    repo = tmp_path / "repo"
    build(repo, folder, inventory)
    return repo
