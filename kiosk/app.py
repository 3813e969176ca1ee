"""The composition root: builds the concrete objects and wires them together.

Nothing else in the package (but its second half, :mod:`kiosk.runloop`)
creates long-lived collaborators; they are passed in. The home screen is
painted first; slow parts (libvlc, downloads, devices, the configuration
watch) start after the first frame, in :func:`kiosk.runloop.run_loop`.
"""

import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from kiosk.config import LoadedConfig, builtin_config, load_with_fallback
from kiosk.diagnostics import BoxFacts
from kiosk.i18n import Strings
from kiosk.lockout import PinGate
from kiosk.media.cache import MediaCache
from kiosk.navigation import Navigator
from kiosk.paths import Paths
from kiosk.programmes.conductor import Programmes
from kiosk.programmes.playback import Playback
from kiosk.programmes.schedule import centre_clock
from kiosk.status import Status, StatusBoard
from kiosk.sync.enrolment import load_enrolment
from kiosk.systemd import notify
from kiosk.voice import VoiceGuide
from kiosk_contract.config.programmes import MediaFile

if TYPE_CHECKING:
    from kiosk.calls.desk import CallDesk
    from kiosk.calls.screens import CallScreens
    from kiosk.sync.enrolment import Enrolment
    from kiosk.ui.qt import QApplication
    from kiosk.ui.screen import StopRequest
    from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How ``kiosk run`` was asked to start."""

    paths: Paths
    demo: bool = False
    """Use the bundled demo configuration; no enrolment, no configuration server."""
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


@dataclass
class MediaHooks:
    """What playback asks of the run loop's threads; filled in once they exist
    and shared by every kiosk built for a new configuration."""

    redownload: Callable[[MediaFile], None] = lambda media: None
    probe: Callable[[str], None] = lambda url: None


def build_kiosk(
    loaded: LoadedConfig,
    paths: Paths,
    language: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    status: StatusBoard | None = None,
    hooks: MediaHooks | None = None,
    wall_clock: "Callable[[], dt.datetime] | None" = None,
    vlc_args: tuple[str, ...] = (),
    demo: bool = False,
) -> "Kiosk":
    """Build every part of a running kiosk except the event loop. Needs a QApplication.

    *status* and *hooks* carry over when a kiosk is rebuilt.
    """
    from kiosk.ui.window import KioskWindow

    config = loaded.config
    lang = language or config.display.language
    strings = Strings("en" if lang == "en" else "ko")
    if status is None:
        status = StatusBoard(Status(config_problem=loaded.problem))
    link = hooks or MediaHooks()
    wall = wall_clock or centre_clock(config.centre.timezone)
    voice = VoiceGuide(config.voice, paths.voice_dirs(strings.language))
    navigator = Navigator(
        config.tiles,
        config.keys,
        config.idle,
        clock,
        leader_idle_s=config.leader.leave_after_s,
        announce=voice.announce,
    )
    playback = Playback(
        config,
        MediaCache(paths.media),
        None,
        clock,
        lambda media: link.redownload(media),
        lambda url: link.probe(url),
    )
    programmes = Programmes(config, navigator, playback, wall, clock)
    navigator.set_opener("programme", programmes.open_tile)
    navigator.set_opener("live", programmes.open_tile)
    doors = {"leader": config.leader.pin_hash, "technician": config.technician.pin_hash}
    gate = PinGate(doors, paths.leader_pin_record)
    window = KioskWindow(
        config,
        strings,
        navigator,
        status,
        paths.assets / "icons",
        programmes,
        gate,
        wall,
        BoxFacts(paths, demo, config.calls),
        voice.speaker_test,
        lambda: _open_monitor(vlc_args),
    )
    return Kiosk(loaded, strings, status, voice, navigator, programmes, window, link)


@dataclass
class Kiosk:
    """The built parts, each owned here and closed by :meth:`close`."""

    loaded: LoadedConfig
    strings: Strings
    status: StatusBoard
    voice: VoiceGuide
    navigator: Navigator
    programmes: Programmes
    window: "KioskWindow"
    hooks: MediaHooks
    calls: "CallDesk | None" = None
    """Calls with city hall, once connected (after the first frame; none if not configured)."""
    call_screens: "CallScreens | None" = None
    _forget_devices: Callable[[], None] = field(default=lambda: None, repr=False)

    def connect_calls(self, demo: bool, start: bool = True) -> None:
        """Build the call desk for this configuration and (with *start*) start its line
        on the running loop.

        aiortc takes ~0.4 s to import: the run loop imports it in the background first.
        """
        from kiosk.calls.desk import CallDesk
        from kiosk.calls.local import DeviceMedia
        from kiosk.calls.screens import CallScreens

        config = self.loaded.config
        if config.calls.server is None or self.calls is not None:
            return
        wall = centre_clock(config.centre.timezone)
        media = DeviceMedia()
        media.use(self.status.status.choice)
        # A camera, microphone or speaker plugged or unplugged reaches the call at once.
        self._forget_devices = self.status.subscribe(lambda status: media.use(status.choice))
        desk = CallDesk(config.calls, config.centre.id, media, wall)
        if demo:
            # The demo's city hall lives in a private network only root can make;
            # without it, no packet is sent towards its address.
            from kiosk.demolink import demo_city_hall_up

            desk.reachable = demo_city_hall_up
        screens = CallScreens(desk, self.navigator, ring=self.voice.ring)
        self.navigator.set_opener("call", screens.open_tile)
        self.navigator.set_opener("group", screens.open_tile)
        self.window.attach_calls(desk, self.status.status)
        self.calls, self.call_screens = desk, screens
        if start:
            desk.start()

    async def close_calls(self) -> None:
        """Hang up and leave city hall's server. Safe to call twice."""
        desk, self.calls = self.calls, None
        self._forget_devices()
        self._forget_devices = _nothing
        if self.call_screens is not None:
            self.call_screens.close()
            self.call_screens = None
        if desk is not None:
            await desk.close()

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
        except Exception:  # the last line of defence must not raise itself
            log.exception("could not show the 'please wait' screen")

    def close(self) -> None:
        """Release everything. Safe to call twice."""
        self.programmes.playback.stop()
        self.window.close_window()
        self.voice.close()


def _nothing() -> None:
    pass


def _open_monitor(vlc_args: tuple[str, ...]) -> object:
    """libvlc for the diagnostics screen's camera preview and microphone meter."""
    from kiosk.media.vlc_monitor import Monitor

    return Monitor(vlc_args)


def run(options: RunOptions) -> int:
    """``kiosk run``: show the kiosk until the session ends. Returns the exit status.

    Order matters for the senior: the home screen is painted before asyncio,
    qasync or libvlc are even imported; READY=1 tells systemd it is up. A box
    that is not enrolled shows the technician's enrolment screen first.
    """
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
    """The enrolment screen if needed, the home screen, then the main loop."""
    from kiosk.ui.screen import present, wait_first_frame

    paths = options.paths
    enrolment = None if options.demo else load_enrolment(paths)
    if not options.demo and enrolment is None:
        enrolment = _enrol_on_screen(app, options, stop)
        if enrolment is None:
            return 0

    loaded = load_configuration(options)
    kiosk = build_kiosk(
        loaded, paths, options.language, vlc_args=options.vlc_args, demo=options.demo
    )
    route_input(app, kiosk, None)
    present(kiosk.window, app, options.windowed, loaded.config.display.show_cursor)
    wait_first_frame(kiosk.window)
    log.info("home screen painted %.0f ms after start", (time.monotonic() - options.started) * 1000)
    notify("READY=1")
    if stop.requested.is_set():
        kiosk.close()
        return 0
    from kiosk.runloop import run_loop

    return run_loop(app, options, kiosk, enrolment, stop)


def route_input(app: "QApplication", new: Kiosk, old: Kiosk | None) -> None:
    """Route input and unexpected errors to *new* (and away from *old*)."""
    if old is not None:
        app.removeEventFilter(old.window)
    app.installEventFilter(new.window)
    sys.excepthook = new.on_unexpected_error


def _enrol_on_screen(
    app: "QApplication", options: RunOptions, stop: "StopRequest"
) -> "Enrolment | None":
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
