"""``kiosk enroll`` and ``kiosk sync --once`` as a technician runs them."""

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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


def enroll(
    paths: Paths, fleet: Fleet, identity: str, centre: str, code: str
) -> subprocess.CompletedProcess[str]:
    """``kiosk enroll`` with a one-time code, as the technician types it."""
    root = fleet.repo.path / "root.json"
    return kiosk(
        paths, "enroll", "--server", fleet.url, "--identity", identity,
        "--centre", centre, "--code", code, "--root", str(root),
    )  # fmt: skip


def test_enroll_then_sync_exit_codes(fleet: Fleet, identity_service: str, tmp_path: Path) -> None:
    paths = make_box(tmp_path, "cli-box")
    code = fleet.authority.issue_code("namwon-001")
    done = enroll(
        paths, fleet, identity_service, "namwon-001", f"{code[:4]}-{code[4:8]}-{code[8:]}"
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


CRASH = textwrap.dedent(
    """
    import os, signal, sys
    target, when = sys.argv[1], sys.argv[2]
    real_replace, real_open = os.replace, open

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def replace(src, dst, **kw):
        hit = os.path.basename(os.fspath(dst)) == target
        if hit and when == "before-rename":
            die()
        real_replace(src, dst, **kw)
        if hit and when == "after-rename":
            die()

    class HalfWritten:
        def __init__(self, file):
            self.file = file
        def write(self, data):
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            os.fsync(self.file.fileno())
            die()
        def __getattr__(self, name):
            return getattr(self.file, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.file.__exit__(*exc)

    def opened(path, mode="r", *args, **kw):
        file = real_open(path, mode, *args, **kw)
        temporary = os.path.basename(os.fspath(path)) == "." + target + ".tmp"
        return HalfWritten(file) if when == "mid-write" and temporary else file

    os.replace = replace
    import pathlib
    pathlib.Path.open = lambda self, mode="r", *a, **kw: opened(self, mode, *a, **kw)
    from kiosk.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)
"""Runs ``kiosk ...`` and SIGKILLs it at one chosen point: as the named file is half
written to its temporary, just before the temporary is renamed over it, or just after."""


@pytest.mark.parametrize(
    ("target", "when", "expected"),
    [
        ("active-config.json", "mid-write", "old"),
        ("active-config.json", "before-rename", "old"),
        ("active-config.json", "after-rename", "new"),
        ("timestamp.json", "before-rename", "old"),  # python-tuf's own metadata
        ("timestamp.json", "after-rename", "old"),
        ("snapshot.json", "after-rename", "old"),
    ],
)
def test_a_kill_at_each_point_leaves_the_old_or_the_new_configuration_whole(
    fleet: Fleet,
    box: tuple[Paths, Enrolment],
    tmp_path: Path,
    target: str,
    when: str,
    expected: str,
) -> None:
    paths, enrolment = box
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    old = paths.config.read_bytes()
    fleet.set_default("idle", "return_home_after_s", 280)
    fleet.publish()
    command = ["--state-dir", str(paths.state), "sync", "--once"]
    killed = subprocess.run(
        [sys.executable, "-c", CRASH, target, when, *command], capture_output=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL, "the crash point was reached"
    active = paths.config.read_bytes()
    new = active != old
    assert ("new" if new else "old") == expected
    assert parse_config(active).idle.return_home_after_s == (280 if new else 120)
    leftovers = [p.name for p in paths.state.iterdir() if p.name.endswith(".tmp")]
    # Whatever was cut off, the next sync completes the update.
    assert sync_once(paths, enrolment).exit_code == 0, leftovers
    assert parse_config(paths.config.read_bytes()).idle.return_home_after_s == 280


def test_doctor_reports_enrolment_revision_and_expiry(
    fleet: Fleet, identity_service: str, tmp_path: Path
) -> None:
    import datetime as dt
    import json

    paths = make_box(tmp_path, "doc-box")
    lonely = kiosk(paths, "doctor", "--json")
    assert lonely.returncode == 1
    assert json.loads(lonely.stdout)["config"]["enrolled"] is False
    assert lonely.stderr.startswith("not enrolled")

    code = fleet.authority.issue_code("namwon-002")
    assert enroll(paths, fleet, identity_service, "namwon-002", code).returncode == 0
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
    (box,) = fleet.authority.boxes()
    assert config["identity"]["state"] == "enrolled"
    assert config["identity"]["serial"] == box.serial
    assert config["identity"]["not_after"] == box.not_after.isoformat(timespec="seconds")

    fleet.repo.now -= dt.timedelta(days=3)
    fleet.set_default("idle", "return_home_after_s", 290)
    fleet.publish()
    assert kiosk(paths, "sync", "--once").returncode == 2
    frozen = kiosk(paths, "doctor", room="centre-room")
    assert frozen.returncode == 1
    assert "expired: True" in frozen.stdout
    assert "revision: 1" in frozen.stdout, "still serving the last good configuration"
    assert frozen.stderr.startswith("the configuration repository has expired")
