"""Layering: the import contracts (import-linter, pyproject.toml) hold and see every
import; the command line starts without Qt; the path to the first frame stays light."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kiosk

PACKAGE = Path(kiosk.__file__).parent
ROOT = PACKAGE.parent
DISTRIBUTIONS = {
    "contract": "kiosk_contract",
    "provisioning": "kiosk_provisioning",
    "demo": "kiosk_demo",
}
"""The tree's other distributions: folder -> package."""

_BLOCK_QT = textwrap.dedent(
    """
    import importlib.abc, sys
    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6"):
                raise ImportError("Qt is not allowed in the core: " + name)
    sys.meta_path.insert(0, NoQt())
    """
)


def lint_imports(config: Path, *roots: Path) -> "subprocess.CompletedProcess[str]":
    """import-linter with *config*, the packages found under *roots* first on the path."""
    path = ":".join(str(r) for r in roots)
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), str(config), "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin"},
        cwd=roots[0],
    )


def test_the_layering_contracts_hold() -> None:
    done = lint_imports(ROOT / "pyproject.toml", ROOT, *(ROOT / d for d in DISTRIBUTIONS))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 6 kept, 0 broken" in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        # An import inside a function, of Qt through the UI: the core at any depth.
        ("kiosk/navigation.py", "from kiosk.ui.qt import QApplication", "never imports Qt"),
        # Under TYPE_CHECKING only: the composition root, from a service.
        ("kiosk/media/cache.py", "from kiosk.app import RunOptions", "Box layers"),
        ("kiosk/calls/policy.py", "import kiosk_demo.network", "never imports city hall"),
        ("contract/kiosk_contract/pin.py", "import kiosk.paths", "imports neither end"),
        ("provisioning/kiosk_provisioning/keys.py", "import kiosk.paths", "never import the box"),
    ],
)
def test_the_contracts_see_every_import(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    """A copy of the tree with one forbidden import hidden where a text search or an
    import-time check would miss it: the contracts name the broken one."""
    tree = tmp_path / "tree"
    for part in ("kiosk", *(f"{d}/{pkg}" for d, pkg in DISTRIBUTIONS.items())):
        shutil.copytree(ROOT / part, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ROOT / "pyproject.toml", tree / "pyproject.toml")
    target = tree / module
    hidden = (
        f"\n\ndef _hidden() -> None:\n    {imported}  # noqa\n"
        if module.endswith("navigation.py")
        else f"\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    {imported}  # noqa\n"
    )
    target.write_text(target.read_text() + hidden)
    done = lint_imports(tree / "pyproject.toml", tree, *(tree / d for d in DISTRIBUTIONS))
    assert done.returncode != 0, done.stdout[-2000:]
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), done.stdout[-3000:]


def test_only_the_qt_module_imports_pyside() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^\s*(from|import) PySide6", path.read_text(), re.M) and path.name != "qt.py"
    ]
    assert offenders == []


def test_version_and_help_start_without_qt() -> None:
    code = _BLOCK_QT + "from kiosk.cli import main\nraise SystemExit(main(['--version']))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kiosk {kiosk.__version__}"


def test_the_path_to_the_first_frame_stays_light(tmp_path: Path) -> None:
    """What the real ``kiosk run --demo`` has imported when it says READY=1 (the home
    screen painted): no network or crypto stack, no asyncio, no libvlc, no WebRTC
    (they load after the first frame). Listing modules to import would miss one
    imported inside a function on the way (as the run loop once was)."""
    code = textwrap.dedent(
        """
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import kiosk.app.start as start
        heavy = ("requests", "tuf", "cryptography", "asyncio", "qasync", "vlc", "aiortc", "av")

        def ready(message):
            print(",".join(m for m in heavy if m in sys.modules) or "light")
            sys.stdout.flush()
            os._exit(0)

        start.notify = ready
        from kiosk.cli import main
        main(["--state-dir", sys.argv[1], "run", "--demo"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.stdout.strip() == "light", result.stdout + result.stderr[-2000:]


def test_the_demo_box_looks_for_the_demo_city_halls_own_link() -> None:
    from kiosk.demolink import DEMO_LINK
    from kiosk_demo.network import PrivateNetwork

    assert PrivateNetwork(0).outer == DEMO_LINK


def test_waiting_for_a_call_loads_no_webrtc() -> None:
    """aiortc and PyAV (~48 MB) load when a call is about to need them, not at idle:
    the call service, its line, its screens and the call page leave them out."""
    code = (
        "import sys\n"
        "import kiosk.app.calls, kiosk.ui.call, kiosk.calls.screens, kiosk.calls.line\n"
        "from kiosk.calls.deferred import DeferredDeviceMedia\n"
        "from kiosk.devices.policy import Choice\n"
        "DeferredDeviceMedia().use(Choice(None, None, None))\n"
        "print(','.join(m for m in ('aiortc', 'av', 'kiosk.calls.peer') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
