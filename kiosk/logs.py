"""Logging to stderr in a form journald understands.

Under systemd, each line starts with ``<N>`` (the syslog priority), which
journald turns into the entry's level; at a terminal, lines carry a time instead.
"""

import logging
import sys
from collections.abc import Callable

_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{_PRIORITY.get(record.levelno, 6)}>"
        text = super().format(record)
        return "\n".join(prefix + line for line in text.splitlines())


def setup_logging(level: str) -> None:
    """Send all records at *level* and above to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


MESSAGE_CHARS = 300
"""The longest last error kept (a status report is small)."""


class LastError(logging.Handler):
    """Remembers the last record at ERROR or above, for the box's status at city hall.

    Installed on the root logger by the composition root. Thread-safe: records come
    from any thread, and so do the calls to each subscriber (keep them to a hand-over).
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: tuple[str, int] | None = None
        """The message (one line, at most :data:`MESSAGE_CHARS`) and its Unix time."""
        self._listeners: list[Callable[[], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                text = f"{text} ({type(error).__name__}: {error})"
        except Exception:  # noqa: BLE001 - logging's own contract: a bad record never raises
            self.handleError(record)
            return
        line = " ".join(text.split())
        self.last = (f"{record.name}: {line}"[:MESSAGE_CHARS], int(record.created))
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* after each such record; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
