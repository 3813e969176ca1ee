"""Library files downloaded in the background, on one thread: the cache's one writer.

Files are fetched from ``<base_url>/<sha256>.<file>`` (the repository's
content-addressed layout), resumed with HTTP ranges after an interruption,
and kept only when their SHA-256 and size match the signed configuration.
Files no longer in the library are deleted; the cache stays within its quota.

The GUI thread calls :meth:`DownloadWorker.want` (a new library),
:meth:`DownloadWorker.redownload` (a file is missing, or failed to play) and
:meth:`DownloadWorker.reconfigure` (a new server address or quota); the worker's
thread does every write to the cache (fetching, deleting bad or unwanted files,
importing the demo's bundled files) and hands each progress report back to the GUI
thread (:mod:`kiosk.work`). Failed files are tried again after about ``retry_s``
seconds (jittered, so 500 boxes do not come back in step after an outage).
"""

import contextlib
import errno
import functools
import logging
import os
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import requests

from kiosk.media.cache import MediaCache
from kiosk.media.progress import Progress
from kiosk.work import HandBack, hand_back
from kiosk_contract.config.programmes import MediaFile
from kiosk_contract.files import CHUNK, sha256_of

log = logging.getLogger(__name__)

TIMEOUT_S = (10.0, 30.0)
"""Connect and read time-outs of each request."""


@dataclass(frozen=True)
class Wanted:
    """A library file to have on disk, with the title shown while it downloads."""

    title: str
    media: MediaFile


class Downloader:
    """Brings the cache in line with the library. Call from one worker thread."""

    def __init__(
        self,
        cache: MediaCache,
        base_url: str,
        quota_bytes: int,
        report: Callable[[Progress], None] = lambda p: None,
        stopping: Callable[[], bool] = lambda: False,
        credential: tuple[str, str] | None = None,
    ) -> None:
        """*credential*: the box's certificate and key files, shown to a server that
        asks for them (city hall's serves only enrolled boxes)."""
        self.cache = cache
        self.source = (base_url, quota_bytes)
        """Where files come from and how much may be kept: ``(base_url, quota_bytes)``."""
        self._base = base_url.rstrip("/")
        self._quota = quota_bytes
        self._report = report
        self._stopping = stopping
        self._session = requests.Session()
        self._session.cert = credential

    def run(self, wanted: Sequence[Wanted]) -> Progress:
        """Delete what is no longer wanted, fetch what is missing; returns the final progress."""
        wanted = list({w.media.file: w for w in wanted}.values())
        self.cache.folder.mkdir(parents=True, exist_ok=True)
        self._remove_unwanted({w.media.file for w in wanted})
        errors: list[str] = []
        fits, room = [], self._quota
        for w in wanted:
            if w.media.size <= room:
                fits.append(w)
                room -= w.media.size
            else:
                errors.append(f"{w.title}: 저장 공간 한도 초과 / over the storage quota")
        total = sum(w.media.size for w in wanted)
        ready = [w for w in fits if self.cache.ready(w.media)]
        done = sum(w.media.size for w in ready)
        progress = Progress(len(wanted), len(ready), total, done, "", tuple(errors))
        self._report(progress)
        for w in fits:
            if w in ready or self._stopping():
                continue
            progress = Progress(
                len(wanted), progress.items_ready, total, done, w.title, tuple(errors)
            )
            self._report(progress)
            try:
                self._fetch(w, functools.partial(self._moved, progress, done))
            except DownloadError as err:
                log.error("download of %s failed: %s", w.media.file, err)
                errors.append(f"{w.title}: {err}")
                continue
            done += w.media.size
            progress = Progress(
                len(wanted), progress.items_ready + 1, total, done, "", tuple(errors)
            )
        progress = Progress(len(wanted), progress.items_ready, total, done, "", tuple(errors))
        self._report(progress)
        return progress

    def close(self) -> None:
        self._session.close()

    def _moved(self, progress: Progress, done_before: int, done_in_file: int) -> None:
        self._report(replace(progress, bytes_ready=done_before + done_in_file))

    def _remove_unwanted(self, keep: set[str]) -> None:
        for path in self.cache.folder.iterdir():
            name = path.name.removesuffix(".part")
            if path.name != "index.json" and name not in keep:
                log.info("removing %s: no longer in the library", path.name)
                with contextlib.suppress(OSError):
                    path.unlink()

    def _fetch(self, w: Wanted, moved: Callable[[int], None]) -> None:
        media = w.media
        part = self.cache.part(media)
        have = part.stat().st_size if part.exists() else 0
        if have > media.size:
            part.unlink()
            have = 0
        if have < media.size:
            self._download(media, part, have, moved)
        try:
            self.cache.admit(media, sha256_of(part))
        except ValueError as err:
            raise DownloadError(
                "내용이 서명과 다릅니다 / content does not match its signature"
            ) from err
        log.info("downloaded and verified %s (%s)", media.file, w.title)

    def _download(
        self, media: MediaFile, part: Path, have: int, moved: Callable[[int], None]
    ) -> None:
        url = f"{self._base}/{media.sha256}.{media.file}"
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with self._session.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as reply:
                if reply.status_code == 200:
                    have = 0  # the server ignored the range: start over
                elif reply.status_code != 206:
                    raise DownloadError(
                        f"서버 응답 {reply.status_code} / server said {reply.status_code}"
                    )
                with part.open("r+b" if have else "wb") as out:
                    out.seek(have)
                    out.truncate()
                    for chunk in reply.iter_content(CHUNK):
                        if self._stopping():
                            raise DownloadError("중단됨 / stopped")
                        have += len(chunk)
                        if have > media.size:
                            raise DownloadError("파일이 너무 깁니다 / longer than signed")
                        out.write(chunk)
                        moved(have)
                    out.flush()
                    os.fsync(out.fileno())
        except requests.RequestException as err:
            raise DownloadError(
                f"연결 실패 / cannot reach the server ({type(err).__name__})"
            ) from err
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise DownloadError("저장 공간 부족 / disk full") from err
            raise DownloadError(f"저장 실패 / cannot store: {err.strerror}") from err
        if have < media.size:
            raise DownloadError("다운로드가 끊겼습니다 / download cut short")


class DownloadError(Exception):
    """One file could not be fetched; the message is shown to the leader as is."""


class DownloadWorker:
    """Owns the download thread from :meth:`start` to :meth:`close`.

    *base_url* ``None``: no server (the demo); files come only from *seed*, a folder
    of bundled files taken in by their hash.
    """

    def __init__(
        self,
        cache: MediaCache,
        base_url: str | None,
        quota_bytes: int,
        report: Callable[[Progress], None],
        to: HandBack,
        retry_s: float = 300.0,
        seed: Path | None = None,
        rng: random.Random | None = None,
        credential: tuple[str, str] | None = None,
    ) -> None:
        self.cache = cache
        self._credential = credential
        self._report = report
        self._to = to
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._wanted: list[Wanted] | None = None
        self._bad: list[MediaFile] = []
        self._pending = False
        self._retry_s = retry_s
        self._seed = seed
        self._rng = rng or random.Random()
        self._source = (base_url, quota_bytes)
        self._downloader: Downloader | None = None
        self._thread = threading.Thread(target=self._run, name="kiosk-downloads", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def want(self, wanted: Sequence[Wanted]) -> None:
        """Make the cache hold exactly *wanted* (a new library arrived)."""
        with self._wake:
            self._wanted = list(wanted)
            self._pending = True
            self._wake.notify()

    def redownload(self, media: MediaFile, bad: bool = False) -> None:
        """*media* is missing, or (*bad*) failed to play and is deleted first: fetch it soon."""
        with self._wake:
            if bad:
                self._bad.append(media)
            self._pending = True
            self._wake.notify()

    def reconfigure(self, base_url: str | None, quota_bytes: int) -> None:
        """Fetch from *base_url* within *quota_bytes* from now on (a new configuration)."""
        with self._wake:
            if (base_url, quota_bytes) == self._source:
                return
            self._source = (base_url, quota_bytes)
            self._pending = True
            self._wake.notify()
        log.info("downloads from %s, within %d MB", base_url or "nowhere", quota_bytes // 10**6)

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the current chunk; returns within *timeout* seconds."""
        self._stop.set()
        with self._wake:
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._downloader is not None:
            self._downloader.close()

    # --- the download thread -------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                if not self._pending:
                    self._wake.wait(self._retry_s * self._rng.uniform(0.75, 1.25))
                wanted, self._pending = self._wanted, False
                bad, self._bad = self._bad, []
                source = self._source
            if wanted is None or self._stop.is_set():
                continue
            try:
                progress = self._bring_up_to_date(wanted, bad, source)
            except Exception:  # supervision boundary of the thread: log, retry later
                log.exception("downloads failed unexpectedly")
                continue
            if progress is None or progress.items_left == 0:
                with self._wake:  # nothing to retry: sleep until asked
                    while not self._pending and not self._stop.is_set():
                        self._wake.wait()

    def _bring_up_to_date(
        self, wanted: list[Wanted], bad: list[MediaFile], source: tuple[str | None, int]
    ) -> Progress | None:
        """Deletes, imports and fetches; the progress, or ``None`` when there is no
        server to try again."""
        for media in bad:
            self.cache.forget(media)
        if self._seed is not None:
            self.cache.import_folder(self._seed, [w.media for w in wanted])
        base_url, quota = source
        if base_url is None:
            self._on_disk(wanted)
            return None
        downloader = self._downloader
        if downloader is None or downloader.source != source:
            if downloader is not None:
                downloader.close()
            downloader = Downloader(
                self.cache, base_url, quota, self._post, self._stop.is_set, self._credential
            )
            self._downloader = downloader
        return downloader.run(wanted)

    def _on_disk(self, wanted: list[Wanted]) -> None:
        """No server: what the cache holds is all there is."""
        files = list({w.media.file: w.media for w in wanted}.values())
        ready = [m for m in files if self.cache.ready(m)]
        total, done = sum(m.size for m in files), sum(m.size for m in ready)
        self._post(Progress(len(files), len(ready), total, done))
        log.info("media on disk: %d of %d files", len(ready), len(files))

    def _post(self, progress: Progress) -> None:
        hand_back(self._to, self._report, progress)
