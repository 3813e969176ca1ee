"""The kiosk on screen: its long-lived parts (:mod:`kiosk.app.parts`) and the window
built for the configuration in force. Needs a QApplication."""

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from kiosk.app.options import RunOptions
from kiosk.app.parts import Parts, build_parts
from kiosk.config import LoadedConfig
from kiosk.diagnostics import BoxFacts
from kiosk.i18n import Strings
from kiosk.navigation import Navigator
from kiosk.paths import Paths
from kiosk.programmes.conductor import Programmes
from kiosk.status import StatusBoard
from kiosk.voice import VoiceGuide

if TYPE_CHECKING:
    from kiosk.calls.desk import CallDesk
    from kiosk.messages.service import MessageService
    from kiosk.ui.qt import QApplication, QTimer
    from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)


@dataclass
class Kiosk:
    """The parts and their window. :meth:`show` puts a new configuration in force."""

    parts: Parts
    window: "KioskWindow"
    demo: bool = False
    vlc_args: tuple[str, ...] = ()
    calls: "CallDesk | None" = field(default=None, repr=False)
    """City hall's calls, once their service is up (the window shows their screen)."""
    messages: "MessageService | None" = field(default=None, repr=False)
    """Video messages to city hall, once their service is up (their screen, their badge)."""
    ticker: "QTimer | None" = field(default=None, repr=False)

    # --- what the tests and the root read -------------------------------------

    @property
    def loaded(self) -> LoadedConfig:
        return self.parts.loaded

    @property
    def strings(self) -> Strings:
        return self.window.strings

    @property
    def status(self) -> StatusBoard:
        return self.parts.status

    @property
    def voice(self) -> VoiceGuide:
        return self.parts.voice

    @property
    def navigator(self) -> Navigator:
        return self.parts.navigator

    @property
    def programmes(self) -> Programmes:
        return self.parts.programmes

    # --- over time -------------------------------------------------------------

    def tick(self) -> None:
        """About once a second: the parts' time rules, then the clock on screen."""
        _guarded(self.parts.tick)
        _guarded(self.window_tick)

    def start_ticking(self, also: Callable[[], None] | None = None) -> None:
        """Tick every second from now on (then *also*, e.g. the session's checks)."""
        from kiosk.ui.qt import QTimer

        def tick() -> None:
            self.tick()
            if also is not None:
                _guarded(also)

        self.ticker = QTimer()
        self.ticker.timeout.connect(tick)
        self.ticker.start(1000)

    def window_tick(self) -> None:
        """The window in force's clock (the window changes with the configuration)."""
        self.window.tick()

    def stop_ticking(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()

    def show(self, loaded: LoadedConfig) -> "KioskWindow":
        """Put *loaded* in force: the parts take it, a new window is built for it (and
        returned; the caller presents it and closes the old one)."""
        self.parts.reconfigure(loaded)
        self.window = build_window(self.parts, self.demo, self.vlc_args)
        if self.calls is not None:
            self.window.attach_calls(self.calls, self.status.status)
        if self.messages is not None:
            self.window.attach_messages(self.messages)
        return self.window

    def attach_messages(self, messages: "MessageService") -> None:
        """Video messages came up: the window shows their screen and their tile's badge."""
        self.messages = messages
        self.window.attach_messages(messages)

    def attach_calls(self, desk: "CallDesk | None") -> None:
        """Calls came up (or went): the window shows their screen."""
        self.calls = desk
        if desk is not None:
            # City hall's calls that ring out unanswered are kept for the home screen.
            desk.missed = self.parts.missed.missed
            desk.talked = self.parts.missed.talked
            self.window.attach_calls(desk, self.status.status)

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
        """Release the window and the sound. Safe to call twice."""
        self.stop_ticking()
        self.parts.alert_screens.close()
        self.parts.notices.close()
        self.parts.playback.stop()
        self.window.close_window()
        self.parts.voice.close()


def _guarded(step: Callable[[], object]) -> None:
    """One step of the one-second tick, its own supervision boundary: one failing never
    stops the others, nor the next second."""
    try:
        step()
    except Exception:  # supervision boundary, see the docstring
        log.exception("the one-second tick failed in %s", getattr(step, "__qualname__", step))


def put_on_screen(
    app: "QApplication", options: RunOptions, kiosk: Kiosk, old: "KioskWindow | None"
) -> None:
    """Show the kiosk's window full screen, and route input and unexpected errors to it."""
    import sys

    from kiosk.ui.screen import present

    present(kiosk.window, app, options.windowed, kiosk.loaded.config.display.show_cursor)
    if old is not None:
        app.removeEventFilter(old)
    app.installEventFilter(kiosk.window)
    sys.excepthook = kiosk.on_unexpected_error


def build_kiosk(
    loaded: LoadedConfig,
    paths: Paths,
    language: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: "Callable[[], dt.datetime] | None" = None,
    vlc_args: tuple[str, ...] = (),
    demo: bool = False,
) -> Kiosk:
    """Every part of a running kiosk except the services and the event loop."""
    parts = build_parts(loaded, paths, language, clock, wall_clock)
    return Kiosk(parts, build_window(parts, demo, vlc_args), demo, vlc_args)


def build_window(parts: Parts, demo: bool, vlc_args: tuple[str, ...]) -> "KioskWindow":
    """The window for the configuration in force."""
    from kiosk.ui.question import QuestionOverlay
    from kiosk.ui.window import KioskWindow

    config = parts.loaded.config
    window = KioskWindow(
        config,
        parts.strings(),
        parts.navigator,
        parts.status,
        parts.paths.assets / "icons",
        parts.programmes,
        parts.gate,
        parts.wall,
        BoxFacts(parts.paths, demo, config.calls),
        parts.voice.speaker_test,
        lambda: _open_monitor(vlc_args),
        parts.alert_screens,
        parts.notices.notices,
        missed=parts.missed,
    )
    # A meeting's question covers the whole window (a child of it, gone with it).
    QuestionOverlay(parts.questions, window.strings, lambda: window.theme, window)
    return window


def _open_monitor(vlc_args: tuple[str, ...]) -> object:
    """libvlc for the diagnostics screen's camera preview and microphone meter."""
    from kiosk.media.vlc_monitor import Monitor

    return Monitor(vlc_args)
