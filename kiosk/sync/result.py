"""Outcomes of a configuration check, and making a checked configuration active.

Light on purpose (no network or crypto imports): the running kiosk needs this
even when it is not enrolled (the demo), and before anything else is loaded.
"""

import datetime as dt
import enum
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """How a check for a new configuration ended."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    UNREACHABLE = "unreachable"


EXIT_CODES = {
    Outcome.APPLIED: 0,
    Outcome.UNCHANGED: 0,
    Outcome.REJECTED: 2,
    Outcome.UNREACHABLE: 3,
}
"""``kiosk sync --once`` exit status of each outcome."""

NO_CONFIGURATION = "the repository has no configuration for centre"
"""Start of the refusal when the repository does not know this box's centre."""


@dataclass(frozen=True)
class SyncResult:
    """What happened, in one plain line for people."""

    outcome: Outcome
    reason: str
    config: KioskConfig | None = None
    """The configuration fetched (applied or waiting to be), if any."""
    data: bytes | None = None
    expired: bool = False
    """The repository's signatures have run out (centre unreachable for days, or frozen)."""
    certificate_refused: str | None = None
    """The server refused the box's certificate, and why (e.g. ``certificate revoked``)."""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def pending_config_path(paths: Paths) -> Path:
    """A verified configuration waiting to be applied by the running kiosk."""
    return paths.state / "pending-config.json"


def stage(paths: Paths, result: SyncResult) -> SyncResult:
    """Leave a verified new configuration for the running kiosk (``sync --check-only``)."""
    if result.outcome is not Outcome.APPLIED or result.data is None:
        return result
    return _store(pending_config_path(paths), result.data) or result


def _store(path: Path, data: bytes) -> SyncResult | None:
    """Write *data* atomically; the refusal (e.g. a full disk) if it cannot be written."""
    try:
        write_atomically(path, data)
    except OSError as err:
        return SyncResult(
            Outcome.REJECTED, f"cannot store the configuration: {err.strerror or err}"
        )
    return None


def read_active(paths: Paths) -> bytes | None:
    try:
        return paths.config.read_bytes()
    except OSError:
        return None


def apply(paths: Paths, result: SyncResult) -> SyncResult:
    """Make a checked configuration the active one (atomically); a full disk keeps the old."""
    if result.outcome is not Outcome.APPLIED or result.data is None:
        return result
    refused = _store(paths.config, result.data)
    if refused is not None:
        return refused
    assert result.config is not None
    return SyncResult(
        Outcome.APPLIED, f"applied revision {result.config.revision}", result.config, result.data
    )


def record(paths: Paths, result: SyncResult) -> None:
    """Remember the last outcome for technicians (``kiosk doctor``, technician screen)."""
    status_path = paths.state / "sync-status.json"
    try:
        previous = json.loads(status_path.read_text())
    except (OSError, ValueError):
        previous = {}
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    status = {
        "last_check": now,
        "last_outcome": result.outcome.value,
        "last_reason": result.reason,
        "expired": result.expired,
        "certificate_refused": result.certificate_refused,
        "last_success": now if result.exit_code == 0 else previous.get("last_success"),
    }
    try:
        write_atomically(status_path, json.dumps(status, ensure_ascii=False).encode())
    except OSError as err:
        log.error("could not record the sync status: %s", err)
