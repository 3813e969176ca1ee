"""The Debian packages: built with dpkg-buildpackage, checked by lintian, installed into a
bare Debian 12 made by debootstrap, upgraded, purged, and at last installed again and
booted (see the last test).

Slow (several minutes: the virtualenvs download their wheels, debootstrap and apt fetch
Debian packages) but this is what a technician's ``apt install`` meets.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.debian.conftest import in_root, install, run

BOOT = Path(__file__).parent / "boot"
CITY_HALL_UNITS = (
    "kiosk-identity.service",
    "kiosk-call-gate.service",
    "kiosk-call-gate@.service",
    "kiosk-crl.path",
    "kiosk-crl.service",
    "kiosk-broker.service",
    "kiosk-broker-acl.path",
    "kiosk-broker-acl.service",
)
"""City hall's services (issues 13 and 14) beside the refresh timer."""


def test_lintian_reports_no_errors(debs: dict[str, Path]) -> None:
    assert set(debs) == {"kiosk", "kiosk-provisioning"}
    done = subprocess.run(
        ["lintian", *map(str, debs.values())], capture_output=True, text=True, check=False
    )
    errors = [line for line in done.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], "\n".join(errors[:20])


def next_version(deb: Path, out: Path) -> Path:
    """The same package as a later version, to go through an upgrade."""
    tree = out / "unpacked"
    run("dpkg-deb", "-R", str(deb), str(tree))
    control = tree / "DEBIAN/control"
    control.write_text(control.read_text().replace("Version: 0.1.0", "Version: 0.1.0+next"))
    upgraded = out / deb.name.replace("0.1.0", "0.1.0+next")
    run("dpkg-deb", "-b", "-Zgzip", str(tree), str(upgraded))
    return upgraded


def test_install_run_upgrade_and_purge_on_a_bare_debian(
    debs: dict[str, Path], bare: Path, tmp_path: Path
) -> None:
    install(bare, debs["kiosk"])
    assert in_root(bare, "kiosk", "--version").startswith("kiosk 0.1.0")
    doctor = subprocess.run(
        ["chroot", str(bare), "kiosk", "doctor", "--json"], capture_output=True, text=True
    )
    report = json.loads(doctor.stdout)
    assert report["config"]["enrolled"] is False and doctor.returncode == 1
    assert {"cameras", "microphones", "speakers", "network", "config"} <= set(report)
    assert in_root(bare, "stat", "-c", "%U:%G %a", "/var/lib/kiosk").strip() == "kiosk:kiosk 750"
    assert in_root(bare, "stat", "-c", "%U:%G %a", "/etc/kiosk").strip() == "root:kiosk 750"
    assert (bare / "etc/systemd/system/ctrl-alt-del.target").readlink() == Path("/dev/null")
    assert (bare / "lib/systemd/system/kiosk.service").is_file()
    assert "kernel.sysrq = 0" in (bare / "usr/lib/sysctl.d/60-kiosk-no-sysrq.conf").read_text()
    box = bare / "opt/venvs/kiosk/lib/python3.11/site-packages"
    assert (box / "kiosk").is_dir() and (box / "kiosk_contract").is_dir()
    assert not (box / "kiosk_provisioning").exists(), "city hall's tools are not on a box"
    assert not (box / "kiosk_demo").exists(), "the demo's city hall is not on a box"

    # The box's state survives an upgrade.
    (bare / "var/lib/kiosk/enrolment.json").write_text('{"centre_id": "namwon-001"}')
    install(bare, next_version(debs["kiosk"], tmp_path))
    assert (bare / "var/lib/kiosk/enrolment.json").read_text() == '{"centre_id": "namwon-001"}'

    in_root(bare, "apt-get", "purge", "-y", "-qq", "kiosk")
    assert not (bare / "var/lib/kiosk").exists() and not (bare / "etc/kiosk").exists()
    assert not (bare / "etc/systemd/system/ctrl-alt-del.target").exists()


def test_the_central_side_installs_alone(debs: dict[str, Path], bare: Path) -> None:
    install(bare, debs["kiosk-provisioning"])
    assert in_root(bare, "kiosk-provision", "--version").startswith("kiosk-provision 0.1.0")
    assert (bare / "lib/systemd/system/kiosk-provision-refresh.timer").is_file()
    for unit in CITY_HALL_UNITS:
        assert (bare / "lib/systemd/system" / unit).is_file(), unit
    # Enabled (they wait for the admin's certificates: ConditionPathExists=), and the
    # revocation list's path unit; the reload it starts is static.
    wants = bare / "etc/systemd/system"
    for enabled in (
        "multi-user.target.wants/kiosk-identity.service",
        "multi-user.target.wants/kiosk-call-gate.service",
        "paths.target.wants/kiosk-crl.path",
        "multi-user.target.wants/kiosk-broker.service",
        "paths.target.wants/kiosk-broker-acl.path",
    ):
        assert (wants / enabled).is_symlink(), enabled
    assert list(wants.glob("*/kiosk-crl.service")) == []
    assert list(wants.glob("*/kiosk-call-gate@*")) == [], "each enabled by the admin"
    assert list(wants.glob("*/kiosk-broker-acl.service")) == []
    for module in ("kiosk_provisioning.identity.service", "kiosk_provisioning.gate"):
        shown = in_root(bare, "/opt/venvs/kiosk-provisioning/bin/python", "-m", module, "--help")
        assert "--listen" in shown, "what the units start runs in the package's own venv"
    owners = {
        "/srv/kiosk-fleet/identity": "kiosk-provision:kiosk-provision 700",
        "/etc/kiosk-provision/identity": "root:kiosk-provision 750",
        "/etc/kiosk-provision/gate": "root:kiosk-provision 750",
        "/etc/kiosk-provision/gates": "root:kiosk-provision 750",
        # Installed without mosquitto (a Recommends): its group is set when it starts.
        "/etc/kiosk-provision/broker": "kiosk-provision:kiosk-provision 2750",
    }
    for folder, expected in owners.items():
        assert in_root(bare, "stat", "-c", "%U:%G %a", folder).strip() == expected, folder
    depends = run("dpkg-deb", "-f", str(debs["kiosk-provisioning"]), "Depends")
    assert "libvlc5" not in depends and "cage" not in depends, "no box parts on the server"
    # The console's call and meeting pages serve Debian's janus.js and adapter.
    assert "libjs-janus-gateway" in depends and "libjs-webrtc-adapter" in depends
    assert "ffmpeg" in depends, "the identity service checks video messages with ffprobe"
    assert in_root(bare, "test", "-f", "/usr/share/javascript/janus-gateway/janus.js") == ""
    venv = bare / "opt/venvs/kiosk-provisioning/lib/python3.11/site-packages"
    assert not (venv / "PySide6").exists() and (venv / "tuf").is_dir()
    assert (venv / "kiosk_provisioning").is_dir() and (venv / "kiosk_contract").is_dir()
    assert not (venv / "kiosk").exists(), "no box modules at city hall"
    assert not (venv / "kiosk_demo").exists()


def test_the_installed_unit_boots_to_active_and_comes_back(
    debs: dict[str, Path], bare: Path
) -> None:
    """The installed kiosk, booted: the root boots under systemd-nspawn (its own systemd
    as PID 1). kiosk.service reaches active (the kiosk's READY=1), stays up past its
    watchdog interval (the GUI thread's pings), comes back after a kill, and after a
    frozen GUI (no pings: systemd's watchdog restarts it). Stopped once too often,
    systemd gives up on it and the safe screen takes over (never a dark screen); when
    the safe screen ends, the kiosk is tried again.

    A container has no tty1 and no DRM for cage, so a drop-in
    (``boot/kiosk-in-a-container.conf``) runs the kiosk under Xvfb instead; the user,
    the sandbox, notify, watchdog and restart settings are the package's own. A probe
    unit inside the root writes what systemd says at each step, then powers it off.
    """
    install(bare, debs["kiosk"])
    extras = ("systemd-sysv", "dbus", "xvfb", "xauth")
    in_root(bare, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *extras)
    dropins = bare / "etc/systemd/system/kiosk.service.d"
    dropins.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BOOT / "kiosk-in-a-container.conf", dropins / "container.conf")
    safe_dropins = bare / "etc/systemd/system/kiosk-safe.service.d"
    safe_dropins.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BOOT / "kiosk-safe-in-a-container.conf", safe_dropins / "container.conf")
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
        _can_boot(bare)
        booted = _nspawn(bare, ["--boot"], 900)
    finally:
        run("mount", "-t", "proc", "proc", str(bare / "proc"))
    journal = bare / "var/tmp/kiosk-journal"
    said = (
        report.read_text()
        if report.exists()
        else f"no report; nspawn said:\n{booted.stdout[-3000:]}{booted.stderr[-3000:]}"
    )

    said += journal.read_text()[-3000:] if journal.exists() else ""
    lines = said.splitlines()
    running = "ActiveState=active SubState=running"
    assert lines[0] == f"started: NRestarts=0 {running} ", said
    assert lines[1] == f"after 45 s: NRestarts=0 {running} ", said
    assert lines[2] == f"after kill: NRestarts=1 {running} ", said
    assert lines[3] == f"after freeze: NRestarts=2 {running} ", said
    assert lines[4] == f"after another kill: NRestarts=3 {running} ", said
    assert lines[5] == "gave up: kiosk failed, safe screen active, showing yes", said
    assert lines[6] == "tried again: kiosk active, safe screen inactive", said
    assert lines[7] == "start limit hit: 1", said
    assert lines[8] != "watchdog timeouts: 0", said


def _can_boot(root: Path) -> None:
    """Skip when this machine cannot run systemd-nspawn at all: inside a chroot (such as
    a throwaway CI root) its own / is not a mount point, which nspawn needs. Any other
    failure fails the test."""
    tried = _nspawn(root, ["/bin/true"], 120)
    if tried.returncode != 0 and "MS_SLAVE" in tried.stderr:
        pytest.skip(f"systemd-nspawn cannot run here (a chroot?): {tried.stderr.strip()[:200]}")
    assert tried.returncode == 0, tried.stderr


def _nspawn(root: Path, what: list[str], timeout: float) -> "subprocess.CompletedProcess[str]":
    """systemd-nspawn on *root* without machined (this machine may have no system bus)."""
    return subprocess.run(
        ["systemd-nspawn", "-D", str(root), "--register=no", "--keep-unit", "-q", *what],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
