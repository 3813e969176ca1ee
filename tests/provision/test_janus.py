"""``kiosk-provision janus-config``: the configuration it writes runs Debian's Janus
(in a private network namespace) with the fleet's rooms, refusing whoever has no
token (only city hall's call gate can mint one) and keeping the rooms private and
out of clients' hands; a fleet naming one room twice with different titles is
refused."""

import asyncio
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.probe import check_janus
from kiosk_demo.daemon import Daemon
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.directory import load_directory
from kiosk_provisioning.identity.tokens import janus_token
from kiosk_provisioning.janus import write_janus_config
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


def setting(folder: Path, name: str, file: str = "janus.jcfg") -> str:
    """A string setting of the written configuration."""
    found = re.search(rf'{name} = "([^"]*)"', (folder / file).read_text())
    assert found is not None, f"no {name} in {file}"
    return found.group(1)


def server_info(url: str) -> dict[str, object]:
    """Janus' answer to ``info`` (no session needed)."""
    with connect(url, subprotocols=[Subprotocol("janus-protocol")], open_timeout=5) as line:
        line.send(json.dumps({"janus": "info", "transaction": "test"}))
        info: dict[str, object] = json.loads(line.recv(timeout=5))
        return info


async def rooms(url: str, token: str, admin_key: str = "") -> list[dict[str, object]]:
    """The rooms a client with *token* is shown (all of them with city hall's *admin_key*)."""
    session = await JanusSession.open(url, token=token)
    try:
        handle = await session.attach("janus.plugin.videoroom")
        body = {"request": "list", **({"admin_key": admin_key} if admin_key else {})}
        reply = await handle.send(body)
        return list(reply.data["list"])
    finally:
        await session.close()


async def refused_without_token(url: str) -> JanusError:
    """What Janus answers a client with no token (a local process, a proxy that
    forgot to check): its session is refused, so nothing else can follow."""
    with pytest.raises(JanusError) as refused:
        await JanusSession.open(url)
    return refused.value


async def destroy_refused(url: str, token: str) -> JanusError:
    """Even with a valid token, a client cannot destroy a room: it has no secret."""
    session = await JanusSession.open(url, token=token)
    try:
        handle = await session.attach("janus.plugin.videoroom")
        with pytest.raises(JanusError) as refused:
            await handle.send({"request": "destroy", "room": 1001})
        return refused.value
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
        token = janus_token(setting(folder, "token_auth_secret"), 60)
        admin_key = setting(folder, "admin_key", "janus.plugin.videoroom.jcfg")
        with FleetJanus(network, folder):
            url = f"ws://{network.server_address}:8188/"
            found = check_janus(url)
            assert found["reachable"] and found["missing_plugins"] == []
            refused = asyncio.run(refused_without_token(url))
            shown = asyncio.run(rooms(url, token))
            listed = asyncio.run(rooms(url, token, admin_key))
            kept = asyncio.run(destroy_refused(url, token))
            still = asyncio.run(rooms(url, token, admin_key))
            loops = server_info(url)["static-event-loops"]
    assert refused.code == 403, refused
    assert shown == [], "the rooms are private: not listed to clients"
    assert [(room["room"], room["description"]) for room in listed] == [(1001, "마을 회의")]
    assert listed[0]["fir_freq"] == 2
    assert kept.code in (429, 433), kept  # missing or wrong secret
    assert [room["room"] for room in still] == [1001], "the room is still there"
    assert loops == os.cpu_count(), (
        "media sent from one loop per core, not a thread per handle (bench/meeting_shapes.py)"
    )


def test_with_city_halls_identity_janus_shares_the_gates_secrets(tmp_path: Path) -> None:
    """Janus' token secret is the one the call gate mints with, and each room's
    secret is the directory's (kept across builds), not a new random one."""
    identity = tmp_path / "repo" / "identity"
    authority = Authority.open(identity)
    (identity / "directory.json").write_text(
        json.dumps({"centres": {}, "rooms": {"1001": {"secret": "s3cr3t"}}})
    )
    fleet = fleet_with_rooms(tmp_path)
    out = tmp_path / "janus"
    write_janus_config(out, fleet, EXAMPLES / "centres.csv", "127.0.0.1", "", identity=identity)
    assert setting(out, "token_auth_secret") == authority.janus_secret
    room = setting(out, "secret", "janus.plugin.videoroom.jcfg")
    assert room == load_directory(identity).rooms[1001].secret == "s3cr3t"
    rooms_file = (out / "janus.plugin.videoroom.jcfg").read_text()
    for line in ("is_private = true", "signed_tokens = true", "lock_record = true"):
        assert line in rooms_file
    assert "token_auth = true" in (out / "janus.jcfg").read_text()


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
