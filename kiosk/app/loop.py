"""The kiosk's life after its first frame: asyncio on Qt's loop, the services on it,
a new configuration put in force at a safe moment, a clean stop.

Started by :func:`kiosk.app.start.run` once the home screen is painted; everything
started here is stopped here.
"""

import asyncio
import logging
import os
import signal
import time
from typing import TYPE_CHECKING, Any

from kiosk.app.kiosk import Kiosk, put_on_screen
from kiosk.app.options import RunOptions
from kiosk.app.services import start_services
from kiosk.config import ConfigTrial, LoadedConfig
from kiosk.session import Session
from kiosk.sync.enrolment import Enrolment

if TYPE_CHECKING:
    from kiosk.ui.qt import QApplication
    from kiosk.ui.screen import StopRequest
    from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)

NIGHTLY_QUIET_S = 300
"""The planned restart waits for five minutes without a touch on the home screen."""


def run_loop(
    app: "QApplication",
    options: RunOptions,
    kiosk: Kiosk,
    enrolment: Enrolment | None,
    trial: ConfigTrial,
    stop: "StopRequest",
) -> int:
    """Run until stopped; the exit status."""
    os.environ.setdefault("QT_API", "pyside6")  # spares qasync probing other bindings
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(lambda _loop, context: _loop_error(kiosk, context))
    closing = asyncio.Event()

    def show(loaded: LoadedConfig) -> None:
        """A new configuration in force: the parts, a new window, every service."""
        old = kiosk.window
        new = kiosk.show(loaded)
        put_on_screen(app, options, kiosk, old)
        running.all.reconfigure(loaded.config)
        running.media.show_on(video_surface(new))
        retire(old)

    session = Session(
        kiosk.loaded,
        options.paths,
        kiosk.status,
        trial,
        kiosk.navigator.is_safe_moment,
        show,
        time.monotonic,
    )
    running = start_services(loop, options, kiosk, enrolment, session.on_sync_result)
    running.media.show_on(video_surface(kiosk.window))

    def tick() -> None:
        session.tick()
        free = kiosk.navigator.is_safe_moment(NIGHTLY_QUIET_S)
        if running.nightly.due(kiosk.parts.wall(), free):
            # systemd (Restart=always) starts a fresh kiosk: memory hygiene.
            log.info("planned quiet-hours restart")
            closing.set()

    kiosk.start_ticking(tick)
    if running.watch is not None:
        # `systemctl reload kiosk` (SIGHUP): a technician asks for a check now.
        wake = running.watch.wake
        signal.signal(signal.SIGHUP, lambda *_: loop.call_soon_threadsafe(wake))
    stop.on_stop = lambda: loop.call_soon_threadsafe(closing.set)
    app.lastWindowClosed.connect(closing.set)
    code = 0
    with loop:
        try:
            loop.run_until_complete(closing.wait())
            # Nothing new starts from here on (the timetable, a configuration), and the
            # programme stops while its player still exists.
            kiosk.stop_ticking()
            kiosk.parts.playback.stop()
            loop.run_until_complete(running.close())
        except RuntimeError as err:
            # Qt's loop ended under us, e.g. the display server went away: nothing
            # can be shown any more, so end and let systemd start us again.
            log.error("stopping: the event loop ended unexpectedly (%s)", err)
            code = 1
    kiosk.close()
    # An orderly stop, whatever the reason: not held against the configuration's trial.
    trial.stopped_cleanly()
    log.info("kiosk stopped")
    return code


def retire(window: "KioskWindow") -> None:
    """Take a window built for an earlier configuration off the screen for good."""
    window.close_window()
    window.setProperty("locked", False)
    window.close()
    window.deleteLater()


def video_surface(window: "KioskWindow") -> int | None:
    """The native window libvlc draws programmes into (X11 only; elsewhere libvlc opens
    its own)."""
    from kiosk.ui.qt import QApplication

    if QApplication.platformName() != "xcb":
        return None
    return window.playing.surface.window_id()


def _loop_error(kiosk: Kiosk, context: dict[str, Any]) -> None:
    error = context.get("exception") or RuntimeError(context.get("message", "asyncio error"))
    kiosk.on_unexpected_error(type(error), error, error.__traceback__)
