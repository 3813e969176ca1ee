"""The one thread that downloads library files, and the way the GUI talks to it.

The GUI thread calls :meth:`DownloadWorker.want` (a new library) and
:meth:`DownloadWorker.redownload` (a file failed to play); the worker runs the
:class:`~kiosk.media.cache.Downloader` and hands each progress report to
*report*, which must pass it on to the GUI thread itself (the app uses
``loop.call_soon_threadsafe``). Failed files are tried again every
``retry_s`` seconds.
"""

import logging
import threading
from collections.abc import Callable, Sequence

from kiosk.config.programmes import MediaFile
from kiosk.media.cache import Downloader, MediaCache, Progress, Wanted

log = logging.getLogger(__name__)


class DownloadWorker:
    """Owns the download thread from :meth:`start` to :meth:`close`."""

    def __init__(
        self,
        cache: MediaCache,
        base_url: str,
        quota_bytes: int,
        report: Callable[[Progress], None],
        retry_s: float = 300.0,
    ) -> None:
        self.cache = cache
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._wanted: list[Wanted] | None = None
        self._pending = False
        self._retry_s = retry_s
        self._downloader = Downloader(cache, base_url, quota_bytes, report, self._stop.is_set)
        self._thread = threading.Thread(target=self._run, name="kiosk-downloads", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def want(self, wanted: Sequence[Wanted]) -> None:
        """Make the cache hold exactly *wanted* (a new library arrived)."""
        with self._wake:
            self._wanted = list(wanted)
            self._pending = True
            self._wake.notify()

    def redownload(self, media: MediaFile) -> None:
        """*media* turned out missing or broken: fetch it again, soon."""
        self.cache.forget(media)
        with self._wake:
            self._pending = True
            self._wake.notify()

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the current chunk; returns within *timeout* seconds."""
        self._stop.set()
        with self._wake:
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._downloader.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                if not self._pending:
                    self._wake.wait(self._retry_s)
                wanted, self._pending = self._wanted, False
            if wanted is None or self._stop.is_set():
                continue
            try:
                progress = self._downloader.run(wanted)
            except Exception:  # supervision boundary of the thread: log, retry later
                log.exception("downloads failed unexpectedly")
                continue
            if progress.items_left == 0:
                with self._wake:  # nothing to retry: sleep until asked
                    while not self._pending and not self._stop.is_set():
                        self._wake.wait()
