"""Keeping a box's memory flat over months of calls.

Each call builds video and sound codecs on worker threads. glibc gives threads
arenas of their own and keeps what they freed there, so a box would hold its
busiest hour's memory for ever, and more arenas hold more of it. Calls limit the
arenas (:func:`limit_arenas`) and, when one ends, hand freed memory back to the
system (:func:`give_back`). Without glibc both do nothing.
"""

import ctypes

M_ARENA_MAX = -8
"""glibc's mallopt() parameter for the number of arenas."""
ARENAS = 2


def _libc() -> "ctypes.CDLL | None":
    try:
        libc = ctypes.CDLL("libc.so.6")  # glibc's soname: no ldconfig or compiler needed
        libc.malloc_trim, libc.mallopt  # noqa: B018 - both exist only in glibc
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def limit_arenas() -> None:
    """At most ARENAS malloc arenas from now on (threads started later share them)."""
    if _LIBC is not None:
        _LIBC.mallopt(M_ARENA_MAX, ARENAS)


def give_back() -> None:
    """Return freed heap memory to the system (a few milliseconds)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
