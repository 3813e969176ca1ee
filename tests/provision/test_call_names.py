"""A centre's call name is its box's alone: the build refuses names that clash."""

from pathlib import Path

import pytest

from kiosk_provisioning.build import build
from kiosk_provisioning.problems import ProvisionError
from tests.provision.test_fleet import fleet_dir as fleet_dir
from tests.provision.test_fleet import inventory, write

CALLS = {
    "server": "wss://calls.namwon.example:8989/",
    "contacts": [{"id": "city-hall", "name": "cityhall-welfare", "label": "복지과"}],
    "rooms": [{"id": "meeting", "number": 1001, "title": "마을 회의", "host": "cityhall-host"}],
}


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("c-1", "also centre c-1's"),
        ("cityhall-welfare", "a city-hall contact's"),
        ("cityhall-host", "a room host's"),
    ],
)
def test_a_call_name_that_clashes_is_refused(
    fleet_dir: Path,
    tmp_path: Path,
    name: str,
    why: str,
) -> None:
    write(fleet_dir / "fleet.json", {**_defaults(fleet_dir), "calls": CALLS})
    write(fleet_dir / "centres" / "c-2.json", {"calls": {"call_name": name}})
    with pytest.raises(ProvisionError) as refused:
        build(tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,\n"))
    assert why in str(refused.value) and "calls.call_name" in str(refused.value)
    write(fleet_dir / "centres" / "c-2.json", {"calls": {"call_name": "c-2-hall"}})
    assert build(
        tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,\n")
    )


def _defaults(fleet_dir: Path) -> dict[str, object]:
    import json

    loaded: dict[str, object] = json.loads((fleet_dir / "fleet.json").read_text())
    return loaded
