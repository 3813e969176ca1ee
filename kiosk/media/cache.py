"""The media cache: verified library files on disk, played from there.

A file enters the cache only after its SHA-256 and size matched the signed
configuration (:mod:`kiosk.media.downloads` fetches them); an index of
verified files (size and modification time) lets playback trust a file
without hashing it again. Qt-free.
"""

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path

from kiosk_contract.config.programmes import MediaFile
from kiosk_contract.files import CHUNK, sha256_of, write_atomically

log = logging.getLogger(__name__)


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

    def part(self, media: MediaFile) -> Path:
        """Where *media* is written while it arrives."""
        return self.folder / f"{media.file}.part"

    def admit(self, media: MediaFile, digest: str) -> None:
        """Move the finished part file of *media* into the cache if its SHA-256 (*digest*)
        and size are those of the signed configuration; else delete it, ``ValueError``."""
        part = self.part(media)
        if digest != media.sha256 or part.stat().st_size != media.size:
            part.unlink()
            raise ValueError(f"{media.file} does not match its signature")
        part.replace(self.path(media))
        index = self._index()
        index[media.file] = [media.size, self.path(media).stat().st_mtime_ns]
        self._write_index(index)

    def import_file(self, media: MediaFile, source: Path) -> None:
        """Copy a local *source* in (the demo, a technician's USB stick), if its hash matches."""
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with source.open("rb") as src, self.part(media).open("wb") as out:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        self.admit(media, digest.hexdigest())

    def import_folder(self, folder: Path, wanted: Iterable[MediaFile]) -> None:
        """Copy in each of *wanted* that *folder* holds and the cache lacks (the demo's
        bundled videos), whatever the file is called there; one that fails is logged."""
        by_hash = {sha256_of(path): path for path in folder.iterdir() if path.is_file()}
        for media in wanted:
            source = by_hash.get(media.sha256)
            if source is None or self.ready(media):
                continue
            try:
                self.import_file(media, source)
            except (OSError, ValueError) as err:
                log.error("%s not taken into the cache: %s", source.name, err)

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
