"""The run loop's media parts: the video player, the download thread and live-stream probes.

Created by the composition root once the home screen is painted; owns each
part from :meth:`MediaRuntime.start` to :meth:`MediaRuntime.close`. Results
of other threads come back to the GUI thread through *loop*
(``call_soon_threadsafe``); the kiosk they go to is looked up at delivery, so
a kiosk rebuilt for a new configuration receives them.
"""

import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kiosk.media.cache import MediaCache
from kiosk.media.downloads import DownloadWorker, Wanted
from kiosk.media.live_probe import stream_answers
from kiosk.media.progress import Progress
from kiosk.media.vlc_video import PlayerEvent, VlcVideo, open_video
from kiosk_contract.config.model import KioskConfig
from kiosk_contract.config.programmes import MediaFile

if TYPE_CHECKING:
    from kiosk.app import Kiosk, MediaHooks

log = logging.getLogger(__name__)


class Loop(Protocol):
    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> object: ...


def wanted_for(config: KioskConfig) -> list[Wanted]:
    """Every file the library needs on disk."""
    wanted = []
    for video in config.library:
        wanted.append(Wanted(video.title, video.video))
        if video.subtitles is not None:
            wanted.append(Wanted(video.title, video.subtitles))
    return wanted


class MediaRuntime:
    """One per run of the kiosk."""

    def __init__(
        self,
        cache: MediaCache,
        loop: Loop,
        current: Callable[[], "Kiosk"],
        hooks: "MediaHooks",
        vlc_args: Sequence[str],
        base_url: str | None,
        seed_folder: Path | None = None,
    ) -> None:
        self._cache = cache
        self._loop = loop
        self._current = current
        self._hooks = hooks
        self._vlc_args = tuple(vlc_args)
        self._base_url = base_url
        self._seed_folder = seed_folder
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-media")
        self.video: VlcVideo | None = None
        self._speaker: str | None = None
        self.downloads: DownloadWorker | None = None
        self._closed = False

    def start(self) -> None:
        """Start libvlc and the downloads in the background; wire playback's hooks."""
        self._hooks.redownload = self._redownload
        self._hooks.probe = self._probe
        self._threads.submit(open_video, self._vlc_args, self._post).add_done_callback(
            lambda done: self._soon(self._video_ready, done)
        )
        config = self._current().loaded.config
        if self._seed_folder is not None:
            self._threads.submit(self._seed, config)
        base = config.downloads.base_url or self._base_url
        if base is not None:
            quota = config.downloads.quota_mb * 1_000_000
            self.downloads = DownloadWorker(self._cache, base, quota, self._report)
            self.downloads.start()
            self.downloads.want(wanted_for(config))

    def handover(self, new: "Kiosk", old: "Kiosk") -> None:
        """A kiosk was built for a new configuration: give it the player and its library."""
        player = old.programmes.playback.detach()
        if player is not None and isinstance(player, VlcVideo):
            self._attach(new, player)
        if self.downloads is not None:
            self.downloads.want(wanted_for(new.loaded.config))

    def use_speaker(self, device: str) -> None:
        """Programmes play on *device* (also once libvlc has started, if not yet)."""
        self._speaker = device
        if self.video is not None:
            self.video.use_speaker(device)

    def close(self) -> None:
        self._closed = True
        if self.downloads is not None:
            self.downloads.close()
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self.video is not None:
            self.video.close()
            self.video = None

    # --- other threads hand over here -------------------------------------------

    def _soon(self, callback: Callable[..., object], *args: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the kiosk is stopping
            self._loop.call_soon_threadsafe(callback, *args)

    def _post(self, event: PlayerEvent) -> None:
        # libvlc's thread: hand over, nothing else.
        self._soon(self._deliver, event)

    def _deliver(self, event: PlayerEvent) -> None:
        if not self._closed:
            self._current().programmes.playback.handle(event.generation, event.what)

    def _report(self, progress: Progress) -> None:
        self._soon(lambda: self._current().status.update(downloads=progress))

    def _video_ready(self, done: "Future[VlcVideo]") -> None:
        try:
            video = done.result()
        except Exception as err:  # noqa: BLE001 - no video is not a reason to stop the kiosk
            log.error("video playback unavailable: %s", err)
            return
        if self._closed:
            video.close()
            return
        self.video = video
        if self._speaker is not None:
            video.use_speaker(self._speaker)
        self._attach(self._current(), video)

    def _attach(self, kiosk: "Kiosk", video: VlcVideo) -> None:
        from kiosk.ui.qt import QApplication

        if QApplication.platformName() == "xcb":
            video.set_window(kiosk.window.playing.surface.window_id())
        kiosk.programmes.playback.attach(video)
        log.info("video player ready")

    def _redownload(self, media: MediaFile) -> None:
        if self.downloads is not None:
            self.downloads.redownload(media)

    def _probe(self, url: str) -> None:
        def answer(done: "Future[bool]") -> None:
            ok = not done.cancelled() and done.exception() is None and done.result()
            self._soon(lambda: self._current().programmes.playback.live_checked(url, ok))

        self._threads.submit(stream_answers, url).add_done_callback(answer)

    def _seed(self, config: KioskConfig) -> None:
        """Demo: fill the cache from bundled files instead of a server."""
        assert self._seed_folder is not None
        wanted = [w.media for w in wanted_for(config)]
        self._cache.import_folder(self._seed_folder, wanted)
        ready = [m for m in wanted if self._cache.ready(m)]
        total = sum(m.size for m in wanted)
        self._report(Progress(len(wanted), len(ready), total, sum(m.size for m in ready)))
        log.info("demo media ready: %d of %d files", len(ready), len(wanted))
