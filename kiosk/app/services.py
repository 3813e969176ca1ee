"""Starting the kiosk's services once the home screen is painted: media (libvlc,
downloads), voice prompts, the device watch, the speaker follower, the quiet-hours
restart, the configuration watch and the fleet link to city hall's broker (an enrolled
box; the link idles while the configuration names no broker) and calls (once aiortc
is imported in the background). Each is a :class:`~kiosk.services.Service`."""

import asyncio
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.app.kiosk import Kiosk
from kiosk.app.options import RunOptions
from kiosk.app.parts import Parts
from kiosk.devices.watch import DeviceWatch
from kiosk.identity import client_cert, tls_context
from kiosk.logs import LastError
from kiosk.maintenance import NightlyRestart
from kiosk.media.runtime import MediaService
from kiosk.media.speakers import SpeakerFollower
from kiosk.messages.service import MessageService
from kiosk.services import Services
from kiosk.sync.enrolment import Enrolment
from kiosk.sync.result import SyncResult
from kiosk.sync.watch import ConfigWatch
from kiosk.work import Worker

if TYPE_CHECKING:
    from kiosk.fleet.link import FleetLink
    from kiosk.media.vlc_sound import VlcSoundPlayer

log = logging.getLogger(__name__)


@dataclass
class Running:
    """This run's services; *all* reconfigures and closes every one of them."""

    all: Services
    media: MediaService
    nightly: NightlyRestart
    watch: ConfigWatch | None
    start_up: Worker
    """Opens the slow parts (the sound player, the calls' libraries) after the first frame."""
    errors: LastError
    """The last error logged (on the root logger for this run; the fleet status reports it)."""
    fleet: "FleetLink | None" = None
    """The link to city hall's broker, once its library is loaded (enrolled boxes)."""

    async def close(self) -> None:
        self.start_up.close()
        await self.all.close()
        logging.getLogger().removeHandler(self.errors)


def start_services(
    loop: asyncio.AbstractEventLoop,
    options: RunOptions,
    kiosk: Kiosk,
    enrolment: Enrolment | None,
    on_sync_result: Callable[[SyncResult], None],
) -> Running:
    """Start every service of this run on *loop* (the GUI thread's, under qasync)."""
    parts, paths = kiosk.parts, options.paths
    config = parts.loaded.config
    services = Services()
    errors = LastError()
    logging.getLogger().addHandler(errors)
    start_up = Worker("kiosk-start", loop)
    media = services.add(
        MediaService(
            config,
            parts.playback,
            parts.cache,
            parts.status,
            loop,
            options.vlc_args,
            f"{enrolment.server}/targets/media" if enrolment else None,
            paths.assets / "demo" / "media" if options.demo else None,
            client_cert(paths) if enrolment else None,
        )
    )
    media.start()
    devices = _watch_devices(loop, kiosk)
    if devices is not None:
        services.add(devices)
    # A speaker unplugged mid-programme: the sound moves to the next one chosen.
    services.add(SpeakerFollower(parts.status, [media, parts.voice])).start()
    start_up.run(
        lambda: _open_sound_player(options.vlc_args),
        parts.voice.attach,
        lambda error: log.error("voice prompts unavailable: %s", error),
    )
    nightly = services.add(
        NightlyRestart(config.maintenance.restart_at, parts.wall(), demo=options.demo)
    )
    watch = None
    if enrolment is not None:
        from kiosk.sync.child import check_in_child

        watch = services.add(
            ConfigWatch(
                lambda: check_in_child(paths),
                config.sync.interval_s,
                on_sync_result,
                Worker("kiosk-sync", loop),
            )
        )
        watch.start(loop)

    def calls_ready(module: object) -> None:
        from kiosk.app.calls import CallService

        calls = services.add(
            CallService(
                parts.loaded.config,
                parts.navigator,
                parts.status,
                parts.voice,
                parts.wall,
                options.demo,
                paths,
                enrolment.identity if enrolment else None,
                parts.floor,
                parts.attendance,
            )
        )
        kiosk.attach_calls(calls.desk)
        calls.start()

    # The line's modules (websockets) off the GUI thread, then the desk starts on the loop.
    start_up.run(
        lambda: importlib.import_module("kiosk.app.calls"),
        calls_ready,
        lambda error: log.error("calls unavailable: %s", error),
    )
    # Video messages to city hall (의견 남기기): their screen, and the uploader that sends
    # them as the box's identity once it is enrolled.
    messages = services.add(
        MessageService(
            paths,
            parts.navigator,
            parts.status,
            loop,
            enrolment.identity if enrolment else None,
            lambda: tls_context(paths),
        )
    )
    kiosk.attach_messages(messages)
    messages.start()
    running = Running(services, media, nightly, watch, start_up, errors)
    if enrolment is not None:

        def fleet_ready(module: object) -> None:
            link = fleet_link(loop, parts, errors, options.started)
            running.fleet = services.add(link)
            running.fleet.start()

        # paho-mqtt off the GUI thread, then the link starts its own thread.
        start_up.run(
            lambda: importlib.import_module("kiosk.fleet.link"),
            fleet_ready,
            lambda error: log.error("fleet link unavailable: %s", error),
        )
    return running


def fleet_link(
    loop: asyncio.AbstractEventLoop, parts: Parts, errors: LastError, started: float
) -> "FleetLink":
    """The link to city hall's broker (not started): the box's status out, gathered
    from *parts* and *errors* (*started*: when the kiosk started, monotonic), alerts in
    to the board, the board's receipts back."""
    from kiosk.fleet.link import FleetLink
    from kiosk.fleet.report import BoxReport

    paths = parts.paths
    report = BoxReport(
        lambda: parts.loaded.config,
        parts.status,
        parts.navigator,
        parts.alerts,
        errors,
        paths.state,
        started=started,
        attendance=parts.attendance,
    )
    link = FleetLink(
        parts.loaded.config,
        lambda: tls_context(paths),
        parts.alerts,
        report,
        loop,
        questions=parts.questions,
        floor=parts.floor,
    )
    parts.alerts.attach(link.report_receipt, link.forget_receipt)
    parts.questions.attach(link.send_answer, link.forget_answer)
    parts.floor.attach(link.send_hand)
    return link


def _open_sound_player(vlc_args: tuple[str, ...]) -> "VlcSoundPlayer":
    from kiosk.media.vlc_sound import open_sound_player

    return open_sound_player(vlc_args)


def _watch_devices(loop: asyncio.AbstractEventLoop, kiosk: Kiosk) -> DeviceWatch | None:
    """Follow cameras, microphones and speakers; the status strip shows what is chosen.

    Without udev (a container, a broken install) the kiosk runs on, devices unknown.
    """
    import pyudev

    from kiosk.devices.status import facts

    status = kiosk.status
    try:
        watch = DeviceWatch(
            pyudev.Context(),
            kiosk.loaded.config.devices,
            lambda devices, choice: status.update(**facts(devices, choice)),
        )
        watch.start(loop)
    except (OSError, ImportError) as err:
        log.error("cannot follow cameras and sound devices (udev): %s", err)
        return None
    return watch
