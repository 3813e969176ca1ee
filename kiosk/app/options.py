"""How ``kiosk run`` was asked to start."""

import time
from dataclasses import dataclass, field

from kiosk.paths import Paths


@dataclass(frozen=True)
class RunOptions:
    """How ``kiosk run`` was asked to start."""

    paths: Paths
    demo: bool = False
    """Use the bundled demo configuration; no enrolment, no configuration server."""
    windowed: bool = False
    """A normal window with a cursor, for development."""
    language: str | None = None
    """Override the configured language (``ko``/``en``)."""
    vlc_args: tuple[str, ...] = ()
    """Extra libvlc options, e.g. ``--aout=dummy`` on a machine without sound."""
    started: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the process started, for the start-up log line."""
