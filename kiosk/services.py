"""The long-lived services of a running kiosk, and the one shape they share. Qt-free.

A service (media, the device watch, the configuration watch, the quiet-hours
restart, the speaker follower, calls) is built from the configuration in force
by the composition root, hears every new configuration through
:meth:`Service.reconfigure`, and is closed once through :meth:`Service.close`.
A setting a service reads only at start is a bug unless the schema says it
takes effect after a restart.
"""

import logging
from typing import Protocol, TypeVar

from kiosk_contract.config import KioskConfig

log = logging.getLogger(__name__)


class Service(Protocol):
    """GUI thread; :meth:`close` runs on the event loop and is safe to call twice."""

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration is in force: use its settings from now on."""

    async def close(self) -> None:
        """Stop: every thread, task, device and connection the service owns ends."""


S = TypeVar("S", bound=Service)


class Services:
    """The running services in the order they started; closed in reverse."""

    def __init__(self) -> None:
        self._running: list[Service] = []

    def add(self, service: S) -> S:
        self._running.append(service)
        return service

    def __contains__(self, service: object) -> bool:
        return service in self._running

    def reconfigure(self, config: KioskConfig) -> None:
        """Hand *config* to every service. One that fails is logged and keeps running on
        what it had; the others still hear of it."""
        for service in list(self._running):
            try:
                service.reconfigure(config)
            except Exception:  # supervision boundary: one service must not stop the rest
                log.exception("%s could not take the new configuration", type(service).__name__)

    async def close(self) -> None:
        """Close every service, the last started first. Safe to call twice."""
        running, self._running = self._running, []
        for service in reversed(running):
            try:
                await service.close()
            except Exception:  # supervision boundary: closing the rest matters more
                log.exception("%s did not close cleanly", type(service).__name__)
