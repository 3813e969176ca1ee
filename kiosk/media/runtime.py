"""Programmes' machinery once the first frame is painted: the video player, the
downloads and the live-stream probes. Qt-free.

:class:`MediaService` is built by the composition root after the home screen is
painted and owns each part until :meth:`MediaService.close`. It is playback's
:class:`~kiosk.programmes.playback.Supply`. Everything other threads produce
(libvlc's events, the opened player, download progress, probe answers) comes back
to the GUI thread through one :class:`~kiosk.work.HandBack`.
"""

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.media.cache import MediaCache
from kiosk.media.downloads import DownloadWorker, Wanted
from kiosk.media.live_probe import stream_answers
from kiosk.media.progress import Progress
from kiosk.media.vlc_video import PlayerEvent, VlcVideo, open_video
from kiosk.programmes.playback import Playback
from kiosk.status import StatusBoard
from kiosk.work import HandBack, Worker, hand_back
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.programmes import MediaFile

log = logging.getLogger(__name__)


def wanted_for(config: KioskConfig) -> list[Wanted]:
    """Every file the library and today's notices (their pictures and recordings,
    whichever days they are for) need on disk."""
    wanted = []
    for video in config.library:
        wanted.append(Wanted(video.title, video.video))
        if video.subtitles is not None:
            wanted.append(Wanted(video.title, video.subtitles))
    for notice in config.notices:
        wanted += [Wanted(notice.title, m) for m in (notice.picture, notice.voice) if m]
    return wanted


class MediaService:
    """One per run of the kiosk; a service (:mod:`kiosk.services`)."""

    def __init__(
        self,
        config: KioskConfig,
        playback: Playback,
        cache: MediaCache,
        status: StatusBoard,
        to: HandBack,
        vlc_args: Sequence[str],
        repository_media: str | None,
        seed_folder: Path | None = None,
        credential: tuple[str, str] | None = None,
    ) -> None:
        """*repository_media*: the enrolled box's default download address (the
        repository's ``targets/media``), used unless the configuration names one;
        *seed_folder*: the demo's bundled files; *credential*: the box's certificate
        and key files, for downloads from city hall."""
        self._playback = playback
        self._status = status
        self._to = to
        self._vlc_args = tuple(vlc_args)
        self._repository_media = repository_media
        self._worker = Worker("kiosk-media", to, threads=2)
        self.video: VlcVideo | None = None
        self._speaker: str | None = None
        self._surface: int | None = None
        self._closed = False
        base, quota = self._source(config)
        self.downloads = DownloadWorker(
            cache, base, quota, self._report, to, seed=seed_folder, credential=credential
        )
        self._library = wanted_for(config)

    def start(self) -> None:
        """Start libvlc (in the background) and the downloads."""
        self._worker.run(
            lambda: open_video(self._vlc_args, self._post),
            self._video_ready,
            lambda error: log.error("video playback unavailable: %s", error),
        )
        self.downloads.start()
        self.downloads.want(self._library)

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration: its library, download address and quota from now on."""
        self.downloads.reconfigure(*self._source(config))
        library = wanted_for(config)
        if library != self._library:
            self._library = library
            self.downloads.want(library)

    def show_on(self, surface: int | None) -> None:
        """Draw video into the native window *surface* (an X11 window id; ``None``: let
        libvlc open its own), now or once libvlc has started."""
        self._surface = surface
        if self.video is not None and surface is not None:
            self.video.set_window(surface)

    def use_speaker(self, device: str) -> None:
        """Programmes play on *device* (also once libvlc has started, if not yet)."""
        self._speaker = device
        if self.video is not None:
            self.video.use_speaker(device)

    async def close(self) -> None:
        """Stop downloads, probes and the player (taken from playback first, so that
        nothing uses it once freed). Safe to call twice."""
        self._closed = True
        self.downloads.close()
        self._worker.close()
        if self.video is not None:
            self._playback.detach()
            self.video.close()
            self.video = None

    # --- playback's supply ------------------------------------------------------

    def redownload(self, media: MediaFile, bad: bool = False) -> None:
        self.downloads.redownload(media, bad)

    def probe(self, url: str, answer: Callable[[bool], None]) -> None:
        self._worker.run(lambda: stream_answers(url), answer, lambda error: answer(False))

    # --- handed back from other threads -------------------------------------------

    def _source(self, config: KioskConfig) -> tuple[str | None, int]:
        base = config.downloads.base_url or self._repository_media
        return base, config.downloads.quota_mb * 1_000_000

    def _post(self, event: PlayerEvent) -> None:
        # libvlc's own thread: hand over, nothing else (never call libvlc from here).
        hand_back(self._to, self._deliver, event)

    def _deliver(self, event: PlayerEvent) -> None:
        if not self._closed:
            self._playback.handle(event.generation, event.what)

    def _report(self, progress: Progress) -> None:
        self._status.update(downloads=progress)

    def _video_ready(self, video: VlcVideo) -> None:
        if self._closed:
            video.close()
            return
        self.video = video
        if self._speaker is not None:
            video.use_speaker(self._speaker)
        if self._surface is not None:
            video.set_window(self._surface)
        self._playback.attach(video, self)
        log.info("video player ready")
