"""The Debian packages: built with dpkg-buildpackage, checked by lintian, installed into a
bare Debian 12 made by debootstrap, upgraded, and purged.

Slow (several minutes: the virtualenvs download their wheels, debootstrap and apt fetch
Debian packages) but this is what a technician's ``apt install`` meets.
"""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ONLY = (
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "results",
    "build",
)
"""What .gitignore leaves out (plus .git): never part of a package build."""
MIRROR = os.environ.get("KIOSK_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def run(*command: str, cwd: Path | None = None, timeout: float = 1200) -> str:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def debs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both packages, built from a copy of the source tree without local build artefacts
    (git may be absent: CI can run on an exported tree)."""
    out = tmp_path_factory.mktemp("build")
    tree = out / "kiosk-0.1.0"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    run("dpkg-buildpackage", "-us", "-uc", "-b", cwd=tree)
    return {p.name.split("_")[0]: p for p in out.glob("*.deb")}


def test_lintian_reports_no_errors(debs: dict[str, Path]) -> None:
    assert set(debs) == {"kiosk", "kiosk-provisioning"}
    done = subprocess.run(
        ["lintian", *map(str, debs.values())], capture_output=True, text=True, check=False
    )
    errors = [line for line in done.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], "\n".join(errors[:20])


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A bare Debian 12 (debootstrap minbase) with /proc, where services never start."""
    root = tmp_path_factory.mktemp("bare") / "root"
    run("debootstrap", "--variant=minbase", "bookworm", str(root), MIRROR)
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    run("mount", "-t", "proc", "proc", str(root / "proc"))
    try:
        run("chroot", str(root), "apt-get", "update", "-qq")
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root / "proc")], check=False)


def in_root(root: Path, *command: str) -> str:
    return run("chroot", str(root), "env", "DEBIAN_FRONTEND=noninteractive", *command)


def install(root: Path, deb: Path) -> None:
    shutil.copyfile(deb, root / "tmp" / deb.name)
    in_root(root, "apt-get", "install", "-y", "-qq", "--no-install-recommends", f"/tmp/{deb.name}")


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
