"""The composition root: builds the concrete objects and wires them together.

Nothing else in the package creates long-lived collaborators; they are passed
in. The home screen is painted first; slow parts (libvlc for voice prompts,
and later calls and media) start after the first frame.
"""

import datetime as dt
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kiosk.config import LoadedConfig, builtin_config, load_with_fallback
from kiosk.config.programmes import MediaFile
from kiosk.diagnostics import BoxFacts
from kiosk.i18n import Strings
from kiosk.lockout import PinGate
from kiosk.maintenance import NightlyRestart
from kiosk.media.cache import MediaCache
from kiosk.navigation import Navigator
from kiosk.paths import Paths
from kiosk.programmes.conductor import Programmes
from kiosk.programmes.playback import Playback
from kiosk.programmes.schedule import centre_clock
from kiosk.status import Status, StatusBoard
from kiosk.sync.enrolment import load_enrolment
from kiosk.systemd import notify
from kiosk.voice import SoundPlayer, VoiceGuide

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop
    from concurrent.futures import Future

    from kiosk.devices.watch import DeviceWatch
    from kiosk.session import Session
    from kiosk.sync.enrolment import Enrolment
    from kiosk.ui.qt import QApplication
    from kiosk.ui.screen import StopRequest
    from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)

NIGHTLY_QUIET_S = 300
"""The planned restart waits for five minutes without a touch on the home screen."""


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
        BoxFacts(paths, demo),
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
    _install(app, kiosk, None)
    present(kiosk.window, app, options.windowed, loaded.config.display.show_cursor)
    wait_first_frame(kiosk.window)
    log.info("home screen painted %.0f ms after start", (time.monotonic() - options.started) * 1000)
    notify("READY=1")
    if stop.requested.is_set():
        kiosk.close()
        return 0
    return _run_loop(app, options, kiosk, enrolment, stop)


def _run_loop(
    app: "QApplication",
    options: RunOptions,
    kiosk: Kiosk,
    enrolment: "Enrolment | None",
    stop: "StopRequest",
) -> int:
    """The asyncio loop on Qt's, the voice player, and (on an enrolled box) the config watch."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    os.environ.setdefault("QT_API", "pyside6")  # spares qasync probing other bindings
    import qasync

    from kiosk.media.runtime import MediaRuntime
    from kiosk.media.vlc_sound import open_sound_player
    from kiosk.session import Session
    from kiosk.ui.qt import QTimer
    from kiosk.ui.screen import present

    paths = options.paths

    def build(loaded: LoadedConfig, status: StatusBoard) -> Kiosk:
        return build_kiosk(
            loaded,
            paths,
            options.language,
            status=status,
            hooks=hooks,
            vlc_args=options.vlc_args,
            demo=options.demo,
        )

    def swap(new: Kiosk, old: Kiosk) -> None:
        present(new.window, app, options.windowed, new.loaded.config.display.show_cursor)
        _install(app, new, old)
        media.handover(new, old)
        if devices is not None:
            devices.set_policy(new.loaded.config.devices)
        old.window.setProperty("locked", False)
        old.window.close()

    session = Session(kiosk, paths, build, swap)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(lambda _loop, context: _loop_error(session.kiosk, context))
    hooks = kiosk.hooks
    media = MediaRuntime(
        MediaCache(paths.media),
        loop,
        lambda: session.kiosk,
        hooks,
        options.vlc_args,
        f"{enrolment.server}/targets/media" if enrolment else None,
        paths.assets / "demo" / "media" if options.demo else None,
    )
    media.start()
    devices = _watch_devices(loop, session)
    device_fd = devices.fileno if devices is not None else -1
    slow = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-start")
    future = slow.submit(open_sound_player, options.vlc_args)
    future.add_done_callback(
        lambda done: loop.call_soon_threadsafe(_attach_player, session.kiosk.voice, done)
    )
    wall = centre_clock(kiosk.loaded.config.centre.timezone)
    # The demo runs in someone's window: it never restarts itself.
    restart_at = None if options.demo else kiosk.loaded.config.maintenance.restart_at
    nightly = NightlyRestart(restart_at, wall())

    def tick() -> None:
        session.tick()
        if nightly.due(wall(), session.kiosk.navigator.is_safe_moment(NIGHTLY_QUIET_S)):
            # systemd (Restart=always) starts a fresh kiosk: memory hygiene.
            log.info("planned quiet-hours restart")
            closing.set()

    ticker = QTimer()
    ticker.timeout.connect(tick)
    ticker.start(1000)

    watch = None
    if enrolment is not None:
        from kiosk.sync.child import check_in_child
        from kiosk.sync.watch import ConfigWatch

        interval = kiosk.loaded.config.sync.interval_s
        watch = ConfigWatch(lambda: check_in_child(paths), interval, session.on_sync_result)
        # `systemctl reload kiosk` (SIGHUP): a technician asks for a check now.
        signal.signal(signal.SIGHUP, lambda *_: loop.call_soon_threadsafe(watch.wake))
    closing = asyncio.Event()
    stop.on_stop = lambda: loop.call_soon_threadsafe(closing.set)
    app.lastWindowClosed.connect(closing.set)

    async def main() -> None:
        if watch is not None:
            watch.start()
        try:
            await closing.wait()
        finally:
            if watch is not None:
                await watch.close()

    code = 0
    with loop:
        try:
            loop.run_until_complete(main())
        except RuntimeError as err:
            # Qt's loop ended under us, e.g. the display server went away: nothing
            # can be shown any more, so end and let systemd start us again.
            log.error("stopping: the event loop ended unexpectedly (%s)", err)
            code = 1
    ticker.stop()
    if devices is not None:
        loop.remove_reader(device_fd)
        devices.close()
    session.kiosk.close()
    media.close()
    slow.shutdown(wait=False, cancel_futures=True)
    log.info("kiosk stopped")
    return code


def _watch_devices(loop: "AbstractEventLoop", session: "Session") -> "DeviceWatch | None":
    """Follow cameras, microphones and speakers; the status strip shows what is chosen.

    Without udev (a container, a broken install) the kiosk runs on, devices unknown.
    """
    import pyudev

    from kiosk.devices.status import facts
    from kiosk.devices.watch import DeviceWatch

    try:
        watch = DeviceWatch(
            pyudev.Context(),
            session.kiosk.loaded.config.devices,
            lambda devices, choice: session.kiosk.status.update(**facts(devices, choice)),
        )
        loop.add_reader(watch.start(), watch.readable)
    except (OSError, ImportError) as err:
        log.error("cannot follow cameras and sound devices (udev): %s", err)
        return None
    return watch


def _install(app: "QApplication", new: Kiosk, old: Kiosk | None) -> None:
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
