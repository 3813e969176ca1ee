"""The example city (``provisioning/examples/``) as a newcomer meets it: the README's
commands, run as written from the top of the clone, build and publish every centre,
and each tile of the built configuration points at something real; the committed files
are what ``generate.py`` writes."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk_contract.config import KioskConfig, parse_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "provisioning" / "examples"
TOOLS = Path(sys.executable).parent
"""Where ``kiosk-provision`` is (the virtualenv's ``bin``)."""


def readme_commands(repo: Path) -> list[str]:
    """The shell lines of the README's example-city block, with *repo* for /tmp/namwon."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- example-city:[^>]*-->\n```sh\n(.*?)```", readme, re.S)
    assert block, "the README's example-city block is gone"
    return [line.replace("/tmp/namwon", str(repo)) for line in block.group(1).splitlines()]


def test_the_readme_builds_and_publishes_the_example_city(tmp_path: Path) -> None:
    repo = tmp_path / "namwon"
    fleet_json = (EXAMPLES / "fleet" / "fleet.json").read_bytes()
    env = {**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}"}
    commands = readme_commands(repo)
    assert [c.split()[:2] for c in commands] == [
        ["kiosk-provision", "init"],
        ["provisioning/examples/add-media", str(repo)],
        ["kiosk-provision", "build"],
        ["kiosk-provision", "publish"],
        ["kiosk-provision", "verify"],
    ]
    for command in commands:
        done = subprocess.run(
            command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert done.stdout.startswith("ok: root v1, 504 targets"), "496 centres, catalogue, 7 files"
    assert (EXAMPLES / "fleet" / "fleet.json").read_bytes() == fleet_json, "add-media changed it"

    config = parse_config((repo / "build" / "centres" / "namwon-001.json").read_bytes())
    published = {p.name.split(".", 1)[1] for p in (repo / "public" / "targets" / "media").iterdir()}
    every_tile_points_at_something_real(config, published)
    hall = config.calls.contact(config.tiles[2].target)
    assert hall is not None and hall.name == "cityhall-welfare-policy"
    assert hall.label == "남원시청 복지정책과"
    assert config.calls.auto_answer.after_s == 10, "the pilot centre's own file"
    assert [n.id for n in config.notices] == ["health-check", "phone-scam", "wildfire"]
    assert config.fleet is not None and config.fleet.alert_keys, "city hall's alert key put in"
    town = parse_config((repo / "build" / "centres" / "namwon-020.json").read_bytes())
    assert [n.id for n in town.notices] == ["health-check", "phone-scam"], "금동: no wildfire"


def every_tile_points_at_something_real(config: KioskConfig, published: set[str]) -> None:
    """Each tile opens what it names, every video of what a tile or the timetable plays
    is in the library and published (*published*: the media files' names), with its
    lyrics; each notice's media too."""
    for tile in config.tiles:
        if tile.action in ("programme", "live"):
            programme = config.programme(tile.target)
            assert programme is not None, tile.id
            for video_id in [*programme.videos, *filter(None, [programme.fallback])]:
                video = config.video(video_id)
                assert video is not None and video.video.file in published, video_id
                if video.subtitles:
                    assert video.subtitles.file in published
        elif tile.action == "call":
            assert config.calls.server and config.calls.contact(tile.target), tile.id
        elif tile.action == "group":
            assert config.calls.server and config.calls.room(tile.target), tile.id
        else:
            assert tile.target == "notices", tile.id
    for slot in config.schedule:
        assert config.programme(slot.programme) is not None
    for notice in config.notices:
        for media in (notice.picture, notice.voice):
            assert media is None or media.file in published
    singing = config.video("arirang")
    assert singing is not None and singing.subtitles is not None, "the singing class has lyrics"
    assert {t.action for t in config.tiles} == {"programme", "call", "group", "live", "info"}


def test_the_committed_example_is_what_generate_writes(tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    shutil.rmtree(copy / "fleet")
    (copy / "centres.csv").unlink()
    subprocess.run([sys.executable, copy / "generate.py"], check=True, timeout=120)
    written = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*") if p.is_file())
    assert written == committed
    for name in written:
        assert (copy / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
