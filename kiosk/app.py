"""The composition root: builds the concrete objects and wires them together.

Nothing else in the package creates long-lived collaborators; they are passed
in. The home screen is painted first; slow parts (libvlc for voice prompts,
and later calls and media) start after the first frame.
"""

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kiosk.config import LoadedConfig, load_with_fallback
from kiosk.i18n import Strings
from kiosk.navigation import Navigator
from kiosk.paths import Paths
from kiosk.status import Status, StatusBoard
from kiosk.systemd import notify
from kiosk.voice import SoundPlayer, VoiceGuide

if TYPE_CHECKING:
    from concurrent.futures import Future

    from kiosk.ui.qt import QApplication
    from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How ``kiosk run`` was asked to start."""

    paths: Paths
    demo: bool = False
    """Use the bundled demo configuration instead of ``/etc/kiosk``."""
    windowed: bool = False
    """A normal window with a cursor, for development."""
    language: str | None = None
    """Override the configured language (``ko``/``en``)."""
    vlc_args: tuple[str, ...] = ()
    """Extra libvlc options, e.g. ``--aout=dummy`` on a machine without sound."""
    started: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the process started, for the start-up log line."""


def load_configuration(options: RunOptions) -> LoadedConfig:
    """The configuration to run with: the demo's or the box's, or a fallback."""
    paths = options.paths
    wanted = paths.assets / "demo" / "config.json" if options.demo else paths.config
    return load_with_fallback(wanted, paths.last_good_config)


def build_kiosk(
    loaded: LoadedConfig,
    paths: Paths,
    language: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> "Kiosk":
    """Build every part of a running kiosk except the event loop. Needs a QApplication."""
    from kiosk.ui.window import KioskWindow

    config = loaded.config
    lang = language or config.display.language
    strings = Strings("en" if lang == "en" else "ko")
    status = StatusBoard(Status(config_problem=loaded.problem))
    voice = VoiceGuide(config.voice, paths.voice_dirs(strings.language))
    navigator = Navigator(config.tiles, config.keys, config.idle, clock, announce=voice.announce)
    window = KioskWindow(config, strings, navigator, status, paths.assets / "icons")
    return Kiosk(loaded, strings, status, voice, navigator, window)


@dataclass
class Kiosk:
    """The built parts, each owned here and closed by :meth:`close`."""

    loaded: LoadedConfig
    strings: Strings
    status: StatusBoard
    voice: VoiceGuide
    navigator: Navigator
    window: "KioskWindow"

    def on_unexpected_error(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        """Supervision boundary for anything that escaped: log it, calm the senior, go home."""
        log.error("unexpected error; showing 'please wait'", exc_info=(kind, error, trace))
        try:
            self.navigator.fail()
        except Exception:
            log.exception("could not show the 'please wait' screen")

    def close(self) -> None:
        """Release everything. Safe to call twice."""
        self.window.close_window()
        self.voice.close()


def run(options: RunOptions) -> int:
    """``kiosk run``: show the kiosk until the session ends. Returns the exit status.

    Order matters for the senior: the home screen is painted before asyncio,
    qasync or libvlc are even imported; READY=1 tells systemd it is up.
    """
    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        # Qt would abort with a core dump; say plainly what is missing instead.
        log.critical("no screen: neither DISPLAY nor WAYLAND_DISPLAY is set")
        return 1
    from kiosk.ui.qt import QApplication, QFont

    loaded = load_configuration(options)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    from kiosk.ui.theme import FONT_FAMILY

    app.setFont(QFont(FONT_FAMILY))
    kiosk = build_kiosk(loaded, options.paths, options.language)
    app.installEventFilter(kiosk.window)
    sys.excepthook = kiosk.on_unexpected_error
    stop_requested = _stop_on_signals(app)

    _show(kiosk, app, options)
    log.info("home screen painted %.0f ms after start", (time.monotonic() - options.started) * 1000)
    notify("READY=1")

    # Only now the parts the first frame does not need.
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    os.environ.setdefault("QT_API", "pyside6")  # spares qasync probing other bindings
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(lambda _loop, context: _loop_error(kiosk, context))
    slow = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-start")
    from kiosk.media.vlc_sound import open_sound_player

    future = slow.submit(open_sound_player, options.vlc_args)
    future.add_done_callback(
        lambda done: loop.call_soon_threadsafe(_attach_player, kiosk.voice, done)
    )

    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    with loop:
        if not stop_requested.is_set():
            loop.run_until_complete(closing.wait())
    kiosk.close()
    slow.shutdown(wait=False, cancel_futures=True)
    log.info("kiosk stopped")
    return 0


def _stop_on_signals(app: "QApplication") -> threading.Event:
    """SIGTERM/SIGINT end the kiosk cleanly, even during start-up.

    Python runs the handler at its next bytecode (the one-second tick at the
    latest). The quit is queued, so a signal that lands before the main loop
    has started still ends it once it does; the returned event tells ``run``
    not to start the loop at all.
    """
    from kiosk.ui.qt import QTimer

    requested = threading.Event()

    def handle(signum: int, frame: object) -> None:
        log.info("stopping on signal %d", signum)
        requested.set()
        # exit(), not quit(): quit() asks the windows first, and the kiosk's refuses.
        QTimer.singleShot(0, lambda: app.exit(0))

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)
    return requested


def _show(kiosk: Kiosk, app: "QApplication", options: RunOptions) -> None:
    """Show the window (full screen unless windowed) and return once it is painted."""
    from kiosk.ui.qt import QEventLoop, Qt, QTimer

    window = kiosk.window
    if options.windowed:
        window.resize(1280, 720)
        window.show()
    else:
        window.locked = True
        if not kiosk.loaded.config.display.show_cursor:
            app.setOverrideCursor(Qt.CursorShape.BlankCursor)
        window.setWindowFlags(
            Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        )
        screen = app.primaryScreen()
        if screen is not None:
            window.setGeometry(screen.geometry())
        window.showFullScreen()
    window.activateWindow()
    first_frame = QEventLoop()
    window.first_painted.connect(first_frame.quit)
    QTimer.singleShot(10_000, first_frame.quit)  # no screen ever exposes it: carry on
    first_frame.exec()


def _loop_error(kiosk: Kiosk, context: dict[str, Any]) -> None:
    error = context.get("exception") or RuntimeError(context.get("message", "asyncio error"))
    kiosk.on_unexpected_error(type(error), error, error.__traceback__)


def _attach_player(voice: VoiceGuide, done: "Future[SoundPlayer]") -> None:
    try:
        player = done.result()
    except Exception as err:  # noqa: BLE001 - no sound is not a reason to stop the kiosk
        log.error("voice prompts unavailable: %s", err)
        return
    voice.attach(player)
