"""The installed kiosk, booted: the bare Debian 12 root with the package installed boots
under systemd-nspawn (its own systemd as PID 1). kiosk.service reaches active (the
kiosk's READY=1), stays up past its watchdog interval (the GUI thread's pings), comes
back after a kill, and after a frozen GUI (no pings: systemd's watchdog restarts it).

A container has no tty1 and no DRM for cage, so a drop-in
(``boot/kiosk-in-a-container.conf``) runs the kiosk under Xvfb instead; the user, the
sandbox, notify, watchdog and restart settings are the package's own. A probe unit
inside the root writes what systemd says at each step, then powers the root off.
"""

import shutil
import subprocess
from pathlib import Path

from tests.debian.conftest import in_root, install, run

BOOT = Path(__file__).parent / "boot"


def test_the_installed_unit_boots_to_active_and_comes_back(
    debs: dict[str, Path], bare: Path
) -> None:
    install(bare, debs["kiosk"])
    extras = ("systemd-sysv", "dbus", "xvfb", "xauth")
    in_root(bare, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *extras)
    dropins = bare / "etc/systemd/system/kiosk.service.d"
    dropins.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BOOT / "kiosk-in-a-container.conf", dropins / "container.conf")
    probe = bare / "usr/local/sbin/kiosk-probe"
    shutil.copyfile(BOOT / "kiosk-probe", probe)
    probe.chmod(0o755)
    shutil.copyfile(BOOT / "kiosk-probe.service", bare / "etc/systemd/system/kiosk-probe.service")
    in_root(bare, "systemctl", "enable", "kiosk.service", "kiosk-probe.service")
    (bare / "etc/hostname").write_text("kiosk-test\n")
    report = bare / "var/tmp/kiosk-probe"
    report.unlink(missing_ok=True)

    subprocess.run(["umount", "-l", str(bare / "proc")], check=False)  # nspawn mounts its own
    try:
        booted = subprocess.run(
            ["systemd-nspawn", "-D", str(bare), "--register=no", "--keep-unit", "--boot", "-q"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        run("mount", "-t", "proc", "proc", str(bare / "proc"))
    journal = bare / "var/tmp/kiosk-journal"
    said = (
        report.read_text()
        if report.exists()
        else f"no report; nspawn said:\n{booted.stdout[-3000:]}"
    )
    said += journal.read_text()[-3000:] if journal.exists() else ""
    lines = said.splitlines()
    running = "ActiveState=active SubState=running"
    assert lines[0] == f"started: NRestarts=0 {running} ", said
    assert lines[1] == f"after 45 s: NRestarts=0 {running} ", said
    assert lines[2] == f"after kill: NRestarts=1 {running} ", said
    assert lines[3] == f"after freeze: NRestarts=2 {running} ", said
    assert lines[4] != "watchdog timeouts: 0", said
