"""The technician's whole flow with ``kiosk-provision``, as commands."""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk_provisioning.repository import Repository
from tests.provision.fleets import put_example_media

TOOL = Path(sys.executable).parent / "kiosk-provision"
EXAMPLES = Path(__file__).resolve().parents[2] / "provisioning" / "examples"


def tool(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TOOL, *map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )


def test_from_an_empty_directory_to_a_verified_fleet(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert tool("init", repo).returncode == 0
    assert (repo / "root.json").exists() and (repo / "offline" / "root.pem").exists()
    assert (repo / "keys" / "targets.pem").stat().st_mode & 0o077 == 0, "keys are private"
    again = tool("init", repo)
    assert again.returncode == 1 and "already a fleet repository" in again.stderr

    built = tool(
        "build", repo, "--fleet", EXAMPLES / "fleet", "--inventory", EXAMPLES / "centres.csv"
    )
    assert built.returncode == 1, "the example's media are not in the repository yet"
    assert built.stderr.endswith("7 problem(s); nothing was changed\n")
    assert not (repo / "build").exists()
    env = {**os.environ, "PATH": f"{TOOL.parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([EXAMPLES / "add-media", repo], env=env, check=True, capture_output=True)
    built = tool(
        "build", repo, "--fleet", EXAMPLES / "fleet", "--inventory", EXAMPLES / "centres.csv"
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("496 centres built, 496 changed, 0 removed")

    clip = tmp_path / "arirang.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(1000))
    added = tool(
        "media", "add", repo, clip, "--title", "아리랑", "--category", "singing", "--duration", 185
    )
    assert added.returncode == 0, added.stderr
    assert tool("publish", repo).returncode == 0
    verified = tool("verify", repo)
    assert verified.returncode == 0, verified.stderr
    # 496 centres, the catalogue, the example's 7 files and the clip
    assert verified.stdout.startswith("ok: root v1, 505 targets")
    catalogue = json.loads((repo / "media" / "catalogue.json").read_text())
    assert catalogue[-1]["title"] == "아리랑" and catalogue[-1]["duration_s"] == 185

    assert tool("refresh", repo).returncode == 0
    assert tool("rotate-key", repo, "snapshot").returncode == 0
    assert tool("verify", repo).stdout.startswith("ok: root v2")


def test_a_bad_inventory_lists_every_problem_and_changes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    tool("init", repo)
    csv = tmp_path / "centres.csv"
    csv.write_text(
        "id,이름,읍면동,음량\nnamwon-001,가,운봉읍,300\nnamwon-001,나,금동,\nnamwon-003,다,없는동,\n"
    )
    result = tool("build", repo, "--fleet", EXAMPLES / "fleet", "--inventory", csv)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{csv} line 3: id: centre 'namwon-001' is already on line 2",
        "1 problem(s); nothing was changed",
    ]
    assert not (repo / "build").exists()


def test_verify_finds_a_tampered_target(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    tool("init", repo)
    put_example_media(repo)
    tool("build", repo, "--fleet", EXAMPLES / "fleet", "--inventory", EXAMPLES / "centres.csv")
    tool("publish", repo)
    victim = next((repo / "public" / "targets" / "centres" / "namwon-007").glob("*.config.json"))
    victim.write_bytes(victim.read_bytes().replace(b"namwon-007", b"namwon-008"))
    result = tool("verify", repo)
    assert result.returncode == 1
    assert result.stderr.startswith("centres/namwon-007/config.json: target refused")


def test_refresh_renews_what_is_about_to_expire(tmp_path: Path) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    repo = Repository(tmp_path / "repo", now=start)
    repo.init()
    repo.publish({"centres/c-1/config.json": b"{}"})
    targets = repo.load("targets").signed.version
    Repository(repo.path, now=start + dt.timedelta(days=1)).refresh()
    assert repo.load("targets").signed.version == targets, "far from expiry: only the timestamp"
    assert repo.load("timestamp").signed.expires == start + dt.timedelta(days=3)
    Repository(repo.path, now=start + dt.timedelta(days=80)).refresh()
    assert repo.load("targets").signed.version == targets + 1
    assert repo.load("targets").signed.expires == start + dt.timedelta(days=170)


def test_a_tile_pointing_at_nothing_fails_the_build_and_keeps_the_last_one(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    tool("init", repo)
    put_example_media(repo)
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES / "fleet", fleet)
    csv = tmp_path / "centres.csv"
    csv.write_text("id,이름,읍면동\nnamwon-001,운봉 신기마을 경로당,운봉읍\n")
    assert tool("build", repo, "--fleet", fleet, "--inventory", csv).returncode == 0
    assert tool("publish", repo).returncode == 0
    built = (repo / "build" / "centres" / "namwon-001.json").read_bytes()
    signed = sorted((repo / "public" / "targets" / "centres").rglob("*"))

    defaults = json.loads((fleet / "fleet.json").read_text())
    defaults["tiles"][0]["target"] = "karaoke"
    (fleet / "fleet.json").write_text(json.dumps(defaults, ensure_ascii=False))
    result = tool("build", repo, "--fleet", fleet, "--inventory", csv)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "fleet/fleet.json: tiles[0]: tile 'singing' (노래교실) plays programme 'karaoke', "
        "which is not in programmes (centre namwon-001)",
        "1 problem(s); nothing was changed",
    ]
    assert (repo / "build" / "centres" / "namwon-001.json").read_bytes() == built
    assert tool("publish", repo).stdout.startswith("published (no change)")
    assert sorted((repo / "public" / "targets" / "centres").rglob("*")) == signed


def test_media_add_fills_the_library_entry_and_the_notice(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    into = tmp_path / "fleet.json"
    shutil.copyfile(EXAMPLES / "fleet" / "fleet.json", into)
    clip = tmp_path / "arirang-long.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(2000))
    lyrics = tmp_path / "arirang.srt"
    lyrics.write_text("1\n00:00:00,000 --> 00:00:03,000\n아리랑 아리랑 아라리요\n", "utf-8")

    def add(file: Path, entry: str, *more: object) -> subprocess.CompletedProcess[str]:
        return tool(
            "media", "add", repo, file, "--title", "아리랑 (긴 판)", "--duration", 185,
            "--into", into, "--id", entry, *more,
        )  # fmt: skip

    assert add(clip, "arirang", "--category", "singing", "--subtitles", lyrics).returncode == 0
    library = json.loads(into.read_text())["library"]
    digest, words = (hashlib.sha256(f.read_bytes()).hexdigest() for f in (clip, lyrics))
    assert library[0] == {
        "id": "arirang",
        "title": "아리랑 (긴 판)",
        "category": "singing",
        "video": {"file": f"{digest}.mp4", "sha256": digest, "size": 2012},
        "subtitles": {"file": f"{words}.srt", "sha256": words, "size": lyrics.stat().st_size},
    }, "replaced where it stood"
    assert (repo / "media" / f"{digest}.mp4").read_bytes() == clip.read_bytes()
    assert len(library) == 4

    assert add(clip, "arirang-2", "--category", "other").returncode == 0
    added = json.loads(into.read_text())["library"]
    assert len(added) == 5 and added[4]["id"] == "arirang-2" and added[4]["category"] == "other"

    before = into.stat().st_mtime_ns
    assert add(clip, "arirang-2", "--category", "other").returncode == 0
    assert into.stat().st_mtime_ns == before, "nothing to change: not rewritten"

    picture = tmp_path / "map.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert add(picture, "phone-scam", "--category", "notice").returncode == 0
    scam = json.loads(into.read_text())["notices"][1]
    shown = hashlib.sha256(picture.read_bytes()).hexdigest()
    assert scam["picture"] == {"file": f"{shown}.png", "sha256": shown, "size": 108}

    unknown = add(picture, "weather", "--category", "notice")
    assert unknown.returncode == 1
    assert f"{into}: notices: no notice 'weather' here" in unknown.stderr
    no_id = tool("media", "add", repo, clip, "--title", "t", "--category", "singing",
                 "--duration", 1, "--into", into)  # fmt: skip
    assert no_id.returncode == 1 and "which entry? (--id)" in no_id.stderr
