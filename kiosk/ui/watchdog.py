"""systemd's watchdog, pinged from the GUI thread.

The pings come from a Qt timer, so they stop exactly when the GUI loop stops
turning: a frozen screen is restarted by systemd even if other threads live on.
"""

import logging

from kiosk.systemd import notify, watchdog_interval_s
from kiosk.ui.qt import QObject, QTimer

log = logging.getLogger(__name__)


class Watchdog(QObject):
    """Sends ``WATCHDOG=1`` every third of systemd's interval (its rule: at most half)."""

    def __init__(self, interval_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.period_ms = max(10, int(interval_s * 1000 / 3))
        self._timer = QTimer(self)
        self._timer.setInterval(self.period_ms)
        self._timer.timeout.connect(self.ping)

    def start(self) -> None:
        self.ping()
        self._timer.start()
        log.info("watchdog: pinging systemd every %d ms", self.period_ms)

    def ping(self) -> None:
        notify("WATCHDOG=1")

    def stop(self) -> None:
        """Stop pinging. Safe to call twice."""
        self._timer.stop()


def start_watchdog() -> Watchdog | None:
    """A running watchdog if systemd asked for one."""
    interval = watchdog_interval_s()
    if interval is None:
        return None
    watchdog = Watchdog(interval)
    watchdog.start()
    return watchdog
