"""PySide6's import hook keeps no module's source (it used to cost ~12 MB at idle)."""

import subprocess
import sys


def test_importing_after_qt_caches_no_source() -> None:
    code = (
        "import linecache\n"
        "import kiosk.ui.qt\n"
        "import kiosk.app.kiosk, kiosk.app.loop, kiosk.media.runtime, kiosk.sync.watch\n"
        "import json, email.parser, http.client, xml.dom.minidom\n"
        "print(len(linecache.cache))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(done.stdout) == 0, "module sources were cached"
