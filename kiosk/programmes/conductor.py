"""Ties playback, the timetable and the screens together. Qt-free; GUI thread only.

- A programme or live tile, the schedule banner, an auto-start entry and the
  leader all start programmes through :meth:`Programmes.start`.
- Leaving the playing screen (stop, ``Escape``, the leader) stops playback;
  playback ending returns home, or says calmly why it could not go on.
"""

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.navigation import LEADER_SCREENS, Activity, Navigator, Screen, View
from kiosk.programmes.playback import Notice, NowPlaying, Playback
from kiosk.programmes.schedule import Banner, Occurrence, StartedRecord, Timetable
from kiosk_contract.config.model import KioskConfig, Tile
from kiosk_contract.config.programmes import Programme

log = logging.getLogger(__name__)


class Programmes:
    """The centre's programmes as the senior and the leader meet them."""

    def __init__(
        self,
        config: KioskConfig,
        navigator: Navigator,
        playback: Playback,
        wall_clock: Callable[[], dt.datetime],
        clock: Callable[[], float],
        started: StartedRecord | None = None,
    ) -> None:
        self._config = config
        self._navigator = navigator
        self.playback = playback
        self.timetable = Timetable(config.schedule, started)
        self._wall_clock = wall_clock
        self._clock = clock
        self.banner: Banner | None = None
        self._banner_listeners: list[Callable[[Banner | None], None]] = []
        navigator.subscribe(self._on_view)
        playback.subscribe(self._on_playback)

    def subscribe_banner(self, listener: Callable[[Banner | None], None]) -> Callable[[], None]:
        """Call *listener* with each new banner; returns the unsubscribe callable."""
        self._banner_listeners.append(listener)
        return lambda: self._banner_listeners.remove(listener)

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration: its programmes and timetable from now on."""
        self._config = config
        self.timetable.reconfigure(config.schedule)
        self._set_banner(None)

    def open_tile(self, tile: Tile) -> Screen:
        """Opener for ``programme`` and ``live`` tiles."""
        programme = self._config.programme(tile.target)
        if programme is None:
            log.error("tile %s names programme %r, which is not configured", tile.id, tile.target)
            return self._not_ready(Notice.NOT_READY)
        if not self.playback.start(programme):
            return self._not_ready(self.playback.finished_with or Notice.NOT_READY)
        return Screen.PLAYING

    def start(self, programme_id: str, until: float | None = None) -> bool:
        """Start a programme now (banner, schedule, leader); ``False`` if it cannot play."""
        programme = self._config.programme(programme_id)
        return programme is not None and self._play(programme, until)

    def play_video(self, video_id: str) -> bool:
        """The leader picked one library video: play it alone."""
        video = self._config.video(video_id)
        if video is None:
            return False
        return self._play(Programme(id=video.id, title=video.title, videos=[video.id]), None)

    def title_of(self, programme_id: str) -> str:
        programme = self._config.programme(programme_id)
        return programme.title if programme else programme_id

    def join_banner(self) -> None:
        banner = self.banner
        if banner is None:
            return
        self.timetable.mark_started(banner.occurrence)
        self.start(banner.occurrence.slot.programme, self._until(banner.occurrence))

    def tick(self) -> None:
        """About once a second."""
        self.playback.tick()
        view = self._navigator.view
        free = view.screen is Screen.HOME and not self._navigator.busy
        banner, due = self.timetable.check(self._wall_clock(), kiosk_free=free)
        if due is not None:
            log.info("timetable: starting %s by itself", due.slot.programme)
            self.start(due.slot.programme, self._until(due))
        self._set_banner(banner)

    def _set_banner(self, banner: Banner | None) -> None:
        if banner != self.banner:
            self.banner = banner
            self._navigator.set_banner(self.join_banner if banner else None)
            for listener in list(self._banner_listeners):
                listener(banner)

    def today(self) -> list[Occurrence]:
        return self.timetable.today(self._wall_clock())

    def _until(self, occurrence: Occurrence) -> float | None:
        """Live broadcasts from the timetable end with their entry; recordings run to their end."""
        programme = self._config.programme(occurrence.slot.programme)
        if programme is None or not programme.live_url:
            return None
        left = (occurrence.end - self._wall_clock()).total_seconds()
        return self._clock() + max(left, 0.0)

    def _play(self, programme: Programme, until: float | None) -> bool:
        if self.playback.start(programme, until):
            self._navigator.show_playing()
            return True
        self._navigator.show_not_ready((self.playback.finished_with or Notice.NOT_READY).value)
        return False

    def _not_ready(self, notice: Notice) -> Screen:
        self._navigator.show_not_ready(notice.value)
        return Screen.NOT_READY

    def _on_view(self, view: View) -> None:
        behind = view.screen is Screen.PLAYING or view.screen in LEADER_SCREENS
        if not behind and self.playback.now is not None:
            self.playback.stop()

    def _on_playback(self, now: NowPlaying | None) -> None:
        if now is not None:
            return
        navigator = self._navigator
        notice = self.playback.finished_with
        if navigator.view.screen is Screen.PLAYING and notice is not None:
            navigator.show_not_ready(notice.value)  # says why, then home by itself
        else:
            # Home from the playing screen; behind leader mode (the leader stopped it,
            # or it ran out), leader mode stays with nothing behind it.
            navigator.activity_ended(Activity.PROGRAMME)
