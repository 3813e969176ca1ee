"""The kiosk's life after its first frame: the asyncio loop on Qt's, and what runs on it.

Started by :func:`kiosk.app.run` once the home screen is painted: libvlc for prompts
and video, downloads, the device watch, the configuration watch on an enrolled box,
the one-second tick (the session's safe-moment swaps and the quiet-hours restart).
Everything started here is stopped here.
"""

import asyncio
import importlib
import logging
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from kiosk.app import Kiosk, RunOptions, build_kiosk, route_input
from kiosk.config import LoadedConfig
from kiosk.maintenance import NightlyRestart
from kiosk.media.cache import MediaCache
from kiosk.programmes.schedule import centre_clock
from kiosk.status import Status, StatusBoard

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

    from kiosk.devices.watch import DeviceWatch
    from kiosk.media.runtime import MediaRuntime
    from kiosk.media.vlc_sound import VlcSoundPlayer
    from kiosk.session import Session
    from kiosk.sync.enrolment import Enrolment
    from kiosk.ui.qt import QApplication
    from kiosk.ui.screen import StopRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

NIGHTLY_QUIET_S = 300
"""The planned restart waits for five minutes without a touch on the home screen."""


def run_loop(
    app: "QApplication",
    options: RunOptions,
    kiosk: Kiosk,
    enrolment: "Enrolment | None",
    stop: "StopRequest",
) -> int:
    """The asyncio loop on Qt's, the voice player, and (on an enrolled box) the config watch."""
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
        route_input(app, new, old)
        media.handover(new, old)
        if calls_ready.done() and calls_ready.exception() is None:
            closing_calls.add(loop.create_task(old.close_calls()))
            new.connect_calls(options.demo)
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
    speakers = SpeakerFollower(media)
    future.add_done_callback(
        lambda done: loop.call_soon_threadsafe(
            _when_ready, done, "voice prompts", speakers.voice_ready(session)
        )
    )
    # A speaker unplugged mid-programme: the sound moves to the next one chosen.
    forget_speakers = session.kiosk.status.subscribe(speakers.follow)
    speakers.follow(session.kiosk.status.status)
    # Calls: aiortc is imported off the GUI thread, then the desk starts on the loop.
    closing_calls: set[asyncio.Task[None]] = set()
    calls_ready = slow.submit(importlib.import_module, "kiosk.calls.desk")
    calls_ready.add_done_callback(
        lambda done: loop.call_soon_threadsafe(
            _when_ready, done, "calls", lambda _: session.kiosk.connect_calls(options.demo)
        )
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

    async def hang_up_everything() -> None:
        await session.kiosk.close_calls()
        for task in closing_calls:
            await task

    code = 0
    with loop:
        try:
            loop.run_until_complete(main())
            loop.run_until_complete(hang_up_everything())
        except RuntimeError as err:
            # Qt's loop ended under us, e.g. the display server went away: nothing
            # can be shown any more, so end and let systemd start us again.
            log.error("stopping: the event loop ended unexpectedly (%s)", err)
            code = 1
    ticker.stop()
    if devices is not None:
        loop.remove_reader(device_fd)
        devices.close()
    forget_speakers()
    session.kiosk.close()
    media.close()
    slow.shutdown(wait=False, cancel_futures=True)
    log.info("kiosk stopped")
    return code


class SpeakerFollower:
    """Sends programmes, voice prompts and the ring to the chosen speaker (calls
    follow it themselves, see :class:`kiosk.calls.local.DeviceMedia`)."""

    def __init__(self, media: "MediaRuntime") -> None:
        self._media = media
        self._voice: VlcSoundPlayer | None = None
        self._device: str | None = None

    def voice_ready(self, session: "Session") -> "Callable[[VlcSoundPlayer], None]":
        def ready(player: "VlcSoundPlayer") -> None:
            session.kiosk.voice.attach(player)
            self._voice = player
            if self._device is not None:
                player.use_speaker(self._device)

        return ready

    def follow(self, status: Status) -> None:
        speaker = status.choice.speaker
        if speaker is None or speaker.node == self._device:
            return  # none attached: keep the last (sound comes back when it does)
        self._device = speaker.node
        log.info("sound goes to %s (%s)", speaker.label, speaker.node)
        self._media.use_speaker(speaker.node)
        if self._voice is not None:
            self._voice.use_speaker(speaker.node)


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


def _loop_error(kiosk: Kiosk, context: dict[str, Any]) -> None:
    error = context.get("exception") or RuntimeError(context.get("message", "asyncio error"))
    kiosk.on_unexpected_error(type(error), error, error.__traceback__)


def _when_ready(done: Future[T], what: str, then: Callable[[T], object]) -> None:
    """Hand what a start-up thread made to *then* (on the loop); a part that could not
    start is logged and the kiosk runs on without it (no sound, no calls)."""
    try:
        made = done.result()
    except Exception as err:  # noqa: BLE001 - a missing part is not a reason to stop
        log.error("%s unavailable: %s", what, err)
        return
    then(made)
