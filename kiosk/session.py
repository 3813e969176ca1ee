"""The running kiosk over time: new configurations arrive, and are applied at a
safe moment by building a new kiosk in place of the old. Qt-free: building and
showing are passed in by the composition root.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.config import ConfigSource, LoadedConfig
from kiosk.paths import Paths
from kiosk.status import Level, StatusBoard
from kiosk.sync.result import Outcome, SyncResult, apply

if TYPE_CHECKING:
    from kiosk.app import Kiosk

log = logging.getLogger(__name__)


class Session:
    """Owns the current :class:`~kiosk.app.Kiosk`. Call from the GUI thread.

    *build* makes a kiosk from a configuration (sharing *status*); *show*
    puts the new one on screen in place of the old, which this session closes.
    """

    def __init__(
        self,
        kiosk: "Kiosk",
        paths: Paths,
        build: Callable[[LoadedConfig, StatusBoard], "Kiosk"],
        show: Callable[["Kiosk", "Kiosk"], None],
    ) -> None:
        self.kiosk = kiosk
        self._paths = paths
        self._build = build
        self._show = show
        self.pending: SyncResult | None = None
        """A verified configuration waiting for a safe moment."""

    def on_sync_result(self, result: SyncResult) -> None:
        """Record what a check found; keep a new configuration for later."""
        status = self.kiosk.status
        if result.outcome is Outcome.UNREACHABLE:
            status.update(network=Level.MISSING)
            return
        status.update(network=Level.OK)
        if result.outcome is Outcome.REJECTED:
            status.update(config_problem=result.reason)
            return
        status.update(config_problem=None)
        if result.config is not None and result.config != self.kiosk.loaded.config:
            self.pending = result

    def tick(self) -> None:
        """About once a second: apply the pending configuration if nobody is using the kiosk."""
        pending = self.pending
        if pending is None or pending.config is None:
            return
        if not self.kiosk.navigator.is_safe_moment(self.kiosk.loaded.config.sync.quiet_s):
            return
        self.pending = None
        applied = apply(self._paths, pending)
        if applied.outcome is Outcome.REJECTED or applied.config is None:
            log.error("new configuration not applied: %s", applied.reason)
            self.kiosk.status.update(config_problem=applied.reason)
            return
        old = self.kiosk
        new = self._build(LoadedConfig(applied.config, ConfigSource.FILE), old.status)
        player = old.voice.detach()
        if player is not None:
            new.voice.attach(player)
        self._show(new, old)
        old.close()
        self.kiosk = new
        log.info("configuration revision %d in force", applied.config.revision)
