"""The technician's whole flow with ``kiosk-provision``, as commands."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from kiosk_provisioning.repository import Repository

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
    assert verified.stdout.startswith("ok: root v1, 498 targets")  # 496 + catalogue + clip
    catalogue = json.loads((repo / "media" / "catalogue.json").read_text())
    assert catalogue[0]["title"] == "아리랑" and catalogue[0]["duration_s"] == 185

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
