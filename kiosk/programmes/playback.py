"""What is playing: a programme's videos in order, or a live broadcast with its fallback.

Qt-free and libvlc-free: the player is an :class:`Output`, its events arrive
through :meth:`Playback.handle` on the GUI thread, and time through
:meth:`Playback.tick`. Rules:

- A programme starts with its first video that is in the cache; videos not
  there yet are skipped and asked for again. None there: it does not start
  (:data:`Notice.NOT_READY`), so the senior never faces a black screen.
- A video that fails to play is marked bad (the media service, the cache's
  one writer, deletes it and downloads it again) and playback ends with
  :data:`Notice.NOT_READY`.
- A live broadcast that ends, fails, or stops moving for :data:`STALL_S`
  is *lost*: the programme's fallback recording plays if it is in the cache
  (otherwise a "broadcast interrupted" notice), and the stream is probed
  every :data:`PROBE_S`; when it answers, live resumes. With no recording
  (or once it ran out) the screen says the broadcast is interrupted; after
  :data:`GIVE_UP_S` of that, playback ends.
- When the last video ends, or a scheduled broadcast reaches its end time,
  playback ends and the kiosk goes home.

What plays is one :class:`Mode`, changed only by :meth:`Playback._enter`, which
logs ``old -> new``.
"""

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from kiosk.media.cache import MediaCache
from kiosk_contract.config.model import KioskConfig
from kiosk_contract.config.programmes import MediaFile, Programme, Video

log = logging.getLogger(__name__)

STALL_S = 8.0
PROBE_S = 3.0
GIVE_UP_S = 120.0
VOLUME_STEP = 10


class Happened(enum.Enum):
    PLAYING = "playing"
    FIRST_FRAME = "first_frame"
    ENDED = "ended"
    ERROR = "error"


class Mode(enum.Enum):
    """What the player is doing for the senior."""

    STOPPED = "stopped"
    """Nothing plays."""
    RECORDING = "recording"
    """A library video of the programme plays (one after the other)."""
    LIVE = "live"
    """The live stream plays."""
    FALLBACK = "fallback"
    """The live stream was lost: its recording plays while the stream is probed."""
    WAITING = "waiting"
    """The live stream was lost and nothing can stand in: "broadcast interrupted",
    probing, until it answers or :data:`GIVE_UP_S` passes."""


LOST = (Mode.FALLBACK, Mode.WAITING)
"""The live stream is being probed."""


class Output(Protocol):
    """The video player (libvlc in the app)."""

    def play(self, source: str | Path, subtitles: Path | None = None) -> int: ...
    def pause(self, paused: bool) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, percent: int) -> None: ...
    def position_ms(self) -> int: ...


class Supply(Protocol):
    """Where playback's files and streams come from (the media service). GUI thread."""

    def redownload(self, media: MediaFile, bad: bool = False) -> None:
        """Fetch *media* soon; with *bad* (it failed to play) delete the cached copy first."""

    def probe(self, url: str, answer: Callable[[bool], None]) -> None:
        """Ask whether the live stream at *url* answers now; *answer* is called later,
        on the GUI thread, with the outcome."""


class Notice(enum.Enum):
    """What the senior is told, as a key into the strings."""

    NOT_READY = "video_not_ready"
    LIVE_FALLBACK = "live_fallback"
    LIVE_DOWN = "live_down"
    LIVE_BACK = "live_back"


@dataclass(frozen=True)
class NowPlaying:
    programme: Programme
    title: str
    live: bool
    """The live stream is on screen (not a recording)."""
    paused: bool = False
    notice: Notice | None = None
    position: int = 0
    """1-based place in the playlist."""
    count: int = 1


class Playback:
    """Owns the one thing playing. Call every method from the GUI thread.

    Nothing plays until :meth:`attach` hands over the player and the media supply
    (libvlc starts after the first frame).
    """

    def __init__(
        self,
        config: KioskConfig,
        cache: MediaCache,
        clock: Callable[[], float],
        volume: int = 80,
    ) -> None:
        self._config = config
        self._cache = cache
        self._output: Output = _NoPlayer()
        self._supply: Supply = _NoSupply()
        self._has_player = False
        self._clock = clock
        self.volume = volume
        self.mode = Mode.STOPPED
        self.now: NowPlaying | None = None
        self.finished_with: Notice | None = None
        """Why the last playback ended early (``None``: it ran to its end or was stopped)."""
        self._listeners: list[Callable[[NowPlaying | None], None]] = []
        self._queue: list[Video] = []
        self._generation = -1
        self._until: float | None = None
        self._last_move = (0.0, -1)
        self._lost_since = 0.0
        self._waiting_since = 0.0
        self._next_probe = 0.0
        self._probing = False
        """A probe was sent and has not answered yet."""
        self._current: Video | None = None
        """The library video on screen (``None`` while live or waiting)."""
        self._count = 1
        self._pictured = -1
        """Generation of the last media that showed a picture."""

    def subscribe(self, listener: Callable[[NowPlaying | None], None]) -> Callable[[], None]:
        """Call *listener* with what plays at each change; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def attach(self, output: Output, supply: Supply) -> None:
        """The player is up (libvlc starts after the first frame), and where files come from."""
        self._output = output
        self._supply = supply
        self._has_player = True

    def detach(self) -> None:
        """Stop, and let go of the player (the media service is about to free it)."""
        self.stop()
        self._output, self._supply, self._has_player = _NoPlayer(), _NoSupply(), False

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration (applied only while nothing plays): its library from now on."""
        self.stop()
        self._config = config

    # --- starting and stopping -----------------------------------------------

    def start(self, programme: Programme, until: float | None = None) -> bool:
        """Play *programme*; ``False`` (nothing started) when none of it is ready.

        *until* is a clock time at which a scheduled broadcast ends by itself.
        """
        self._halt()
        self.finished_with = None
        self._until = until
        if not self._has_player:
            log.warning("programme %s asked for before the player started", programme.id)
            self.finished_with = Notice.NOT_READY
            return False
        if programme.live_url:
            self._show(NowPlaying(programme, programme.title, live=True))
            self._play_live()
            return True
        videos = [v for ref in programme.videos if (v := self._config.video(ref))]
        self._queue = [v for v in videos if self._ready(v)]
        if not self._queue:
            log.warning("programme %s: no video ready yet", programme.id)
            self.finished_with = Notice.NOT_READY
            return False
        self._count = len(self._queue)
        self._next_video(programme)
        return True

    def stop(self) -> None:
        """Stop and go home (the senior pressed stop, or the leader did)."""
        if self.now is not None:
            log.info("playback of %s stopped", self.now.programme.id)
            self._finish(None)

    def toggle_pause(self) -> None:
        now = self.now
        if now is None:
            return
        self._output.pause(not now.paused)
        self._show(_replace(now, paused=not now.paused))

    def change_volume(self, steps: int) -> int:
        self.volume = max(0, min(100, self.volume + steps * VOLUME_STEP))
        self._output.set_volume(self.volume)
        return self.volume

    # --- events and time -----------------------------------------------------

    def handle(self, generation: int, what: Happened) -> None:
        """An event from the player (already on the GUI thread)."""
        now = self.now
        if now is None or generation != self._generation:
            return
        mode = self.mode
        if what is Happened.PLAYING:
            self._output.set_volume(self.volume)
        elif what is Happened.FIRST_FRAME:
            self._pictured = generation
        elif mode is Mode.LIVE and what in (Happened.ENDED, Happened.ERROR):
            self._live_lost("the stream " + what.value)
        elif what is Happened.ERROR or self._pictured != generation:
            # An error, or an "end" before any picture: the file is broken.
            log.error("%s could not be played: downloading it again", now.title)
            if self._current is not None:
                self._supply.redownload(self._current.video, bad=True)
            self._finish(Notice.NOT_READY)
        elif what is Happened.ENDED:
            if mode is Mode.FALLBACK:
                self._wait_for_live(now)  # the recording ran out before the stream came back
            elif self._queue:
                self._next_video(now.programme)
            else:
                self._finish(None)

    def tick(self) -> None:
        """About once a second: stalls, probes, the scheduled end."""
        now = self.now
        if now is None:
            return
        t = self._clock()
        if self._until is not None and t >= self._until:
            log.info("%s reached its scheduled end", now.programme.id)
            self._finish(None)
            return
        if self.mode is Mode.LIVE and not now.paused:
            position = self._output.position_ms()
            if position != self._last_move[1]:
                self._last_move = (t, position)
            elif t - self._last_move[0] >= STALL_S:
                self._live_lost(f"no picture for {STALL_S:.0f} s")
                return
        if self.mode is Mode.WAITING and t - self._waiting_since >= GIVE_UP_S:
            self._finish(Notice.LIVE_DOWN)
        elif self.mode in LOST and t >= self._next_probe and not self._probing:
            self._next_probe = t + PROBE_S
            url = str(now.programme.live_url)
            self._probing = True  # one at a time: a slow server must not pile them up
            self._supply.probe(url, lambda answers: self._probed(url, answers))

    def _probed(self, url: str, available: bool) -> None:
        self._probing = False
        self.live_checked(url, available)

    def live_checked(self, url: str, available: bool) -> None:
        """The answer to a probe (on the GUI thread)."""
        now = self.now
        if now is None or self.mode not in LOST or url != now.programme.live_url:
            return
        if available:
            log.info("live stream of %s is back", now.programme.id)
            self._show(NowPlaying(now.programme, now.programme.title, live=True))
            self._play_live(Notice.LIVE_BACK)

    # --- internals ---------------------------------------------------------------

    def _enter(self, mode: Mode, why: str = "") -> None:
        """The one place the mode changes."""
        if mode is self.mode:
            return
        log.info("playback %s -> %s%s", self.mode.value, mode.value, f" ({why})" if why else "")
        self.mode = mode

    def _ready(self, video: Video) -> bool:
        ok = self._cache.ready(video.video) and (
            video.subtitles is None or self._cache.ready(video.subtitles)
        )
        if not ok:
            self._supply.redownload(video.video)
        return ok

    def _play_video(self, video: Video) -> None:
        """Put a cached library video (with its lyrics) on screen."""
        self._current = video
        subtitles = self._cache.path(video.subtitles) if video.subtitles else None
        self._generation = self._output.play(self._cache.path(video.video), subtitles)

    def _next_video(self, programme: Programme) -> None:
        video = self._queue.pop(0)
        self._enter(Mode.RECORDING, video.id)
        self._play_video(video)
        self._show(
            NowPlaying(
                programme,
                video.title,
                live=False,
                position=self._count - len(self._queue),
                count=self._count,
            )
        )

    def _play_live(self, notice: Notice | None = None) -> None:
        now = self.now
        assert now is not None and now.programme.live_url
        self._enter(Mode.LIVE, now.programme.id)
        self._current = None
        self._last_move = (self._clock(), -1)
        self._generation = self._output.play(now.programme.live_url)
        if notice is not None:
            self._show(_replace(now, notice=notice, live=True))

    def _fallback(self) -> Video | None:
        now = self.now
        if now is None or now.programme.fallback is None:
            return None
        video = self._config.video(now.programme.fallback)
        return video if video is not None and self._ready(video) else None

    def _live_lost(self, why: str) -> None:
        now = self.now
        assert now is not None
        log.warning("live stream of %s lost: %s", now.programme.id, why)
        self._lost_since = self._clock()
        self._next_probe = self._lost_since + PROBE_S
        fallback = self._fallback()
        if fallback is None:
            self._wait_for_live(now)
            return
        self._enter(Mode.FALLBACK, why)
        self._play_video(fallback)
        self._show(
            NowPlaying(now.programme, fallback.title, live=False, notice=Notice.LIVE_FALLBACK)
        )

    def _wait_for_live(self, now: NowPlaying) -> None:
        """Nothing to show: say the broadcast is interrupted, keep probing, give up later."""
        self._enter(Mode.WAITING, "nothing to show meanwhile")
        self._output.stop()
        self._generation = -1
        self._current = None
        self._waiting_since = self._clock()
        self._show(_replace(now, live=False, notice=Notice.LIVE_DOWN))

    def _halt(self) -> None:
        self._enter(Mode.STOPPED)
        self._output.stop()
        self._generation = -1
        self._queue = []
        self._current = None

    def _finish(self, notice: Notice | None) -> None:
        self._halt()
        self.finished_with = notice
        self._show(None)

    def _show(self, now: NowPlaying | None) -> None:
        self.now = now
        for listener in list(self._listeners):
            listener(now)


class _NoPlayer:
    """Stands in until libvlc has started."""

    def play(self, source: str | Path, subtitles: Path | None = None) -> int:
        return -1

    def pause(self, paused: bool) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, percent: int) -> None: ...

    def position_ms(self) -> int:
        return 0


class _NoSupply:
    """Stands in until the media service has started: nothing plays before then."""

    def redownload(self, media: MediaFile, bad: bool = False) -> None: ...
    def probe(self, url: str, answer: Callable[[bool], None]) -> None: ...


def _replace(now: NowPlaying, **changes: object) -> NowPlaying:
    return replace(now, **changes)  # type: ignore[arg-type]
