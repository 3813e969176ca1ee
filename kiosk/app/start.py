"""``kiosk run``: the first frame as soon as possible, then the run loop.

Order matters for the senior: the home screen is painted before asyncio, qasync or
libvlc are even imported; READY=1 tells systemd it is up. A box that is not
enrolled shows the technician's enrolment screen first.
"""

import logging
import os
import sys
import time
from typing import TYPE_CHECKING

from kiosk.app.kiosk import build_kiosk
from kiosk.app.options import RunOptions
from kiosk.config import ConfigTrial, builtin_config
from kiosk.i18n import Strings
from kiosk.sync.enrolment import Enrolment, load_enrolment
from kiosk.systemd import notify

if TYPE_CHECKING:
    from kiosk.ui.qt import QApplication
    from kiosk.ui.screen import StopRequest

log = logging.getLogger(__name__)


def run(options: RunOptions) -> int:
    """Show the kiosk until the session ends. Returns the exit status."""
    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        # Qt would abort with a core dump; say plainly what is missing instead.
        log.critical("no screen: neither DISPLAY nor WAYLAND_DISPLAY is set")
        return 1
    from kiosk.ui.qt import QApplication, QFont
    from kiosk.ui.screen import StopRequest
    from kiosk.ui.theme import FONT_FAMILY
    from kiosk.ui.watchdog import start_watchdog

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setFont(QFont(FONT_FAMILY))
    app.setQuitOnLastWindowClosed(False)
    stop = StopRequest(app)
    # Pinged by a Qt timer from here on, through every screen and local loop.
    watchdog = start_watchdog()
    try:
        return _start(app, options, stop)
    finally:
        if watchdog is not None:
            watchdog.stop()


def _start(app: "QApplication", options: RunOptions, stop: "StopRequest") -> int:
    """The enrolment screen if needed, the home screen, then the run loop."""
    from kiosk.app.kiosk import put_on_screen
    from kiosk.ui.screen import wait_first_frame

    paths = options.paths
    enrolment = None if options.demo else load_enrolment(paths)
    if not options.demo and enrolment is None:
        enrolment = _enrol_on_screen(app, options, stop)
        if enrolment is None:
            return 0
    trial = ConfigTrial(paths.config_trial, paths.last_good_config, demo=options.demo)
    wanted = paths.assets / "demo" / "config.json" if options.demo else paths.config
    loaded = trial.load(wanted)
    kiosk = build_kiosk(
        loaded, paths, options.language, vlc_args=options.vlc_args, demo=options.demo
    )
    put_on_screen(app, options, kiosk, None)
    wait_first_frame(kiosk.window)
    log.info("home screen painted %.0f ms after start", (time.monotonic() - options.started) * 1000)
    notify("READY=1")
    if stop.requested.is_set():
        kiosk.close()
        return 0
    from kiosk.app.loop import run_loop

    return run_loop(app, options, kiosk, enrolment, trial, stop)


def _enrol_on_screen(
    app: "QApplication", options: RunOptions, stop: "StopRequest"
) -> Enrolment | None:
    """Show the technician's enrolment screen until the box is enrolled (or stopped)."""
    from kiosk.sync.onscreen import load_defaults
    from kiosk.ui.enrolment import EnrolmentWindow
    from kiosk.ui.screen import present, wait_first_frame, wait_for
    from kiosk.ui.theme import Theme

    paths = options.paths
    builtin = builtin_config()
    strings = Strings("en" if options.language == "en" else "ko")
    theme = Theme(builtin.display, 1080, paths.assets / "icons")
    window = EnrolmentWindow(paths, load_defaults(paths), strings, theme)
    present(window, app, options.windowed, show_cursor=True)
    wait_first_frame(window)
    log.info("this box is not enrolled: showing the enrolment screen")
    notify("READY=1")
    while not stop.requested.is_set() and load_enrolment(paths) is None:
        wait_for(window.enrolled, 60_000)
    window.setProperty("locked", False)
    window.close()
    return load_enrolment(paths)
