"""The running kiosk over time: new configurations arrive from the configuration
watch and are applied at a safe moment; the one in force proves itself (its trial).
Qt-free: applying is passed in by the composition root.
"""

import logging
from collections.abc import Callable

from kiosk.config import ConfigSource, ConfigTrial, LoadedConfig
from kiosk.config.trial import HEALTHY_S
from kiosk.paths import Paths
from kiosk.status import Level, StatusBoard
from kiosk.sync.result import Outcome, SyncResult, apply

log = logging.getLogger(__name__)


class Session:
    """Owns which configuration is in force. Call from the GUI thread.

    *safe_moment(quiet_s)* says nobody is using the kiosk (the navigator's rule);
    *show* puts a configuration in force everywhere (the composition root).
    """

    def __init__(
        self,
        in_force: LoadedConfig,
        paths: Paths,
        status: StatusBoard,
        trial: ConfigTrial,
        safe_moment: Callable[[float], bool],
        show: Callable[[LoadedConfig], None],
        clock: Callable[[], float],
    ) -> None:
        self.in_force = in_force
        self._paths = paths
        self._status = status
        self._trial = trial
        self._safe_moment = safe_moment
        self._show = show
        self._clock = clock
        self._since = clock()
        self.pending: SyncResult | None = None
        """A verified configuration waiting for a safe moment."""

    def on_sync_result(self, result: SyncResult) -> None:
        """Record what a check found; keep a new configuration for later."""
        status = self._status
        if result.outcome is Outcome.UNREACHABLE:
            status.update(network=Level.MISSING)
            return
        status.update(network=Level.OK)
        if result.outcome is Outcome.REJECTED:
            status.update(config_problem=result.reason)
            return
        if result.data is not None and self._trial.refused(result.data):
            revision = result.config.revision if result.config else 0
            status.update(config_problem=f"revision {revision} refused: it stopped the kiosk")
            return
        status.update(config_problem=self.in_force.problem)
        if result.config is not None and result.config != self.in_force.config:
            self.pending = result

    def tick(self) -> None:
        """About once a second: prove the configuration in force; apply the pending
        one if nobody is using the kiosk."""
        if self._trial.on_trial and self._clock() - self._since >= HEALTHY_S:
            self._trial.passed()
        pending = self.pending
        if pending is None or pending.config is None:
            return
        if not self._safe_moment(self.in_force.config.sync.quiet_s):
            return
        self.pending = None
        applied = apply(self._paths, pending)
        if applied.outcome is Outcome.REJECTED or applied.config is None:
            log.error("new configuration not applied: %s", applied.reason)
            self._status.update(config_problem=applied.reason)
            return
        data = applied.data or b""
        self._trial.begin(data, applied.config)
        loaded, previous = LoadedConfig(applied.config, ConfigSource.FILE), self.in_force
        self.in_force, self._since = loaded, self._clock()
        try:
            self._show(loaded)
        except Exception:  # supervision boundary: a document that parses yet cannot be shown
            log.exception(
                "configuration revision %d could not be put in force: refused",
                applied.config.revision,
            )
            self._trial.refuse(data)
            self.in_force = previous
            self._show(previous)  # what ran before, everywhere again
            self._status.update(
                config_problem=f"revision {applied.config.revision} refused: it could not be shown"
            )
            return
        self._status.update(config_problem=None)
        log.info("configuration revision %d in force", applied.config.revision)
