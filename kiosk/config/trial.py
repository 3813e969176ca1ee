"""A new configuration runs on trial before it becomes the last good one. Qt-free.

Parsing proves a document is well formed, not that the kiosk can run it. So a
configuration in force is kept as *last good* only once the kiosk has run it for
:data:`HEALTHY_S`. Until then it is on trial, and every run of the kiosk with it that
ends without the kiosk's own orderly stop counts against it: a crash, a freeze the
watchdog ended, the memory ceiling (systemd starts the kiosk again). A clean stop
(``systemctl stop`` or restart, a reboot, an upgrade, the display going away) does not:
the kiosk records it as it stops (:meth:`ConfigTrial.stopped_cleanly`). A configuration
whose runs end badly :data:`MAX_CRASHES` times before one lasts :data:`HEALTHY_S` is
refused for good, and so is one that fails while it is being put in force: the box goes
back to its last good configuration (or the built-in one), says why on the status strip
and in ``kiosk doctor``, and never takes that document again, whatever the repository
serves, until a different one arrives.

The record (``STATE/config-trial.json``) holds the document on trial (its SHA-256 and
revision), how many of its runs ended badly, whether a run with it is going on now
(``running``: still set at the next start means the last run never stopped cleanly),
and the refused documents. One owner: the GUI thread of ``kiosk run``. The demo's
bundled configuration is never on trial.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config.loading import ConfigSource, LoadedConfig, builtin_config
from kiosk.records import Record
from kiosk_contract.config import ConfigError, KioskConfig, parse_config
from kiosk_contract.config.parsing import read_document
from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)

HEALTHY_S = 600.0
"""Ten minutes of running proves a configuration."""
MAX_CRASHES = 3
"""Runs of a configuration on trial that may end badly before it is refused."""
MAX_REFUSED = 20
"""Refused documents remembered (the oldest are forgotten)."""


@dataclass
class _Record:
    sha256: str = ""
    revision: int = 0
    crashes: int = 0
    running: bool = False
    refused: list[str] = field(default_factory=list)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ConfigTrial:
    """Which configuration the kiosk runs, and whether it has proved itself."""

    def __init__(self, record: Path, last_good: Path, demo: bool = False) -> None:
        self._path = record
        self._last_good = last_good
        self._demo = demo
        self._record = self._read()
        self.on_trial = False
        """The configuration in force has not yet run for :data:`HEALTHY_S`."""
        self._data: bytes | None = None
        self._saved = Record(record, "the configuration's trial", "kept in memory")

    def load(self, wanted: Path) -> LoadedConfig:
        """At start: *wanted* (the active configuration) if it is valid and not refused,
        counting the last run against it if that run ended badly while it was on trial;
        else the last good or the built-in one. Never raises for bad input."""
        try:
            data = read_document(wanted)
            config = parse_config(data)
        except ConfigError as err:
            log.error("configuration %s refused: %s", wanted, err)
            return self._fall_back(str(err))
        if self._demo:
            return LoadedConfig(config, ConfigSource.FILE)
        sha = digest(data)
        if sha in self._record.refused:
            return self._fall_back(_refusal(config.revision))
        if self._proven(data):
            self._data = data
            return LoadedConfig(config, ConfigSource.FILE)
        record = self._record
        if record.sha256 != sha:
            record.sha256, record.revision, record.crashes = sha, config.revision, 0
        elif record.running:
            record.crashes += 1
            log.warning(
                "configuration revision %d: the last run with it ended badly (%d of %d)",
                config.revision,
                record.crashes,
                MAX_CRASHES,
            )
        if record.crashes >= MAX_CRASHES:
            log.error(
                "configuration revision %d stopped the kiosk %d times before running %d s: "
                "refused, going back to the last good one",
                config.revision,
                MAX_CRASHES,
                HEALTHY_S,
            )
            self._remember_refused(sha)
            return self._fall_back(_refusal(config.revision))
        record.running = True
        self._write()
        self.on_trial, self._data = True, data
        log.info("configuration revision %d on trial", config.revision)
        return LoadedConfig(config, ConfigSource.FILE)

    def begin(self, data: bytes, config: KioskConfig) -> None:
        """A new configuration was applied while the kiosk runs: its trial starts."""
        if self._proven(data):
            self.on_trial, self._data = False, data
            return
        record = self._record
        record.sha256, record.revision, record.crashes = digest(data), config.revision, 0
        record.running = True
        self._write()
        self.on_trial, self._data = True, data

    def passed(self) -> None:
        """The configuration in force ran for :data:`HEALTHY_S`: it is the last good one.
        Safe to call every tick: it acts once."""
        if not self.on_trial or self._data is None:
            return
        self.on_trial = False
        try:
            write_atomically(self._last_good, self._data)
        except OSError as err:
            # Not fatal: the configuration runs; only the safety copy is stale.
            log.error("could not save the last good configuration: %s", err)
            return
        revision = self._record.revision
        log.info("configuration revision %d ran well: it is the last good one", revision)
        self._record.sha256, self._record.revision, self._record.crashes = "", 0, 0
        self._record.running = False
        self._write()

    def stopped_cleanly(self) -> None:
        """The kiosk is stopping in order (not crashing): this run does not count."""
        if self._record.running:
            self._record.running = False
            self._write()

    def refuse(self, data: bytes) -> None:
        """*data* failed while being put in force: refused for good."""
        self._remember_refused(digest(data))
        self.on_trial = False

    def refused(self, data: bytes) -> bool:
        """Whether *data* was refused (a check must not bring it back)."""
        return digest(data) in self._record.refused

    def standing(self, data: bytes) -> dict[str, object]:
        """What the record says of the document *data*, for technicians (``kiosk
        doctor``): refused, on trial (with its bad ends so far) or proven."""
        sha = digest(data)
        record = self._record
        return {
            "refused": sha in record.refused,
            "on_trial": record.sha256 == sha,
            "crashes": record.crashes if record.sha256 == sha else 0,
            "proven": self._proven(data),
        }

    # --- internals --------------------------------------------------------------

    def _proven(self, data: bytes) -> bool:
        try:
            return self._last_good.read_bytes() == data
        except OSError:
            return False

    def _fall_back(self, problem: str) -> LoadedConfig:
        try:
            data = read_document(self._last_good)
            config = parse_config(data)
        except ConfigError as err:
            if self._last_good.exists():
                log.error("last good configuration %s unusable too: %s", self._last_good, err)
            log.warning("using the built-in configuration")
            return LoadedConfig(builtin_config(), ConfigSource.BUILTIN, problem)
        log.warning("keeping the last good configuration (revision %d)", config.revision)
        self._data = data
        return LoadedConfig(config, ConfigSource.LAST_GOOD, problem)

    def _remember_refused(self, sha: str) -> None:
        record = self._record
        record.refused = [*record.refused, sha][-MAX_REFUSED:]
        if record.sha256 == sha:
            record.sha256, record.revision, record.crashes, record.running = "", 0, 0, False
        self._write()

    def _read(self) -> _Record:
        try:
            data = json.loads(self._path.read_bytes())
            return _Record(
                str(data["sha256"]),
                int(data["revision"]),
                int(data["crashes"]),
                bool(data["running"]),
                [str(s) for s in data["refused"]],
            )
        except FileNotFoundError:
            return _Record()
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("configuration trial record unreadable (%s): starting afresh", err)
            return _Record()

    def _write(self) -> None:
        record = self._record
        data = {
            "sha256": record.sha256,
            "revision": record.revision,
            "crashes": record.crashes,
            "running": record.running,
            "refused": record.refused,
        }
        self._saved.save(data)


def _refusal(revision: int) -> str:
    return (
        f"revision {revision} refused: the kiosk stopped {MAX_CRASHES} times running it; "
        "the last good configuration is kept"
    )
