"""``kiosk-provision janus-config``: city hall's Janus set up as the kiosks expect it.

Every room a centre's configuration names (``calls.rooms``) becomes a VideoRoom
room (keyframes asked for every 2 s so pictures come back quickly after an outage,
publishers joining announced); the VideoCall plugin is on; the WebSocket API listens
on 127.0.0.1 by default, for nginx to serve it over TLS (see the site example), and
pings clients that fell silent so a kiosk whose cable was pulled can register its
name again soon after it is back; the admin API (session counts) listens on the
same address. Only those two plugins and two transports are loaded.

With city hall's identity folder (REPO/identity), Janus gets the token secret
only the call gate shares (``janus.secret``) and each room the management secret
the directory keeps for it; without one, both are random: Janus then lets nobody
in, which is the safe way to be wrong.

``janus-configs`` writes one such folder per server of a town meeting spread over
an origin and its edges (the servers file, :mod:`kiosk_provisioning.servers`): the
same rooms and secrets on each, each its own admin key.

Two centres naming one room number with different titles is a problem to fix,
reported like any other fleet problem; nothing is written then.
"""

import secrets
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from kiosk_contract.floor import MAX_SHOWN, MAX_SPEAKERS
from kiosk_provisioning.fleet import build_centre, read_fleet
from kiosk_provisioning.inventory import read_inventory
from kiosk_provisioning.janus_config import JanusSetup, Room, write_config
from kiosk_provisioning.problems import Problem, ProvisionError
from kiosk_provisioning.servers import MeetingServer, ServerPlan

GATE_PORTS = (8989, 8990)
"""City hall's own call gate's ports (``kiosk-call-gate.service``: boxes, staff)."""
MEETING_SENDERS = 4 + MAX_SPEAKERS + 2 * MAX_SHOWN
"""Publishers a town meeting's room takes (Janus counts senders only, never the
watching centres): up to four of city hall's (the host, a second camera), the
centres on air, and twice those the host looks at (다음 12곳: the next dozen start
while the last still stop); the meeting relay's copies from other servers are among
these, since each centre sends on one server only."""


def fleet_rooms(fleet_dir: Path, inventory: Path) -> list[Room]:
    """Every VideoRoom room the fleet's centres use, by number."""
    fleet = read_fleet(fleet_dir)
    problems: list[Problem] = []
    rooms: dict[int, tuple[Room, str]] = {}
    reported: set[int] = set()
    for row in read_inventory(inventory):
        try:
            _, config = build_centre(fleet, row, str(inventory))
        except ProvisionError as err:
            problems.extend(err.problems)
            continue
        for room in config.calls.rooms:
            known = rooms.get(room.number)
            if known is not None and room.floor and known[0].publishers < MEETING_SENDERS:
                rooms[room.number] = (replace(known[0], publishers=MEETING_SENDERS), known[1])
            if known is None:
                senders = MEETING_SENDERS if room.floor else Room.publishers
                rooms[room.number] = (Room(room.number, room.title, senders), row.centre_id)
            elif known[0].description != room.title and room.number not in reported:
                reported.add(room.number)
                message = (
                    f"room {room.number} is {room.title!r} here and "
                    f"{known[0].description!r} for centre {known[1]}"
                )
                problems.append(Problem(str(inventory), message, row.line, "calls.rooms"))
    if problems:
        raise ProvisionError(problems)
    return [room for room, _ in sorted(rooms.values(), key=lambda r: r[0].number)]


def write_janus_config(
    out: Path,
    fleet_dir: Path,
    inventory: Path,
    listen: str,
    public_ip: str,
    identity: Path | None = None,
) -> JanusSetup:
    """Write Janus' configuration for the fleet into *out*; returns what was written.
    *identity*: city hall's identity folder (secrets shared with the call gate)."""
    shared = fleet_setup(fleet_dir, inventory, identity)
    setup = replace(shared, listen=listen, public_ip=public_ip)
    write_config(out, setup)
    return setup


def fleet_setup(fleet_dir: Path, inventory: Path, identity: Path | None = None) -> JanusSetup:
    """What every server of the fleet shares: the rooms, their secrets and the token
    secret (from *identity*, city hall's identity folder; random without it)."""
    rooms = fleet_rooms(fleet_dir, inventory)
    setup = JanusSetup(rooms=tuple(rooms), debug_level=3)
    if identity is not None:
        from kiosk_provisioning.identity.authority import Authority
        from kiosk_provisioning.identity.directory import load_directory

        keys = load_directory(identity).rooms
        setup = replace(
            setup,
            token_secret=Authority.open(identity).janus_secret,
            rooms=tuple(
                replace(room, secret=keys[room.number].secret) if room.number in keys else room
                for room in rooms
            ),
        )
    return setup


def write_janus_configs(
    out: Path,
    fleet_dir: Path,
    inventory: Path,
    plan: ServerPlan,
    identity: Path | None = None,
) -> dict[str, JanusSetup]:
    """One configuration folder per server of *plan*, ``out/<name>``: the same rooms,
    room secrets and token secret on each (one call gate identity works on all, and
    the meeting relay's rooms are the same rooms), each its own ``admin_key``, and
    its ``listen`` (the ``api`` host by default; its port the WebSocket API's),
    ``public_ip`` and ``interfaces``. A district the fleet does not know is refused
    before anything is written. Returns each server's setup by name."""
    known = set(read_fleet(fleet_dir).districts) or {
        row.district for row in read_inventory(inventory)
    }
    problems = plan.unknown_districts(known) + _gate_ports(plan)
    if problems:
        raise ProvisionError(problems)
    shared = fleet_setup(fleet_dir, inventory, identity)
    setups: dict[str, JanusSetup] = {}
    for server in plan.servers:
        api = urlsplit(server.api)
        setups[server.name] = replace(
            shared,
            admin_secret=secrets.token_hex(16),
            listen=server.listen or api.hostname or "",
            ws_port=api.port or shared.ws_port,
            public_ip=server.public_ip,
            interfaces=server.interfaces,
        )
    for name, setup in setups.items():
        write_config(out / name, setup)
    origin = plan.origin
    for server in plan.servers:
        if server is not origin and server.gate:
            (out / server.name / "gate.env").write_text(gate_env(server))
    return setups


def _gate_ports(plan: ServerPlan) -> list[Problem]:
    """Every call gate listens at city hall, beside the identity folder it reads (the
    origin's is ``kiosk-call-gate``, on :data:`GATE_PORTS`; each edge's
    ``kiosk-call-gate@NAME``, unprivileged): an edge's ``gate`` needs a port of its
    own, 1024 or above."""
    origin = plan.origin
    taken = dict.fromkeys(GATE_PORTS, f"{origin.name} (kiosk-call-gate)")
    problems = []
    for index, server in enumerate(plan.servers):
        if server is origin or not server.gate:
            continue
        port = urlsplit(server.gate).port
        if port is None or port < 1024:
            message = (
                f"{server.name}'s call gate runs at city hall unprivileged: "
                "give its address a port of 1024 or more"
            )
        elif port in taken:
            message = f"port {port} is {taken[port]}'s too: every call gate listens at city hall"
        else:
            taken[port] = server.name
            continue
        problems.append(Problem(plan.source, message, field=f"server[{index}].gate"))
    return problems


def gate_env(server: MeetingServer) -> str:
    """``gate.env`` for edge *server*'s call gate (``kiosk-call-gate@NAME``), which runs
    at city hall beside the identity folder: its Janus' API (over the servers' closed
    network) and where it listens for boxes (every address, its ``gate``'s port)."""
    port = urlsplit(server.gate).port
    return (
        f"# kiosk-call-gate@{server.name}.service (kiosk-provision janus-configs)\n"
        f"JANUS={server.api}\n"
        f"LISTEN=0.0.0.0:{port}\n"
    )
