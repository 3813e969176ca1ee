"""``kiosk-provision build`` and ``publish``: from fleet + inventory to signed targets."""

import functools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import msgspec

from kiosk_contract.config import KioskConfig, parse_config
from kiosk_contract.targets import config_target
from kiosk_provisioning.broker.alertkey import alert_public_key
from kiosk_provisioning.broker.config import ACL_FILE, rooms_of, write_acl
from kiosk_provisioning.fleet import build_centre, read_fleet
from kiosk_provisioning.identity.directory import identity_folder, write_directory
from kiosk_provisioning.inventory import read_inventory
from kiosk_provisioning.media import published_media
from kiosk_provisioning.problems import Problem, ProvisionError
from kiosk_provisioning.repository import Repository
from kiosk_provisioning.servers import ServerPlan


@dataclass(frozen=True)
class BuildReport:
    centres: int
    changed: list[str]
    removed: list[str]


def build(
    repo: Path, fleet_dir: Path, inventory: Path, servers: ServerPlan | None = None
) -> BuildReport:
    """Write one validated configuration per centre into ``REPO/build/centres``, and
    the call directory and the fleet broker's access list into ``REPO/identity``.

    With *servers* (``--servers``), every town meeting (a room with a floor) of a
    centre whose district an edge serves is met on that edge's gate, then the
    origin's (``Room.servers``, replacing the fleet's); a district the plan names
    that the fleet does not know is a problem.

    All-or-nothing: with any problem, nothing is written and every problem is
    reported (a shared file's once, with the centres it breaks). A tile, timetable
    entry or programme that points at nothing, or a media file ``REPO/media`` does
    not hold, is a problem. A centre's ``revision`` goes up only when its content
    changed.
    """
    fleet = read_fleet(fleet_dir)
    rows = read_inventory(inventory)
    media = published_media(repo)
    # City hall's alert key, made only once a centre has a fleet channel.
    key = functools.cache(lambda: alert_public_key(repo))
    problems: list[Problem] = []
    if servers is not None:
        known = set(fleet.districts) or {row.district for row in rows}
        problems.extend(servers.unknown_districts(known))
    outputs: dict[str, bytes] = {}
    configs: list[KioskConfig] = []
    lines: dict[str, int] = {}
    out_dir = repo / "build" / "centres"
    changed: list[str] = []
    for row in rows:
        previous = _previous(out_dir / f"{row.centre_id}.json")
        try:
            _, config = build_centre(fleet, row, str(inventory), previous, key, media)
        except ProvisionError as err:
            problems.extend(err.problems)
            continue
        if servers is not None:
            config = _meeting_servers(config, servers.room_servers(row.district))
        revision = 1
        if previous is not None:
            same = msgspec.structs.replace(config, revision=previous.revision) == previous
            revision = previous.revision if same else previous.revision + 1
        if previous is None or revision != previous.revision:
            changed.append(row.centre_id)
        config = msgspec.structs.replace(config, revision=revision)
        configs.append(config)
        lines[row.centre_id] = row.line
        outputs[row.centre_id] = msgspec.json.encode(config)
    problems.extend(_call_name_clashes(configs, lines, str(inventory)))
    if problems:
        raise ProvisionError(problems)
    removed = (
        sorted(p.stem for p in out_dir.glob("*.json") if p.stem not in outputs)
        if out_dir.exists()
        else []
    )
    staging = repo / "build" / ".centres.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for centre_id, data in outputs.items():
        (staging / f"{centre_id}.json").write_bytes(data)
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    # Who may use which call name and room, for the call gate (and each room's keys).
    write_directory(identity_folder(repo), configs)
    # Which district's alerts and which rooms' questions each centre reads, for the
    # fleet's broker (a path unit reloads it when this changes).
    districts = {c.centre.id: c.centre.district for c in configs}
    write_acl(identity_folder(repo) / ACL_FILE, districts, rooms_of(configs))
    return BuildReport(len(outputs), changed, removed)


def _meeting_servers(config: KioskConfig, servers: list[str]) -> KioskConfig:
    """*config* with *servers* as each town meeting's (a room with a floor); the same
    *config* when there are none."""
    if not servers or not any(room.floor for room in config.calls.rooms):
        return config
    rooms = [
        msgspec.structs.replace(room, servers=list(servers)) if room.floor else room
        for room in config.calls.rooms
    ]
    calls = msgspec.structs.replace(config.calls, rooms=rooms)
    return msgspec.structs.replace(config, calls=calls)


def _call_name_clashes(
    configs: list[KioskConfig], lines: dict[str, int], source: str
) -> list[Problem]:
    """A centre's call name is its box's alone (the call gate lets only that box use
    it): two centres with one name, or a centre named like a city-hall contact or a
    room's host (it would be shown as city hall, and auto-answered), are refused."""
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    staff = {contact.name for c in configs for contact in c.calls.contacts}
    staff |= {room.host for c in configs for room in c.calls.rooms if room.host}
    for config in configs:
        centre = config.centre.id
        name = config.calls.call_name or centre
        line = lines.get(centre)
        if name in owners:
            message = f"call name {name!r} is also centre {owners[name]}'s"
            problems.append(Problem(source, message, line, "calls.call_name"))
        elif name in staff:
            message = f"call name {name!r} is a city-hall contact's or a room host's"
            problems.append(Problem(source, message, line, "calls.call_name"))
        owners.setdefault(name, centre)
    return problems


def _previous(path: Path) -> KioskConfig | None:
    try:
        return parse_config(path.read_bytes())
    except (OSError, ValueError):
        return None


def publish(repository: Repository) -> bool:
    """Sign and publish the built configurations and the media library."""
    out_dir = repository.path / "build" / "centres"
    if not out_dir.is_dir():
        raise ProvisionError(
            [Problem(str(out_dir), "nothing built yet (run kiosk-provision build)")]
        )
    files = {config_target(p.stem): p.read_bytes() for p in sorted(out_dir.glob("*.json"))}
    files.update(media_targets(repository.path))
    return repository.publish(files)


def media_targets(repo: Path) -> dict[str, bytes]:
    """The media catalogue and every file in it, as target path -> content."""
    catalogue = repo / "media" / "catalogue.json"
    if not catalogue.exists():
        return {}
    entries = json.loads(catalogue.read_text())
    files = {"media/catalogue.json": catalogue.read_bytes()}
    for entry in entries:
        files[f"media/{entry['file']}"] = (repo / "media" / entry["file"]).read_bytes()
    return files
