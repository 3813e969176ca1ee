"""Logging to stderr in a form journald understands.

Under systemd, each line starts with ``<N>`` (the syslog priority), which
journald turns into the entry's level; at a terminal, lines carry a time instead.
"""

import logging
import sys

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
