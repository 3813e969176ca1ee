"""The core never imports Qt; the command line starts without it."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import kiosk

PACKAGE = Path(kiosk.__file__).parent

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


def core_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts
        if "ui" in parts or parts[-1] in ("__main__", "app"):
            continue
        names.append(".".join(parts).removesuffix(".__init__"))
    return names


def test_core_imports_with_qt_absent() -> None:
    modules = core_modules()
    assert "kiosk.navigation" in modules and "kiosk.config.model" in modules
    imports = "\n".join(f"import {name}" for name in modules)
    result = subprocess.run(
        [sys.executable, "-c", _BLOCK_QT + imports], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


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


def test_the_path_to_the_first_frame_stays_light() -> None:
    # Everything `kiosk run` imports before it paints: no network or crypto stack,
    # no asyncio, no libvlc (they load after the first frame).
    code = (
        "import sys\n"
        "import kiosk.app, kiosk.cli, kiosk.ui.window, kiosk.ui.screen, kiosk.sync.enrolment\n"
        "import kiosk.session, kiosk.sync.result\n"
        "heavy = [m for m in ('requests', 'tuf', 'cryptography', 'asyncio', 'qasync', 'vlc')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
