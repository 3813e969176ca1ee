"""Following devices as they come and go: a udev monitor read on the event loop.

The monitor's file descriptor is handed to the loop (``loop.add_reader``), so
nothing blocks and no thread is involved: when udev reports a camera or sound
device added or removed, :meth:`DeviceWatch.readable` drains the events,
enumerates again (a few milliseconds) and tells *on_change* if what is
attached, or what is chosen, changed. A service (:mod:`kiosk.services`): a new
configuration's device policy chooses again at once.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kiosk.devices.discover import discover
from kiosk.devices.model import Device
from kiosk.devices.policy import Choice, choose
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.model import Devices

log = logging.getLogger(__name__)

SUBSYSTEMS = ("video4linux", "sound")


class DeviceWatch:
    """Owns one udev monitor from :meth:`start` to :meth:`close`. GUI thread only."""

    def __init__(
        self,
        context: Any,
        policy: Devices,
        on_change: Callable[[list[Device], Choice], None],
    ) -> None:
        import pyudev

        self._context = context
        self.policy = policy
        self._on_change = on_change
        self._monitor: Any = pyudev.Monitor.from_netlink(context)
        for subsystem in SUBSYSTEMS:
            self._monitor.filter_by(subsystem)
        self.devices: list[Device] = []
        self.choice = Choice(None, None, None)
        self.fileno = -1
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> int:
        """Start listening and look once; with *loop*, the loop reads the monitor from
        now on. Returns the descriptor to watch for reading."""
        self._monitor.start()
        self.fileno = int(self._monitor.fileno())
        self.rescan(force=True)
        if loop is not None:
            loop.add_reader(self.fileno, self.readable)
            self._loop = loop
        return self.fileno

    def readable(self) -> None:
        """The descriptor is readable: drain every pending event, then look again."""
        drained = 0
        while self._monitor.poll(timeout=0) is not None:
            drained += 1
        if drained:
            self.rescan()

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration: choose again by its device policy."""
        if config.devices != self.policy:
            log.info("device policy changed: choosing again")
            self.set_policy(config.devices)

    def set_policy(self, policy: Devices) -> None:
        """Choose again by *policy*."""
        self.policy = policy
        self.rescan(force=True)

    def rescan(self, force: bool = False) -> None:
        devices = discover(self._context)
        choice = choose(devices, self.policy)
        if not force and devices == self.devices and choice == self.choice:
            return
        gone = set(self.devices) - set(devices)
        came = set(devices) - set(self.devices)
        for device in sorted(gone, key=str):
            log.info("%s removed: %s (%s)", device.kind.value, device.label, device.node)
        for device in sorted(came, key=str):
            log.info("%s attached: %s (%s)", device.kind.value, device.label, device.node)
        self.devices, self.choice = devices, choice
        self._on_change(devices, choice)

    async def close(self) -> None:
        """Stop reading the monitor. Safe to call twice."""
        if self._loop is not None and self.fileno >= 0:
            self._loop.remove_reader(self.fileno)
        self._loop = None
        self._monitor = None
