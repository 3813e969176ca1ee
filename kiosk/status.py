"""The status strip's facts: camera, microphone, network. Qt-free.

Later capabilities (devices, calls, configuration sync) feed it; the UI shows
it as pictures. ``UNKNOWN`` means nobody has looked yet.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kiosk.devices.model import Device
from kiosk.devices.policy import Choice
from kiosk.media.progress import Progress


class Level(enum.Enum):
    """State of one indicator."""

    UNKNOWN = "unknown"
    OK = "ok"
    MISSING = "missing"


@dataclass(frozen=True)
class Status:
    """Everything the status strip shows."""

    camera: Level = Level.UNKNOWN
    microphone: Level = Level.UNKNOWN
    speaker: Level = Level.UNKNOWN
    network: Level = Level.UNKNOWN
    config_problem: str | None = None
    """Why the wanted configuration was refused (technicians read it), or ``None``."""
    downloads: Progress = field(default_factory=Progress)
    """How far the media library has been downloaded."""
    devices: tuple[Device, ...] = ()
    """Every camera, microphone and speaker attached (for the diagnostics screen)."""
    choice: Choice = field(default_factory=lambda: Choice(None, None, None))
    """The ones in use."""


class StatusBoard:
    """Holds the current :class:`Status` and tells subscribers when it changes."""

    def __init__(self, status: Status | None = None) -> None:
        self._status = status or Status()
        self._listeners: list[Callable[[Status], None]] = []

    @property
    def status(self) -> Status:
        return self._status

    def update(self, **changes: object) -> None:
        """Change some fields; listeners hear about it once, if anything changed."""
        new = replace(self._status, **changes)  # type: ignore[arg-type]
        if new == self._status:
            return
        self._status = new
        for listener in list(self._listeners):
            listener(new)

    def subscribe(self, listener: Callable[[Status], None]) -> Callable[[], None]:
        """Call *listener* with each new status; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
