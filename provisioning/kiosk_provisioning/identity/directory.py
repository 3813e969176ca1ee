"""Who may use which call name and room: written by ``kiosk-provision build``, read by
the call gate.

``directory.json`` in the authority's folder: each centre's call name and rooms
(from its built configuration), and each room's management secret, made once and
kept (Janus' room is configured with it; no client ever gets it, so none can
destroy, edit or kick). Joining a room takes a signed token naming it, which the
call gate mints for each join it lets through (Janus' ``signed_tokens``).
"""

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk_contract.config import KioskConfig
from kiosk_contract.files import write_atomically

FILE = "directory.json"


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
    rooms = {int(n): RoomKeys(str(k["secret"])) for n, k in data.get("rooms", {}).items()}
    return Directory(centres, rooms)


def write_directory(folder: Path, configs: Iterable[KioskConfig]) -> Directory:
    """Write the directory for the centres' *configs*, keeping rooms' keys."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    previous = load_directory(folder)
    centres: dict[str, CentreEntry] = {}
    rooms: dict[int, RoomKeys] = {}
    for config in configs:
        numbers = tuple(sorted({room.number for room in config.calls.rooms}))
        centres[config.centre.id] = CentreEntry(config.calls.call_name or config.centre.id, numbers)
        for number in numbers:
            rooms[number] = previous.rooms.get(number) or RoomKeys(secrets.token_hex(16))
    document = {
        "centres": {
            cid: {"call_name": e.call_name, "rooms": list(e.rooms)} for cid, e in centres.items()
        },
        "rooms": {str(n): {"secret": k.secret} for n, k in rooms.items()},
    }
    write_atomically(folder / FILE, json.dumps(document, indent=1).encode(), mode=0o600)
    return Directory(centres, rooms)
