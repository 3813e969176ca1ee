"""The planned quiet-hours restart: months of uptime without creeping memory. Qt-free.

Once a day at ``maintenance.restart_at`` (centre time, default 04:00) the kiosk ends
itself cleanly and systemd starts it again (``Restart=always``), back on the home
screen. Never during a programme or a call, never while someone is using the screen:
if the kiosk is busy at that time it restarts as soon as it is free within
:data:`WINDOW`, otherwise not until the next day. A kiosk started less than
:data:`MIN_UPTIME` ago does not restart (a box switched on at 03:59).
"""

import datetime as dt
import logging

from kiosk_contract.config import KioskConfig

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=2)
MIN_UPTIME = dt.timedelta(hours=1)


class NightlyRestart:
    """When to restart; a service (:mod:`kiosk.services`): a new ``restart_at`` counts
    from the next check. *restart_at* ``None``: never; the *demo* (in someone's window)
    never restarts itself whatever its configuration says."""

    def __init__(self, restart_at: str | None, started: dt.datetime, demo: bool = False) -> None:
        self._demo = demo
        self._at = None if restart_at is None or demo else dt.time.fromisoformat(restart_at)
        self._started = started

    def reconfigure(self, config: KioskConfig) -> None:
        at = config.maintenance.restart_at
        new = None if at is None or self._demo else dt.time.fromisoformat(at)
        if new != self._at:
            log.info("quiet-hours restart %s", f"at {at}" if new else "never")
        self._at = new

    async def close(self) -> None:
        pass

    def due(self, now: dt.datetime, free: bool) -> bool:
        """Whether to restart now (*now* in the centre's zone; *free*: nobody using it)."""
        if self._at is None or not free or now - self._started < MIN_UPTIME:
            return False
        for day in (now.date(), now.date() - dt.timedelta(days=1)):
            start = dt.datetime.combine(day, self._at, now.tzinfo)
            if start <= now < start + WINDOW and self._started < start:
                return True
        return False
