"""The systemd units, checked statically with systemd-analyze (PID 1 here is not systemd).

``verify`` runs against a root holding a copy of this machine's unit tree, our units,
and stand-ins for the programs they start (which only the installed packages bring).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = {
    "kiosk.service": ROOT / "debian" / "kiosk.service",
    "kiosk-safe.service": ROOT / "debian" / "kiosk.kiosk-safe.service",
    "kiosk-provision-refresh.service": ROOT
    / "provisioning/systemd/kiosk-provision-refresh.service",
    "kiosk-provision-refresh.timer": ROOT / "provisioning/systemd/kiosk-provision-refresh.timer",
}
PROGRAMS = (
    "/usr/bin/cage",
    "/usr/bin/kiosk",
    "/usr/bin/pkill",
    "/usr/bin/kiosk-provision",
    "/bin/sh",
    "/bin/rm",
)
MAX_EXPOSURE = 6.0


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = tmp_path_factory.mktemp("unit-root")
    (made / "lib/systemd").mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", made / "lib/systemd/system", symlinks=True)
    (made / "etc/systemd/system").mkdir(parents=True)
    for name, unit in UNITS.items():
        shutil.copyfile(unit, made / "etc/systemd/system" / name)
    for program in PROGRAMS:
        stand_in = made / program.lstrip("/")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    return made


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_units_verify_without_a_word(root: Path, unit: str) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", unit],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize(
    "unit", ["kiosk.service", "kiosk-safe.service", "kiosk-provision-refresh.service"]
)
def test_hardening_exposure_is_at_most_6(unit: str) -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNITS[unit])],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    print(f"{unit}: exposure {found.group(1)}")
    assert float(found.group(1)) <= MAX_EXPOSURE


def test_the_kiosk_session_offers_no_way_out() -> None:
    text = UNITS["kiosk.service"].read_text()
    start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert start.split()[:2] == ["ExecStart=/usr/bin/cage", "-d"], "no -s: no VT switching"
    for line in ("Type=notify", "NotifyAccess=all", "Restart=always", "Conflicts=getty@tty1"):
        assert any(entry.startswith(line) for entry in text.splitlines()), line
    assert re.search(r"^WatchdogSec=\d+$", text, re.MULTILINE)


def test_the_kiosk_never_ends_in_a_dark_screen_or_unbounded_memory() -> None:
    kiosk = UNITS["kiosk.service"].read_text().splitlines()
    safe = UNITS["kiosk-safe.service"].read_text().splitlines()
    assert "OnFailure=kiosk-safe.service" in kiosk, "the start limit hands over to the safe screen"
    assert any(line.startswith("MemoryMax=") for line in kiosk)
    assert any(line.startswith("MemoryHigh=") for line in kiosk)
    start = next(line for line in safe if line.startswith("ExecStart="))
    assert "/usr/bin/kiosk safe-screen --minutes 30; echo $$? > " in start, "its own status"
    assert "StartLimitAction=reboot" in safe, "if even the safe screen fails: reboot"
    after = next(line for line in safe if line.startswith("ExecStopPost="))
    assert "systemctl --no-block start kiosk.service" in after
    assert "systemctl --no-block restart kiosk-safe.service" in after
