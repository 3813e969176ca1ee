"""The media cache: library files downloaded in the background and played from disk.

Files are fetched from ``<base_url>/<sha256>.<file>`` (the repository's
content-addressed layout), resumed with HTTP ranges after an interruption,
and kept only when their SHA-256 and size match the signed configuration.
A file becomes playable only after that check; an index of verified files
(size and modification time) lets playback trust a file without re-hashing
it. Files no longer in the library are deleted; the cache stays within its
quota. Qt-free; :class:`Downloader` runs on one worker thread.
"""

import contextlib
import errno
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests

from kiosk.config.programmes import MediaFile
from kiosk.files import write_atomically

log = logging.getLogger(__name__)

CHUNK = 1 << 20
TIMEOUT_S = (10.0, 30.0)
"""Connect and read time-outs of each request."""


@dataclass(frozen=True)
class Wanted:
    """A library file to have on disk, with the title shown while it downloads."""

    title: str
    media: MediaFile


@dataclass(frozen=True)
class Progress:
    """What the leader and technician see about downloads."""

    items_total: int = 0
    items_ready: int = 0
    bytes_total: int = 0
    bytes_ready: int = 0
    current: str = ""
    """Title of the file downloading now ('' when idle)."""
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def items_left(self) -> int:
        return self.items_total - self.items_ready

    @property
    def fraction(self) -> float:
        return self.bytes_ready / self.bytes_total if self.bytes_total else 1.0


class MediaCache:
    """The folder of verified files. Thread-safe for readers; one writer (the downloader)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index_path = folder / "index.json"

    def path(self, media: MediaFile) -> Path:
        return self.folder / media.file

    def ready(self, media: MediaFile) -> bool:
        """Downloaded, verified, and not changed since (size and mtime as recorded)."""
        entry = self._index().get(media.file)
        try:
            st = self.path(media).stat()
        except OSError:
            return False
        return entry == [media.size, st.st_mtime_ns] and st.st_size == media.size

    def import_file(self, media: MediaFile, source: Path) -> None:
        """Copy a local *source* in (the demo, a technician's USB stick), if its hash matches."""
        self.folder.mkdir(parents=True, exist_ok=True)
        part = self.folder / f"{media.file}.part"
        digest = hashlib.sha256()
        with source.open("rb") as src, part.open("wb") as out:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != media.sha256 or part.stat().st_size != media.size:
            part.unlink()
            raise ValueError(f"{source} does not match {media.file}")
        part.replace(self.path(media))
        self._mark_verified(media)

    def forget(self, media: MediaFile) -> None:
        """Mark a file bad (it failed to play): it is deleted and downloaded again."""
        index = self._index()
        index.pop(media.file, None)
        self._write_index(index)
        with contextlib.suppress(OSError):
            self.path(media).unlink()

    def _index(self) -> dict[str, list[int]]:
        try:
            data = json.loads(self._index_path.read_bytes())
            return {str(k): [int(n) for n in v] for k, v in dict(data).items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError) as err:
            log.error("media index unreadable (%s): every file will be checked again", err)
            return {}

    def _write_index(self, index: dict[str, list[int]]) -> None:
        write_atomically(self._index_path, json.dumps(index).encode())

    def _mark_verified(self, media: MediaFile) -> None:
        index = self._index()
        index[media.file] = [media.size, self.path(media).stat().st_mtime_ns]
        self._write_index(index)


class Downloader:
    """Brings the cache in line with the library. Call from one worker thread."""

    def __init__(
        self,
        cache: MediaCache,
        base_url: str,
        quota_bytes: int,
        report: Callable[[Progress], None] = lambda p: None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.cache = cache
        self._base = base_url.rstrip("/")
        self._quota = quota_bytes
        self._report = report
        self._stopping = stopping
        self._session = requests.Session()

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
        part = self.cache.folder / f"{media.file}.part"
        have = part.stat().st_size if part.exists() else 0
        if have > media.size:
            part.unlink()
            have = 0
        if have < media.size:
            self._download(media, part, have, moved)
        digest = hashlib.sha256()
        with part.open("rb") as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
        if digest.hexdigest() != media.sha256:
            part.unlink()
            raise DownloadError("내용이 서명과 다릅니다 / content does not match its signature")
        part.replace(self.cache.path(media))
        self.cache._mark_verified(media)
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
