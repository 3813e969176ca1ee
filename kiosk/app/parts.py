"""The kiosk's long-lived, Qt-free parts: built once per run, before the first frame,
and reconfigured (never rebuilt) when a new configuration comes into force.

Only the window is rebuilt for a new configuration (its tiles, colours and words);
it renders these parts and forwards presses to them.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kiosk.alerts import AlertScreens
from kiosk.calls.floor import FloorBoard
from kiosk.config import LoadedConfig
from kiosk.fleet.attendance import Attendance
from kiosk.fleet.board import AlertBoard
from kiosk.fleet.questions import QuestionBoard, programme_gives_way
from kiosk.i18n import Strings
from kiosk.lockout import PinGate, doors_of
from kiosk.media.cache import MediaCache
from kiosk.missed import MissedCallButtons, MissedCalls, record_path
from kiosk.navigation import Navigator
from kiosk.notices import NoticeScreens, TodaysNotices
from kiosk.paths import Paths
from kiosk.programmes.conductor import Programmes
from kiosk.programmes.playback import Playback
from kiosk.programmes.schedule import CentreClock, StartedRecord
from kiosk.status import Status, StatusBoard
from kiosk.voice import VoiceGuide
from kiosk_contract.config import KioskConfig

log = logging.getLogger(__name__)


@dataclass
class Parts:
    """What every screen depends on, for the whole run."""

    paths: Paths
    language: str | None
    """The language asked for on the command line (``None``: the configuration's)."""
    loaded: LoadedConfig
    """The configuration in force."""
    status: StatusBoard
    zone: CentreClock
    """The centre's time zone (the configuration's)."""
    wall: Callable[[], dt.datetime]
    """Now, in the centre's time (the zone's clock, or a test's)."""
    voice: VoiceGuide
    navigator: Navigator
    playback: Playback
    programmes: Programmes
    gate: PinGate
    cache: MediaCache
    alerts: AlertBoard
    """City hall's alerts accepted by this box (the fleet link offers them; the screen
    shows and acknowledges them)."""
    alert_screens: AlertScreens
    notices: NoticeScreens
    """Today's notices (:attr:`NoticeScreens.notices`) and their screens."""
    missed: MissedCalls
    """City hall's calls nobody answered (the call desk reports them; the home screen
    shows them, its buttons through the navigator)."""
    questions: QuestionBoard = field(default_factory=QuestionBoard)
    """City hall's question in a meeting of this centre's rooms (the fleet link offers
    it; the question screen shows it and sends the answer back through the link)."""
    floor: FloorBoard = field(default_factory=FloorBoard)
    """Who may speak in this centre's town meetings, and its raised hands (the fleet
    link offers the floors and sends the hands; the call desk follows them)."""
    attendance: Attendance = field(default_factory=Attendance)
    """The meeting room the centre is in now (the calls' service sets it from the call
    desk; the fleet status reports it, so that city hall counts who is present)."""

    def strings(self) -> Strings:
        """The words of the screen, in the language in force."""
        return Strings(self._language(self.loaded.config))

    def reconfigure(self, loaded: LoadedConfig) -> None:
        """Put *loaded* in force everywhere (only at a safe moment: nothing plays, no
        call is up, the senior is on the home screen)."""
        config = loaded.config
        self.loaded = loaded
        self.zone.reconfigure(config)
        self.voice.reconfigure(config.voice, self._prompt_dirs(config))
        self.navigator.reconfigure(config)
        self.playback.reconfigure(config)
        self.programmes.reconfigure(config)
        self.gate.reconfigure(config)
        self.notices.notices.reconfigure(config)
        self.floor.reconfigure(config.centre.id)

    def tick(self) -> None:
        """About once a second: the timetable, playback's timers, expired alerts, a new
        day's notices, idle return."""
        self.programmes.tick()
        self.alerts.tick()
        self.questions.tick()
        self.floor.tick()
        self.notices.notices.tick()
        self.missed.tick()
        self.navigator.tick()

    def _language(self, config: KioskConfig) -> Literal["ko", "en"]:
        return language_of(config, self.language)

    def _prompt_dirs(self, config: KioskConfig) -> list[Path]:
        return self.paths.voice_dirs(self._language(config))


def language_of(config: KioskConfig, asked: str | None) -> Literal["ko", "en"]:
    """The screen's language: the one asked for on the command line, else the
    configuration's."""
    return "en" if (asked or config.display.language) == "en" else "ko"


def build_parts(
    loaded: LoadedConfig,
    paths: Paths,
    language: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall: "Callable[[], dt.datetime] | None" = None,
) -> Parts:
    """Every long-lived part for *loaded*. *clock* (monotonic seconds) and *wall* (the
    centre's time) are the tests' to fake."""
    config = loaded.config
    zone = CentreClock(config.centre.timezone)
    now = wall or zone
    status = StatusBoard(Status(config_problem=loaded.problem))
    voice = VoiceGuide(config.voice, paths.voice_dirs(language_of(config, language)), paths.sounds)
    navigator = Navigator(
        config.tiles,
        config.keys,
        config.idle,
        clock,
        leader_idle_s=config.leader.leave_after_s,
        announce=voice.announce,
        calls=config.calls,
    )
    cache = MediaCache(paths.media)
    playback = Playback(config, cache, clock)
    programmes = Programmes(
        config, navigator, playback, now, clock, StartedRecord(paths.auto_started)
    )
    navigator.set_opener("programme", programmes.open_tile)
    navigator.set_opener("live", programmes.open_tile)
    gate = PinGate(doors_of(config), paths.leader_pin_record)
    alerts = AlertBoard(paths.alerts_record, lambda: now().timestamp())
    alert_screens = AlertScreens(alerts, navigator, voice)
    notices = TodaysNotices(config, alerts, cache, now, paths.notices_opened)
    missed = MissedCalls(record_path(paths.state), now)
    MissedCallButtons(missed, navigator)  # kept by the navigator and the record
    return Parts(
        paths,
        language,
        loaded,
        status,
        zone,
        now,
        voice,
        navigator,
        playback,
        programmes,
        gate,
        cache,
        alerts,
        alert_screens,
        NoticeScreens(notices, navigator, voice),
        missed,
        questions=QuestionBoard(
            lambda: now().timestamp(), voice.read, voice.bundled, programme_gives_way(navigator)
        ),
        floor=FloorBoard(config.centre.id, lambda: now().timestamp()),
    )
