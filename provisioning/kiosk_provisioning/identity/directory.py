"""Who may use which call name and room: written by ``kiosk-provision build``, read by
the call gate.

``directory.json`` in the authority's folder: each centre's call name and rooms
(from its built configuration), and each room's management secret, made once and
kept (Janus' room is configured with it; no client ever gets it, so none can
destroy, edit or kick). Joining a room takes a signed token naming it, which the
call gate mints for each join it lets through (Janus' ``signed_tokens``). A room
with a floor (``floor: true`` in a centre's configuration: a town meeting) is marked,
and ``floors/<room>.json`` beside the directory holds who has the floor now (written
by the console as it signs each floor, :func:`write_floor`): the gate lets a centre's
box send into such a room only while that floor names it.
"""

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from kiosk_contract.config import KioskConfig
from kiosk_contract.files import write_atomically
from kiosk_contract.floor import Floor

FILE = "directory.json"
FLOORS = "floors"


def identity_folder(repo: Path) -> Path:
    """Where a repository's authority, registry and directory live."""
    return repo / "identity"


@dataclass(frozen=True)
class CentreEntry:
    call_name: str
    rooms: tuple[int, ...]


@dataclass(frozen=True)
class RoomKeys:
    secret: str
    floor: bool = False
    """A town meeting: a centre sends only while given the floor."""


@dataclass(frozen=True)
class Directory:
    centres: dict[str, CentreEntry]
    rooms: dict[int, RoomKeys]

    def centre_of_name(self, call_name: str) -> str | None:
        return next((c for c, e in self.centres.items() if e.call_name == call_name), None)


def load_directory(folder: Path) -> Directory:
    """The directory in *folder* (empty if none was written yet)."""
    try:
        data = json.loads((folder / FILE).read_text())
    except FileNotFoundError:
        return Directory({}, {})
    centres = {
        str(cid): CentreEntry(str(e["call_name"]), tuple(int(r) for r in e["rooms"]))
        for cid, e in data.get("centres", {}).items()
    }
    rooms = {
        int(n): RoomKeys(str(k["secret"]), bool(k.get("floor", False)))
        for n, k in data.get("rooms", {}).items()
    }
    return Directory(centres, rooms)


def write_directory(folder: Path, configs: Iterable[KioskConfig]) -> Directory:
    """Write the directory for the centres' *configs*, keeping rooms' keys."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    previous = load_directory(folder)
    centres: dict[str, CentreEntry] = {}
    floors: set[int] = set()
    for config in configs:
        numbers = tuple(sorted({room.number for room in config.calls.rooms}))
        centres[config.centre.id] = CentreEntry(config.calls.call_name or config.centre.id, numbers)
        # One centre's configuration saying floor is enough: the room is a town meeting.
        floors |= {room.number for room in config.calls.rooms if room.floor}
    in_use = dict.fromkeys(n for entry in centres.values() for n in entry.rooms)
    rooms = {
        n: RoomKeys(
            kept.secret if (kept := previous.rooms.get(n)) else secrets.token_hex(16), n in floors
        )
        for n in in_use
    }
    document = {
        "centres": {
            cid: {"call_name": e.call_name, "rooms": list(e.rooms)} for cid, e in centres.items()
        },
        "rooms": {str(n): {"secret": k.secret, "floor": k.floor} for n, k in rooms.items()},
    }
    write_atomically(folder / FILE, json.dumps(document, indent=1).encode(), mode=0o600)
    return Directory(centres, rooms)


def write_floor(folder: Path, floor: Floor) -> None:
    """*floor* as the room's floor now (the gate reads it at the next publish and at its
    next check of each connection)."""
    floors = folder / FLOORS
    floors.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(floors / f"{int(floor.room)}.json", msgspec.json.encode(floor), mode=0o600)


def read_floor(folder: Path, room: int) -> Floor | None:
    """The floor of *room* last written (``None``: none, or unreadable)."""
    try:
        return msgspec.json.decode((folder / FLOORS / f"{int(room)}.json").read_bytes(), type=Floor)
    except (FileNotFoundError, msgspec.DecodeError, ValueError):
        return None
