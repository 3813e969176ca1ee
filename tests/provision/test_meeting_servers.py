"""Town meetings over an origin and regional edges: the servers file (the relay's)
says each server's call gate and districts; ``build --servers`` gives a served
district's centres their edge then the origin for every room with a floor, and
``janus-configs`` writes every server's Janus with the same rooms and secrets."""

import json
from pathlib import Path

import pytest

from kiosk_contract.floor import MAX_SHOWN, MAX_SPEAKERS
from kiosk_provisioning.cascade import read_servers
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.directory import load_directory
from kiosk_provisioning.problems import ProvisionError
from kiosk_provisioning.servers import read_server_plan
from tests.provision.fleets import EXAMPLES
from tests.provision.test_cli import tool

ORIGIN_GATE = "wss://calls.namwon.example:8989/"
NORTH_GATE = "wss://north.calls.namwon.example:8991/"
SOUTH_GATE = "wss://south.calls.namwon.example:8992/"
CENTRES = {"unbong-1": "운봉읍", "unbong-2": "운봉읍", "inwol-1": "인월면", "geum-1": "금동"}


def servers_file(folder: Path, *, janus: Path | None = None, north: str = '"운봉읍"') -> Path:
    """Origin (serving no district), an edge for 운봉읍 (*north*), one for 인월면; with
    *janus*, each table points the relay at its folder there."""

    def config(name: str) -> str:
        if janus is None:
            return 'admin_key = "k"'
        return f'janus_config = "{janus / name}"'

    path = folder / "servers.toml"
    path.write_text(
        f"""
[[server]]
name = "origin"
api = "ws://10.0.0.1:8188/"
gate = "{ORIGIN_GATE}"
{config("origin")}

[[server]]
name = "north"
api = "ws://10.0.1.1:8190/"
gate = "{NORTH_GATE}"
districts = [{north}]
public_ip = "203.0.113.7"
interfaces = ["eth1"]
{config("north")}

[[server]]
name = "south"
api = "ws://10.0.2.1:8188/"
listen = "10.0.2.9"
gate = "{SOUTH_GATE}"
districts = ["인월면"]
{config("south")}
"""
    )
    return path


def fleet(folder: Path) -> tuple[Path, Path]:
    """A fleet with a town meeting (1001, with a floor) and a class (1002, without)
    for CENTRES; returns the fleet folder and the inventory."""
    fleet_dir = folder / "fleet"
    (fleet_dir / "districts").mkdir(parents=True)
    document = json.loads((EXAMPLES / "fleet" / "fleet.json").read_text())
    for media in ("library", "programmes", "schedule", "notices"):
        document.pop(media, None)
    document["tiles"] = [t for t in document["tiles"] if t["action"] in ("call", "group")]
    document["calls"]["rooms"] = [
        {"id": "meeting", "number": 1001, "title": "마을 회의", "floor": True},
        {"id": "class", "number": 1002, "title": "건강 교실"},
    ]
    (fleet_dir / "fleet.json").write_text(json.dumps(document, ensure_ascii=False))
    for district in set(CENTRES.values()):
        (fleet_dir / "districts" / f"{district}.json").write_text("{}")
    inventory = folder / "centres.csv"
    rows = "".join(f"{c},{c} 경로당,{d}\n" for c, d in CENTRES.items())
    inventory.write_text("id,name,district\n" + rows)
    return fleet_dir, inventory


def room_servers(repo: Path, centre: str) -> dict[str, list[str]]:
    built = json.loads((repo / "build" / "centres" / f"{centre}.json").read_text())
    return {room["id"]: room["servers"] for room in built["calls"]["rooms"]}


def test_build_meets_a_served_districts_town_meetings_on_its_edge_then_the_origin(
    tmp_path: Path,
) -> None:
    fleet_dir, inventory = fleet(tmp_path)
    repo = tmp_path / "repo"
    built = tool(
        "build", repo, "--fleet", fleet_dir, "--inventory", inventory,
        "--servers", servers_file(tmp_path),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert room_servers(repo, "unbong-1") == {"meeting": [NORTH_GATE, ORIGIN_GATE], "class": []}
    assert room_servers(repo, "unbong-2") == {"meeting": [NORTH_GATE, ORIGIN_GATE], "class": []}
    assert room_servers(repo, "inwol-1") == {"meeting": [SOUTH_GATE, ORIGIN_GATE], "class": []}
    assert room_servers(repo, "geum-1") == {"meeting": [], "class": []}, (
        "a district no edge serves meets on calls.server"
    )
    without = tool("build", repo, "--fleet", fleet_dir, "--inventory", inventory)
    assert without.returncode == 0, without.stderr
    assert "3 changed" in without.stdout, "the servers are the build's, not kept from before"
    assert room_servers(repo, "unbong-1")["meeting"] == []


def test_the_origin_is_the_server_serving_no_district_wherever_it_is_listed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "servers.toml"
    path.write_text(
        f"""
[[server]]
name = "north"
api = "ws://10.0.1.1:8188/"
gate = "{NORTH_GATE}"
districts = ["운봉읍"]

[[server]]
name = "origin"
api = "ws://10.0.0.1:8188/"
gate = "{ORIGIN_GATE}"
"""
    )
    plan = read_server_plan(path)
    assert plan.origin.name == "origin"
    assert plan.room_servers("운봉읍") == [NORTH_GATE, ORIGIN_GATE]
    assert plan.room_servers("금동") == []


@pytest.mark.parametrize(
    ("north", "message"),
    [
        ('"운봉읍", "없는면"', "server[1].districts: unknown district '없는면'"),
        ('"운봉읍", "인월면"', "server[2].districts: '인월면' is served twice (north and south)"),
    ],
)
def test_a_bad_servers_file_is_refused_and_nothing_is_written(
    tmp_path: Path, north: str, message: str
) -> None:
    fleet_dir, inventory = fleet(tmp_path)
    repo = tmp_path / "repo"
    servers = servers_file(tmp_path, north=north)
    refused = tool(
        "build", repo, "--fleet", fleet_dir, "--inventory", inventory, "--servers", servers
    )
    assert refused.returncode == 1
    assert f"{servers}: {message}" in refused.stderr, refused.stderr
    assert "1 problem(s); nothing was changed" in refused.stderr
    assert not (repo / "build").exists() and not (repo / "identity").exists()
    out = tmp_path / "janus"
    configs = tool(
        "janus-configs", "--servers", servers, "--out", out,
        "--fleet", fleet_dir, "--inventory", inventory,
    )  # fmt: skip
    assert configs.returncode == 1 and message in configs.stderr, configs.stderr
    assert not out.exists()


def test_an_edge_serving_districts_needs_its_gate_and_the_origin_its_own(
    tmp_path: Path,
) -> None:
    path = tmp_path / "servers.toml"
    path.write_text(
        """
[[server]]
name = "origin"
api = "ws://10.0.0.1:8188/"

[[server]]
name = "north"
api = "ws://10.0.1.1:8188/"
gate = "https://north.example/"
districts = ["운봉읍"]
"""
    )
    with pytest.raises(ProvisionError) as refused:
        read_server_plan(path)
    assert "server[1].gate: not a wss:// address boxes can use: 'https://north.example/'" in str(
        refused.value
    )
    path.write_text(path.read_text().replace("https://", "wss://"))
    with pytest.raises(ProvisionError) as refused:
        read_server_plan(path)
    assert "server[0].gate: origin serves centres (the origin)" in str(refused.value)


def test_janus_configs_share_rooms_and_secrets_with_an_admin_key_each(tmp_path: Path) -> None:
    fleet_dir, inventory = fleet(tmp_path)
    repo = tmp_path / "repo"
    assert tool("build", repo, "--fleet", fleet_dir, "--inventory", inventory).returncode == 0
    out = tmp_path / "janus"
    servers = servers_file(tmp_path, janus=out)
    written = tool(
        "janus-configs", "--servers", servers, "--out", out,
        "--fleet", fleet_dir, "--inventory", inventory, "--repo", repo,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert f"{out / 'origin'}: Janus configuration written (origin); rooms: 1001, 1002" in (
        written.stdout
    )
    assert sorted(p.name for p in out.iterdir()) == ["north", "origin", "south"]

    def setting(name: str, key: str, file: str = "janus.jcfg") -> list[str]:
        text = (out / name / file).read_text()
        return [
            line.split("=", 1)[1].strip().strip('"')
            for line in text.splitlines()
            if line.strip().startswith(f"{key} =")
        ]

    names = ("origin", "north", "south")
    identity = repo / "identity"
    gates = Authority.open(identity).janus_secret
    assert {name: setting(name, "token_auth_secret") for name in names} == {
        name: [gates] for name in names
    }, "one call gate identity opens every server"
    rooms = load_directory(identity).rooms
    expected = [rooms[1001].secret, rooms[1002].secret]
    for name in names:
        assert setting(name, "secret", "janus.plugin.videoroom.jcfg") == expected
        # The town meeting takes its hosts, speakers and the audience the host looks at.
        senders = setting(name, "publishers", "janus.plugin.videoroom.jcfg")
        assert senders == [str(4 + MAX_SPEAKERS + 2 * MAX_SHOWN), "12"]
    keys = {name: setting(name, "admin_key", "janus.plugin.videoroom.jcfg")[0] for name in names}
    assert len(set(keys.values())) == 3, "each server its own admin key"
    assert setting("origin", "ws_ip", "janus.transport.websockets.jcfg") == ["10.0.0.1"]
    assert setting("north", "ws_port", "janus.transport.websockets.jcfg") == ["8190"]
    assert setting("north", "nat_1_1_mapping") == ["203.0.113.7"]
    assert setting("north", "ice_enforce_list") == ["eth1"]
    assert setting("origin", "nat_1_1_mapping") == []
    assert setting("south", "ws_ip", "janus.transport.websockets.jcfg") == ["10.0.2.9"]

    # Each edge's call gate, which runs at city hall (kiosk-call-gate@NAME): its
    # Janus over the closed network, its own port; the origin's is kiosk-call-gate.
    assert (out / "north" / "gate.env").read_text().splitlines()[1:] == [
        "JANUS=ws://10.0.1.1:8190/",
        "LISTEN=0.0.0.0:8991",
    ]
    assert "LISTEN=0.0.0.0:8992" in (out / "south" / "gate.env").read_text()
    assert not (out / "origin" / "gate.env").exists()

    relayed = read_servers(servers)
    assert [(s.name, s.admin_key) for s in relayed] == list(keys.items()), (
        "the relay reads the extended file and each folder's key"
    )


@pytest.mark.parametrize(
    ("north_gate", "why"),
    [
        ("wss://north.calls.namwon.example/", "north's call gate runs at city hall unprivileged"),
        ("wss://north.calls.namwon.example:8990/", "port 8990 is origin (kiosk-call-gate)'s too"),
        ("wss://north.calls.namwon.example:8992/", "port 8992 is north's too"),
    ],
)
def test_every_call_gate_listens_at_city_hall_on_a_port_of_its_own(
    tmp_path: Path, north_gate: str, why: str
) -> None:
    fleet_dir, inventory = fleet(tmp_path)
    servers = servers_file(tmp_path)
    servers.write_text(servers.read_text().replace(NORTH_GATE, north_gate))
    out = tmp_path / "janus"
    written = tool(
        "janus-configs", "--servers", servers, "--out", out,
        "--fleet", fleet_dir, "--inventory", inventory,
    )  # fmt: skip
    assert written.returncode == 1 and why in written.stderr, written.stderr
    assert not out.exists()
