"""Writing files so that a crash or power cut never leaves half of one; their digests."""

import contextlib
import hashlib
import os
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace *path* with *data*: readers see the old file or the new one, whole.

    Writes a temporary file beside it, fsyncs it, renames it over *path* and
    fsyncs the directory. Raises ``OSError`` (e.g. disk full) with *path*
    untouched. *mode* (e.g. ``0o600`` for a key): the file has it from its first
    byte, whatever the umask; otherwise the umask decides.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        out = tmp.open("wb") if mode is None else _private(tmp, mode)
        with out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _private(path: Path, mode: int) -> BinaryIO:
    """*path* opened for writing with *mode* from its creation (and kept, should an
    older file of that name have had another)."""
    out = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb")
    os.fchmod(out.fileno(), mode)
    return out


CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as src:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
