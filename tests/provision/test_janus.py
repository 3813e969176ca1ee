"""``kiosk-provision janus-config``: the configuration it writes runs Debian's Janus
(in a private network namespace) with the fleet's rooms, and a fleet naming one
room twice with different titles is refused."""

import asyncio
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from kiosk.calls.janus import JanusSession
from kiosk.calls.probe import check_janus
from kiosk_demo.daemon import Daemon
from kiosk_demo.network import PrivateNetwork
from tests.provision.test_cli import EXAMPLES, tool


class FleetJanus(Daemon):
    """Janus run on the folder ``kiosk-provision janus-config`` wrote."""

    name = "janus"

    def __init__(self, network: PrivateNetwork, folder: Path) -> None:
        super().__init__(network)
        self.folder = folder

    def start(self) -> None:
        config = self.folder / "janus.jcfg"
        log = self.folder / "janus.log"
        self.launch(
            ["janus", "-F", str(self.folder), "-C", str(config), "-N", "-L", str(log)], 8188
        )


async def rooms(url: str) -> list[dict[str, object]]:
    session = await JanusSession.open(url)
    try:
        handle = await session.attach("janus.plugin.videoroom")
        reply = await handle.send({"request": "list"})
        return list(reply.data["list"])
    finally:
        await session.close()


def fleet_with_rooms(folder: Path, overrides: Mapping[str, object] | None = None) -> Path:
    """The example fleet with calls to a city hall (an address no test reaches) and
    a town meeting room; *overrides* for the first centre."""
    fleet = folder / "fleet"
    document = json.loads((EXAMPLES / "fleet" / "fleet.json").read_text())
    document["calls"] = {
        "server": "wss://calls.namwon.example/janus",
        "contacts": [{"id": "city-hall", "name": "cityhall-welfare", "label": "남원시청 복지과"}],
        "rooms": [{"id": "meeting", "number": 1001, "title": "마을 회의"}],
    }
    (fleet / "districts").mkdir(parents=True)
    (fleet / "fleet.json").write_text(json.dumps(document, ensure_ascii=False))
    for district in (EXAMPLES / "fleet" / "districts").glob("*.json"):
        (fleet / "districts" / district.name).write_text(district.read_text())
    (fleet / "centres").mkdir()
    if overrides is not None:
        first = (EXAMPLES / "centres.csv").read_text().splitlines()[1].split(",")[0]
        (fleet / "centres" / f"{first}.json").write_text(json.dumps(overrides, ensure_ascii=False))
    return fleet


def test_the_fleets_janus_runs_with_the_fleets_rooms(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test runs Janus in a network namespace: run the tests as root")
    folder = tmp_path / "janus"
    fleet = fleet_with_rooms(tmp_path)
    with PrivateNetwork(0) as network:
        written = tool(
            "janus-config", folder, "--fleet", fleet,
            "--inventory", EXAMPLES / "centres.csv", "--listen", network.server_address,
        )  # fmt: skip
        assert written.returncode == 0, written.stderr
        assert "rooms: 1001 (마을 회의)" in written.stdout
        assert (folder / "janus.jcfg").stat().st_mode & 0o007 == 0, "the admin secret is private"
        with FleetJanus(network, folder):
            url = f"ws://{network.server_address}:8188/"
            found = check_janus(url)
            assert found["reachable"] and found["missing_plugins"] == []
            listed = asyncio.run(rooms(url))
    assert [(room["room"], room["description"]) for room in listed] == [(1001, "마을 회의")]
    assert listed[0]["fir_freq"] == 2


def test_one_room_number_with_two_titles_is_refused(tmp_path: Path) -> None:
    other = {"calls": {"rooms": [{"id": "meeting", "number": 1001, "title": "노래 교실"}]}}
    fleet = fleet_with_rooms(tmp_path, other)
    refused = tool(
        "janus-config", tmp_path / "janus", "--fleet", fleet,
        "--inventory", EXAMPLES / "centres.csv",
    )  # fmt: skip
    assert refused.returncode == 1
    assert "room 1001 is '마을 회의' here and '노래 교실' for centre" in refused.stderr
    assert "1 problem(s)" in refused.stderr, "each clash is reported once"
    assert not (tmp_path / "janus").exists(), "nothing is written"
