"""Both packages built once, and one bare Debian 12 root (debootstrap minbase) shared by
the package tests: a technician's ``apt install`` meets what these meet."""

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


@pytest.fixture(scope="session")
def debs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both packages, built from a copy of the source tree without local build artefacts
    (git may be absent: CI can run on an exported tree)."""
    out = tmp_path_factory.mktemp("build")
    tree = out / "kiosk-0.1.0"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    run("dpkg-buildpackage", "-us", "-uc", "-b", cwd=tree)
    return {p.name.split("_")[0]: p for p in out.glob("*.deb")}


@pytest.fixture(scope="session")
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
