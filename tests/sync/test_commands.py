"""``kiosk enroll`` and ``kiosk sync --once`` as a technician runs them."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.paths import Paths
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import Enrolment
from kiosk.sync.result import Outcome
from kiosk_contract.config import parse_config
from tests.devices.conftest import ROOMS
from tests.sync.conftest import Fleet, make_box

KIOSK = Path(sys.executable).parent / "kiosk"


def kiosk(paths: Paths, *args: str, room: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``kiosk``; with *room*, among that umockdev room's devices."""
    devices = ["umockdev-run", "-d", str(ROOMS / f"{room}.umockdev"), "--"] if room else []
    return subprocess.run(
        [*devices, KIOSK, "--state-dir", str(paths.state), "--etc-dir", str(paths.etc), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_enroll_then_sync_exit_codes(fleet: Fleet, tmp_path: Path) -> None:
    paths = make_box(tmp_path, "cli-box")
    root = fleet.repo.path / "root.json"
    done = kiosk(
        paths, "enroll", "--server", fleet.url, "--centre", "namwon-001", "--root", str(root)
    )
    assert done.returncode == 0, done.stderr
    assert "enrolled as namwon-001" in done.stdout and "applied revision 1" in done.stdout
    unchanged = kiosk(paths, "sync", "--once")
    assert (unchanged.returncode, unchanged.stdout.strip()) == (0, "unchanged (revision 1)")

    fleet.set_default("idle", "return_home_after_s", 240)
    fleet.publish()
    applied = kiosk(paths, "sync", "--once")
    assert (applied.returncode, applied.stdout.strip()) == (0, "applied revision 2")

    (fleet.repo.public / "metadata" / "timestamp.json").write_bytes(b"{}")
    tampered = kiosk(paths, "sync", "--once")
    assert tampered.returncode == 2
    assert len(tampered.stderr.strip().splitlines()) == 1, "one plain line"


def test_sync_without_a_server_exits_3(tmp_path: Path, fleet: Fleet) -> None:
    paths = make_box(tmp_path, "lonely")
    root = fleet.repo.path / "root.json"
    kiosk(
        paths,
        "enroll",
        "--server",
        "http://127.0.0.1:9",
        "--centre",
        "namwon-001",
        "--root",
        str(root),
    )
    result = kiosk(paths, "sync", "--once")
    assert result.returncode == 3
    assert result.stderr.strip().startswith("server unreachable")


def test_sync_before_enrolment_says_so(tmp_path: Path) -> None:
    paths = make_box(tmp_path, "new-box")
    result = kiosk(paths, "sync", "--once")
    assert result.returncode == 2
    assert "not enrolled" in result.stderr


def test_enrolment_refuses_a_file_that_is_not_a_trust_root(tmp_path: Path, fleet: Fleet) -> None:
    paths = make_box(tmp_path, "picky")
    fake = tmp_path / "root.json"
    fake.write_text('{"signed": {}}')
    result = kiosk(
        paths, "enroll", "--server", fleet.url, "--centre", "namwon-001", "--root", str(fake)
    )
    assert result.returncode == 2
    assert "not a valid signed root" in result.stderr
    assert not (paths.state / "enrolment.json").exists()


def test_a_kill_at_any_point_leaves_the_old_or_the_new_configuration_whole(
    fleet: Fleet, box: tuple[Paths, Enrolment], tmp_path: Path
) -> None:
    paths, enrolment = box
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    old = paths.config.read_bytes()
    template = tmp_path / "state-v1"
    shutil.copytree(paths.state, template)
    fleet.set_default("idle", "return_home_after_s", 280)
    fleet.publish()

    seen = {"old": 0, "new": 0}
    for point in range(30):
        shutil.rmtree(paths.state)
        shutil.copytree(template, paths.state)
        process = subprocess.Popen(
            [KIOSK, "--state-dir", str(paths.state), "sync", "--once"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Spread the kills over start-up, refresh, download and apply.
        time.sleep(0.1 + point * 0.025)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        active = paths.config.read_bytes()
        if active == old:
            seen["old"] += 1
        else:
            assert parse_config(active).idle.return_home_after_s == 280
            seen["new"] += 1
        # Whatever was cut off, the next sync completes the update.
        assert sync_once(paths, enrolment).exit_code == 0
        assert parse_config(paths.config.read_bytes()).idle.return_home_after_s == 280
    assert seen["old"] + seen["new"] == 30


def test_doctor_reports_enrolment_revision_and_expiry(fleet: Fleet, tmp_path: Path) -> None:
    import datetime as dt
    import json

    paths = make_box(tmp_path, "doc-box")
    lonely = kiosk(paths, "doctor", "--json")
    assert lonely.returncode == 1
    assert json.loads(lonely.stdout)["config"]["enrolled"] is False
    assert lonely.stderr.startswith("not enrolled")

    root = fleet.repo.path / "root.json"
    kiosk(paths, "enroll", "--server", fleet.url, "--centre", "namwon-002", "--root", str(root))
    fine = kiosk(paths, "doctor", "--json", room="centre-room")
    assert fine.returncode == 0, fine.stderr
    assert json.loads(fine.stdout)["network"]["config_server"]["reachable"] is True
    silent = kiosk(paths, "doctor", room="odd-cameras")
    assert silent.returncode == 1
    assert silent.stderr.startswith("no microphone and no speaker found")
    config = json.loads(fine.stdout)["config"]
    assert (config["centre"], config["revision"], config["last_outcome"]) == (
        "namwon-002",
        1,
        "applied",
    )

    fleet.repo.now -= dt.timedelta(days=3)
    fleet.set_default("idle", "return_home_after_s", 290)
    fleet.publish()
    assert kiosk(paths, "sync", "--once").returncode == 2
    frozen = kiosk(paths, "doctor", room="centre-room")
    assert frozen.returncode == 1
    assert "expired: True" in frozen.stdout
    assert "revision: 1" in frozen.stdout, "still serving the last good configuration"
    assert frozen.stderr.startswith("the configuration repository has expired")
