"""City hall's directory for the call gate: rooms, their secrets and which are town
meetings with a floor; and the floor file the console writes for the gate."""

import time
from pathlib import Path

import msgspec

from kiosk_contract.config import KioskConfig
from kiosk_contract.config.calls import Room
from kiosk_contract.config.fleet import FleetChannel
from kiosk_contract.floor import Floor
from kiosk_provisioning.identity.directory import (
    load_directory,
    read_floor,
    write_directory,
    write_floor,
)


def _with_rooms(config: KioskConfig, centre: str, *rooms: Room) -> KioskConfig:
    """*config* for *centre* in *rooms* (with a fleet channel: a floor needs one)."""
    calls = msgspec.structs.replace(config.calls, rooms=list(rooms))
    return msgspec.structs.replace(
        config,
        centre=msgspec.structs.replace(config.centre, id=centre),
        calls=calls,
        fleet=FleetChannel(broker="mqtts://broker.cityhall.example"),
    )


def test_a_room_any_centre_calls_a_town_meeting_is_marked_and_secrets_are_kept(
    demo_config: KioskConfig, tmp_path: Path
) -> None:
    meeting = Room(id="town-meeting", number=1001, title="마을 회의")
    song = Room(id="song", number=2001, title="노래 교실")
    configs = [
        _with_rooms(demo_config, "c-1", msgspec.structs.replace(meeting, floor=True), song),
        _with_rooms(demo_config, "c-2", meeting),
    ]
    first = write_directory(tmp_path, configs)
    assert first.rooms[1001].floor and not first.rooms[2001].floor
    assert load_directory(tmp_path) == first
    # Built again without the floor: the room is a plain one, its secret the same.
    again = write_directory(tmp_path, [_with_rooms(demo_config, "c-2", meeting, song)])
    assert not again.rooms[1001].floor
    assert again.rooms[1001].secret == first.rooms[1001].secret


def test_the_floor_file_is_read_back_and_a_broken_one_counts_as_none(tmp_path: Path) -> None:
    assert read_floor(tmp_path, 1001) is None
    now = int(time.time())
    floor = Floor(room=1001, seq=3, speakers=["c-1"], issued_at=now, expires_at=now + 60)
    write_floor(tmp_path, floor)
    assert read_floor(tmp_path, 1001) == floor
    assert read_floor(tmp_path, 1002) is None
    (tmp_path / "floors" / "1001.json").write_text('{"room": 1001, "seq"')
    assert read_floor(tmp_path, 1001) is None
