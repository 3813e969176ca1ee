"""Giving a finished call's memory back to the system.

Each call builds video and sound codecs on worker threads; glibc keeps what they
freed in per-thread arenas, so a box that runs for months would hold its busiest
hour's memory for ever. ``malloc_trim`` returns it; elsewhere this does nothing.
"""

import ctypes
import ctypes.util


def _trim() -> "ctypes._NamedFuncPointer | None":
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_MALLOC_TRIM = _trim()


def give_back() -> None:
    """Return freed heap memory to the system (a few milliseconds)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
