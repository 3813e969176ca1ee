"""The Debian packages: built with dpkg-buildpackage, checked by lintian, installed into a
bare Debian 12 made by debootstrap, upgraded, and purged.

Slow (several minutes: the virtualenvs download their wheels, debootstrap and apt fetch
Debian packages) but this is what a technician's ``apt install`` meets.
"""

import json
import subprocess
from pathlib import Path

from tests.debian.conftest import in_root, install, run


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
    depends = run("dpkg-deb", "-f", str(debs["kiosk-provisioning"]), "Depends")
    assert "libvlc5" not in depends and "cage" not in depends, "no box parts on the server"
    venv = bare / "opt/venvs/kiosk-provisioning/lib/python3.11/site-packages"
    assert not (venv / "PySide6").exists() and (venv / "tuf").is_dir()
