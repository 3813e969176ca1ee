"""Fleet defaults + district + centre overrides: merged, validated, errors traced."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk_contract.config import parse_config
from kiosk_contract.pin import hash_pin, verify_pin
from kiosk_provisioning import references
from kiosk_provisioning.build import build, publish
from kiosk_provisioning.fleet import Fleet, Layer, build_centre, read_fleet
from kiosk_provisioning.inventory import hash_pins, parse_inventory
from kiosk_provisioning.problems import ProvisionError
from kiosk_provisioning.repository import Repository
from kiosk_provisioning.verify import verify
from tests.provision.fleets import EXAMPLES, put_example_media


def write(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False))


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    """The example city's defaults, two districts and a centre's file; the example's
    media in ``tmp_path/repo`` (where the tests build)."""
    put_example_media(tmp_path / "repo")
    folder = tmp_path / "fleet"
    write(folder / "fleet.json", json.loads((EXAMPLES / "fleet" / "fleet.json").read_text()))
    write(folder / "districts" / "운봉읍.json", {"voice": {"volume": 100}})
    write(folder / "districts" / "금동.json", {"display": {"show_english": True}})
    write(folder / "centres" / "c-2.json", {"idle": {"return_home_after_s": 300}})
    return folder


def inventory(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "centres.csv"
    path.write_text("id,name,district,volume\n" + text)
    return path


def test_layers_merge_in_order(fleet_dir: Path, tmp_path: Path) -> None:
    fleet = read_fleet(fleet_dir)
    rows = parse_inventory(
        "id,name,district,volume\nc-1,가,운봉읍,\nc-2,나,금동,70\n".encode(), "i.csv"
    )
    _, first = build_centre(fleet, rows[0], "i.csv")
    _, second = build_centre(fleet, rows[1], "i.csv")
    assert first.voice.volume == 100, "district over fleet"
    assert first.display.show_english is False
    assert second.display.show_english is True
    assert second.idle.return_home_after_s == 300, "centre file over district"
    assert second.voice.volume == 70, "inventory last"
    assert second.centre.name == "나" and second.centre.district == "금동"
    assert [t.id for t in second.tiles] == [
        "singing",
        "exercise",
        "city-hall",
        "meeting",
        "broadcast",
        "notices",
    ]


def test_errors_name_the_file_that_set_the_field(fleet_dir: Path, tmp_path: Path) -> None:
    write(fleet_dir / "districts" / "금동.json", {"voice": {"volume": 150}})
    with pytest.raises(ProvisionError) as caught:
        build(tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,\n"))
    assert [str(p) for p in caught.value.problems] == [
        "fleet/districts/금동.json: voice.volume: Expected `int` <= 100 (centre c-2)"
    ]


def test_errors_from_the_inventory_name_line_and_column(fleet_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ProvisionError) as caught:
        build(
            tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\nc-3,다,금동,120\n")
        )
    path = tmp_path / "centres.csv"
    assert [str(p) for p in caught.value.problems] == [
        f"{path} line 3: volume: Expected `int` <= 100"
    ]


def test_unknown_district_is_refused_with_the_known_ones(fleet_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ProvisionError) as caught:
        build(tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-1,가,운 봉읍,\n"))
    assert "unknown district '운 봉읍' (known: 금동, 운봉읍)" in str(caught.value)


def test_broken_fleet_files_are_all_reported(fleet_dir: Path) -> None:
    (fleet_dir / "districts" / "금동.json").write_text("{ not json")
    (fleet_dir / "centres" / "c-2.json").write_text("[1, 2]")
    with pytest.raises(ProvisionError) as caught:
        read_fleet(fleet_dir)
    messages = [str(p) for p in caught.value.problems]
    assert messages[0].startswith("fleet/districts/금동.json: not valid JSON")
    assert messages[1] == "fleet/centres/c-2.json: must hold a JSON object"


def test_revision_rises_only_when_a_centre_changes(fleet_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    csv = inventory(tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,\n")
    assert build(repo, fleet_dir, csv).changed == ["c-1", "c-2"]
    assert build(repo, fleet_dir, csv).changed == []
    write(fleet_dir / "districts" / "금동.json", {"voice": {"volume": 60}})
    report = build(repo, fleet_dir, csv)
    assert report.changed == ["c-2"]
    built = parse_config((repo / "build" / "centres" / "c-2.json").read_bytes())
    assert built.revision == 2 and built.voice.volume == 60


def test_a_failed_build_writes_nothing(fleet_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build(repo, fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\n"))
    before = (repo / "build" / "centres" / "c-1.json").read_bytes()
    with pytest.raises(ProvisionError):
        build(repo, fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,999\n"))
    assert (repo / "build" / "centres" / "c-1.json").read_bytes() == before
    assert not (repo / "build" / "centres" / "c-2.json").exists()


def test_the_example_fleet_builds_publishes_and_verifies(tmp_path: Path) -> None:
    repo = Repository(tmp_path / "repo")
    repo.init()
    put_example_media(repo.path)
    report = build(repo.path, EXAMPLES / "fleet", EXAMPLES / "centres.csv")
    assert report.centres == 496
    assert publish(repo)
    # Every centre, the catalogue and the example's seven media files.
    assert verify(repo).startswith("ok: root v1, 504 targets")
    assert not publish(repo), "publishing the same again changes no target"


_SECTIONS = ["tiles", "programmes", "schedule", "library", "calls", "notices"]
"""What tiles, timetable entries and programmes name, and where they name it."""
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(["display", "voice", "idle", "tiles", "keys", "centre", "x", *_SECTIONS]),
        _json,
    )
)
def test_any_district_override_gives_a_config_or_a_provision_error(
    fleet_dir: Path, override: dict[str, Any]
) -> None:
    fleet = read_fleet(fleet_dir)
    fleet = Fleet(fleet.defaults, {"금동": Layer("districts/금동.json", override)}, {})
    row = parse_inventory("id,name,district\nc-1,가,금동\n".encode(), "i.csv")[0]
    try:
        _, config = build_centre(fleet, row, "i.csv")
    except ProvisionError as err:
        assert err.problems and all(str(p) for p in err.problems)
    else:
        assert config.centre.id == "c-1"


def test_an_override_for_one_centre_never_leaks_into_the_next(fleet_dir: Path) -> None:
    fleet = read_fleet(fleet_dir)
    rows = parse_inventory("id,name,district\nc-1,가,운봉읍\nc-3,다,금동\n".encode(), "i.csv")
    _, mountain = build_centre(fleet, rows[0], "i.csv")
    _, town = build_centre(fleet, rows[1], "i.csv")
    assert mountain.voice.volume == 100
    assert town.voice.volume == 85, "the fleet default, untouched by 운봉읍's override"


def test_pins_are_published_only_as_salted_hashes(fleet_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    csv = tmp_path / "centres.csv"
    csv.write_text("id,name,district,비밀번호\nc-1,가,운봉읍,482916\nc-2,나,금동,\n")
    build(repo, fleet_dir, csv)
    built = (repo / "build" / "centres" / "c-1.json").read_bytes()
    assert b"482916" not in built
    config = parse_config(built)
    assert config.leader.pin_hash is not None and verify_pin("482916", config.leader.pin_hash)
    assert (
        parse_config((repo / "build" / "centres" / "c-2.json").read_bytes()).leader.pin_hash is None
    )
    assert build(repo, fleet_dir, csv).changed == [], "same PIN: same hash, no new revision"
    csv.write_text("id,name,district,비밀번호\nc-1,가,운봉읍,111111\nc-2,나,금동,\n")
    assert build(repo, fleet_dir, csv).changed == ["c-1"]


def test_technician_pins_are_published_only_as_hashes_and_kept(
    fleet_dir: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    csv = tmp_path / "centres.csv"
    csv.write_text("id,name,district,기술자PIN\nc-1,가,운봉읍,48291673\nc-2,나,금동,55550000\n")
    build(repo, fleet_dir, csv)
    built = (repo / "build" / "centres" / "c-1.json").read_bytes()
    assert b"48291673" not in built
    technician = parse_config(built).technician
    assert technician.pin_hash is not None and verify_pin("48291673", technician.pin_hash)
    assert build(repo, fleet_dir, csv).changed == [], "same PIN: same hash, no new revision"
    csv.write_text("id,name,district,기술자PIN\nc-1,가,운봉읍,48291673\nc-2,나,금동,66660000\n")
    assert build(repo, fleet_dir, csv).changed == ["c-2"]


def test_a_pin_in_a_file_centres_share_is_refused(fleet_dir: Path, tmp_path: Path) -> None:
    shared = hash_pin("482916")
    write(fleet_dir / "districts" / "금동.json", {"leader": {"pin_hash": "1234"}})
    defaults = json.loads((fleet_dir / "fleet.json").read_text())
    write(fleet_dir / "fleet.json", {**defaults, "technician": {"pin_hash": shared}})
    with pytest.raises(ProvisionError) as caught:
        build(tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-2,나,금동,\n"))
    per_centre = "PINs are per centre: put them in the inventory"
    assert [str(p) for p in caught.value.problems] == [
        f"fleet/fleet.json: technician.pin_hash: {per_centre}",
        f"fleet/districts/금동.json: leader.pin_hash: {per_centre}",
    ]
    assert not (tmp_path / "repo" / "build").exists()


def test_no_pin_in_shared_files_is_no_problem(fleet_dir: Path) -> None:
    write(fleet_dir / "districts" / "금동.json", {"leader": {"pin_hash": None}})
    assert read_fleet(fleet_dir).districts["금동"].values == {"leader": {"pin_hash": None}}


def test_each_centre_gets_its_own_technician_pin(fleet_dir: Path) -> None:
    fleet = read_fleet(fleet_dir)
    csv = "id,name,district,비밀번호,기술자 PIN\nc-1,가,운봉읍,1111,2222\nc-2,나,금동,3333,4444\n"
    rows = parse_inventory(csv.encode(), "i.csv")
    hashed = hash_pins(rows[0], None)
    assert "2222" not in json.dumps(hashed.settings)
    assert hashed.columns["technician.pin_hash"] == "technician_pin", "errors name the column"
    first = build_centre(fleet, rows[0], "i.csv")[1]
    second = build_centre(fleet, rows[1], "i.csv")[1]
    assert first.technician.pin_hash and second.technician.pin_hash
    assert verify_pin("2222", first.technician.pin_hash)
    assert not verify_pin("4444", first.technician.pin_hash), "one centre's PIN opens no other"
    assert verify_pin("4444", second.technician.pin_hash)
    assert first.leader.pin_hash and verify_pin("1111", first.leader.pin_hash)
    again = build_centre(fleet, rows[0], "i.csv", first)[1]
    assert again.technician == first.technician, "an unchanged PIN keeps its hash"
    assert again.leader == first.leader
    changed = parse_inventory("id,name,district,기술자pin\nc-1,가,운봉읍,5555\n".encode(), "i.csv")[
        0
    ]
    renewed = build_centre(fleet, changed, "i.csv", first)[1]
    assert renewed.technician.pin_hash and verify_pin("5555", renewed.technician.pin_hash)


def test_a_bad_pin_in_the_inventory_names_line_and_column(fleet_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "centres.csv"
    csv.write_text("id,name,district,pin\nc-1,가,운봉읍,12ab\n")
    with pytest.raises(ProvisionError) as caught:
        build(tmp_path / "repo", fleet_dir, csv)
    assert str(caught.value) == f"{csv} line 2: pin: a PIN is 4 to 8 digits"


def dangling(fleet_dir: Path, tmp_path: Path, rows: str = "c-1,가,운봉읍,\n") -> list[str]:
    """The problems of a build that must be refused, having written nothing."""
    repo = tmp_path / "repo"
    with pytest.raises(ProvisionError) as caught:
        build(repo, fleet_dir, inventory(tmp_path, rows))
    assert not (repo / "build").exists()
    return [str(p) for p in caught.value.problems]


def change_defaults(fleet_dir: Path, change: Any) -> None:
    """Apply *change* to the copy of the example's fleet.json."""
    defaults = json.loads((fleet_dir / "fleet.json").read_text())
    change(defaults)
    write(fleet_dir / "fleet.json", defaults)


def test_the_example_defaults_build_as_they_are(fleet_dir: Path, tmp_path: Path) -> None:
    """The baseline of the refusals below: nothing dangles in the example."""
    assert build(tmp_path / "repo", fleet_dir, inventory(tmp_path, "c-1,가,운봉읍,\n")).centres == 1


@pytest.mark.parametrize(
    ("tile", "target", "message"),
    [
        (
            0,
            "karaoke",
            "tile 'singing' (노래교실) plays programme 'karaoke', which is not in programmes",
        ),
        (
            4,
            "news",
            "tile 'broadcast' (시청 방송) plays programme 'news', which is not in programmes",
        ),
        (
            2,
            "mayor",
            "tile 'city-hall' (시청과 화상통화) calls 'mayor', which is not in calls.contacts",
        ),
        (3, "class", "tile 'meeting' (마을 회의) joins room 'class', which is not in calls.rooms"),
        (
            5,
            "weather",
            "tile 'notices' (오늘의 안내) opens page 'weather'; the only page is 'notices'",
        ),
    ],
)
def test_a_tile_pointing_at_nothing_is_refused_naming_file_and_tile(
    fleet_dir: Path, tmp_path: Path, tile: int, target: str, message: str
) -> None:
    change_defaults(fleet_dir, lambda d: d["tiles"][tile].update(target=target))
    problems = dangling(fleet_dir, tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,\n")
    assert problems == [f"fleet/fleet.json: tiles[{tile}]: {message} (centres c-1 and 1 more)"]


def test_a_centre_whose_tile_points_at_nothing_is_named(fleet_dir: Path, tmp_path: Path) -> None:
    tiles = json.loads((fleet_dir / "fleet.json").read_text())["tiles"]
    tiles[1]["target"] = "yoga"
    write(fleet_dir / "centres" / "c-2.json", {"tiles": tiles})
    problems = dangling(fleet_dir, tmp_path, "c-1,가,운봉읍,\nc-2,나,금동,\n")
    assert problems == [
        "fleet/centres/c-2.json: tiles[1]: tile 'exercise' (건강체조) plays programme 'yoga', "
        "which is not in programmes (centre c-2)"
    ]


def test_call_and_meeting_tiles_without_a_call_server_are_refused(
    fleet_dir: Path, tmp_path: Path
) -> None:
    change_defaults(fleet_dir, lambda d: d["calls"].pop("server"))
    assert dangling(fleet_dir, tmp_path) == [
        "fleet/fleet.json: tiles[2]: tile 'city-hall' (시청과 화상통화) needs calls.server, "
        "which is not set (centre c-1)",
        "fleet/fleet.json: tiles[3]: tile 'meeting' (마을 회의) needs calls.server, "
        "which is not set (centre c-1)",
    ]


def test_a_programme_playing_a_video_not_in_the_library_is_refused(
    fleet_dir: Path, tmp_path: Path
) -> None:
    def change(defaults: dict[str, Any]) -> None:
        defaults["programmes"][1]["videos"] = ["exercise-1", "exercise-3"]
        defaults["programmes"][2]["fallback"] = "yesterday"

    change_defaults(fleet_dir, change)
    assert dangling(fleet_dir, tmp_path) == [
        "fleet/fleet.json: programmes[1]: programme 'exercise' plays video 'exercise-3', "
        "which is not in the library (centre c-1)",
        "fleet/fleet.json: programmes[2]: programme 'city-hall-live' plays video 'yesterday', "
        "which is not in the library (centre c-1)",
    ]


def test_a_timetable_entry_starting_an_unknown_programme_is_refused(
    fleet_dir: Path, tmp_path: Path
) -> None:
    schedule = [{"programme": "tai-chi", "days": ["mon", "wed"], "start": "09:30"}]
    write(fleet_dir / "districts" / "운봉읍.json", {"schedule": schedule})
    assert dangling(fleet_dir, tmp_path) == [
        "fleet/districts/운봉읍.json: schedule[0]: timetable entry 1 (mon,wed 09:30) starts "
        "programme 'tai-chi', which is not in programmes (centre c-1)"
    ]


def test_library_media_the_repository_does_not_hold_are_refused(
    fleet_dir: Path, tmp_path: Path
) -> None:
    shutil.rmtree(tmp_path / "repo")
    problems = dangling(fleet_dir, tmp_path)
    library = json.loads((fleet_dir / "fleet.json").read_text())["library"]
    arirang = library[0]["video"]["file"]
    assert len(problems) == 7, "4 videos, the lyrics, a notice's picture and recording"
    assert problems[0] == (
        f"fleet/fleet.json: library[0].video: library entry 'arirang': its video {arirang} "
        "is not in the repository's media (add it with kiosk-provision media add) (centre c-1)"
    )
    assert problems[1].startswith("fleet/fleet.json: library[0].subtitles: library entry ")
    assert problems[5].startswith("fleet/fleet.json: notices[0].picture: notice 'health-check'")
    assert problems[6].startswith("fleet/fleet.json: notices[0].voice: notice 'health-check'")


def test_a_library_entry_with_another_hash_or_size_is_refused(
    fleet_dir: Path, tmp_path: Path
) -> None:
    def change(defaults: dict[str, Any]) -> None:
        defaults["library"][1]["video"]["size"] += 1
        defaults["library"][2]["video"]["sha256"] = "0" * 64

    change_defaults(fleet_dir, change)
    problems = dangling(fleet_dir, tmp_path)
    assert [p.split(": its")[0] for p in problems] == [
        "fleet/fleet.json: library[1].video: library entry 'exercise-1'",
        "fleet/fleet.json: library[2].video: library entry 'exercise-2'",
    ]
    assert all("is not the repository's file (sha256 or size differ" in p for p in problems)


def test_a_district_notice_whose_picture_is_not_published_names_the_district(
    fleet_dir: Path, tmp_path: Path
) -> None:
    named = {"file": f"{'a' * 64}.png", "sha256": "a" * 64, "size": 108}
    notice = {
        "id": "bus",
        "title": "버스 시간 변경",
        "text": "군내버스 시간이 바뀝니다.",
        "valid_from": "2025-01-01",
        "valid_to": "2099-12-31",
        "picture": named,
    }
    write(fleet_dir / "districts" / "금동.json", {"notices": [notice]})
    problems = dangling(fleet_dir, tmp_path, "c-2,나,금동,\n")
    assert problems == [
        f"fleet/districts/금동.json: notices[2].picture: notice 'bus': its picture {named['file']} "
        "is not in the repository's media (add it with kiosk-provision media add) (centre c-2)"
    ]


_KEYS = ["id", "action", "target", "videos", "fallback", "programme", "video", "picture", "file"]
_VALUES = _json | st.sampled_from(["programme", "call", "live", "info", "notices", "singing"])


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(_SECTIONS),
        st.lists(st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=4), max_size=3) | _json,
    )
)
def test_references_of_any_shape_are_named_never_a_crash(document: dict[str, Any]) -> None:
    """The check runs before the schema: whatever shape a file has, it names what it
    finds (the schema refuses the rest) and never fails itself."""
    for found in references.dangling(document, {}):
        assert found.field.split("[")[0] in _SECTIONS and found.message
