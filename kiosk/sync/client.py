"""Fetching this box's configuration from the signed repository, and applying it.

python-tuf's client does the verification (signatures, thresholds, versions,
expiry, hashes and lengths): it refuses tampered, rolled-back, frozen,
mixed-and-matched and endless data. On top of it this module checks that the
configuration is valid for the kiosk and bound to *this* centre, and keeps the
active configuration (the last known good) outside python-tuf's cache,
switched atomically, so the box always has a whole one.

Blocking (network and disk): call from a worker thread or a command.
"""

import logging
import time
from pathlib import Path

from tuf.api import exceptions
from tuf.ngclient import Updater

from kiosk import identity
from kiosk.paths import Paths
from kiosk.sync.enrolment import Enrolment, metadata_dir
from kiosk.sync.fetcher import CertificateRefused, ConfigFetcher
from kiosk.sync.result import (
    NO_CONFIGURATION,
    Outcome,
    SyncResult,
    apply,
    read_active,
    record,
    stage,
)
from kiosk_contract.config import ConfigError, parse_config
from kiosk_contract.targets import config_target

log = logging.getLogger(__name__)


class Synchroniser:
    """One box's view of the repository. Not thread-safe: one owner calls it."""

    def __init__(self, paths: Paths, enrolment: Enrolment) -> None:
        self._paths = paths
        self._enrolment = enrolment
        self._metadata = metadata_dir(paths)
        self._targets = paths.state / "tuf" / "targets"
        self.fetcher = ConfigFetcher(
            paths.state / "tuf" / "etags.json", self._trusted_copy, identity.client_cert(paths)
        )

    def _trusted_copy(self, url: str) -> bytes | None:
        try:
            return (self._metadata / url.rpartition("/")[2]).read_bytes()
        except OSError:
            return None

    def check(self) -> SyncResult:
        """Refresh and verify; returns the new configuration without applying it."""
        self._targets.mkdir(parents=True, exist_ok=True)
        server = self._enrolment.server
        try:
            updater = Updater(
                metadata_dir=str(self._metadata),
                metadata_base_url=f"{server}/metadata/",
                target_base_url=f"{server}/targets/",
                target_dir=str(self._targets),
                fetcher=self.fetcher,
                bootstrap=None,
            )
            updater.refresh()
            info = updater.get_targetinfo(config_target(self._enrolment.centre_id))
            if info is None:
                return SyncResult(
                    Outcome.REJECTED,
                    f"{NO_CONFIGURATION} {self._enrolment.centre_id}",
                )
            cached = updater.find_cached_target(info)
            path = cached or updater.download_target(info)
            data = Path(path).read_bytes()
        except CertificateRefused as err:
            identity.note_refused(self._paths, err.why)
            return SyncResult(
                Outcome.REJECTED,
                f"the configuration server refuses this box's certificate: {err.why}",
                certificate_refused=err.why,
            )
        except exceptions.ExpiredMetadataError as err:
            return SyncResult(Outcome.REJECTED, f"the repository has expired ({err})", expired=True)
        except exceptions.DownloadHTTPError as err:
            if err.status_code == 403:
                return SyncResult(
                    Outcome.REJECTED,
                    f"the configuration server refuses this box the settings of "
                    f"{self._enrolment.centre_id} (HTTP 403): its certificate is for another "
                    f"centre, or it has none",
                )
            return SyncResult(
                Outcome.UNREACHABLE, f"server unreachable ({server}): HTTP {err.status_code}"
            )
        except exceptions.SlowRetrievalError:
            return SyncResult(Outcome.UNREACHABLE, f"server unreachable ({server}): too slow")
        except exceptions.DownloadLengthMismatchError as err:
            return SyncResult(Outcome.REJECTED, f"refused: {err}")
        except exceptions.DownloadError as err:
            return SyncResult(
                Outcome.UNREACHABLE, f"server unreachable ({server}): {_network_cause(err)}"
            )
        except exceptions.RepositoryError as err:
            return SyncResult(Outcome.REJECTED, f"refused: {type(err).__name__}: {err}")
        except OSError as err:
            return SyncResult(Outcome.REJECTED, f"cannot store the update: {err.strerror or err}")
        identity.note_accepted(self._paths)
        try:
            config = parse_config(data)
        except ConfigError as err:
            return SyncResult(Outcome.REJECTED, f"invalid configuration: {err}")
        if config.centre.id != self._enrolment.centre_id:
            return SyncResult(
                Outcome.REJECTED,
                f"configuration is addressed to centre {config.centre.id}, "
                f"not this box's {self._enrolment.centre_id}",
            )
        active = read_active(self._paths)
        if active == data:
            return SyncResult(
                Outcome.UNCHANGED, f"unchanged (revision {config.revision})", config, data
            )
        return SyncResult(Outcome.APPLIED, f"revision {config.revision} ready", config, data)

    def close(self) -> None:
        self.fetcher.close()


def _network_cause(err: BaseException) -> str:
    """A few plain words for why the network failed."""
    text = repr(err.__cause__ or err)
    for needle, words in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown server name"),
        ("Temporary failure in name resolution", "no name service"),
        ("Network is unreachable", "no network"),
        ("CERTIFICATE_VERIFY_FAILED", "the server's certificate is not trusted"),
    ):
        if needle in text:
            return words
    return "network error"


def sync_once(paths: Paths, enrolment: Enrolment, check_only: bool = False) -> SyncResult:
    """Check, apply and record: what ``kiosk sync --once`` does.

    With *check_only*, a new configuration is not applied but left verified in
    :func:`~kiosk.sync.result.pending_config_path` for the running kiosk to
    apply at a safe moment. A box enrolled with a code first renews its
    certificate if that is due (:func:`kiosk.identity.renew_if_due`).
    """
    started = time.perf_counter()
    if enrolment.identity:
        # The box renews its certificate by itself, well before it runs out.
        renewal = identity.renew_if_due(paths, enrolment.identity)
        if renewal is not None:
            log.info("identity: %s", renewal)
    synchroniser = Synchroniser(paths, enrolment)
    try:
        result = synchroniser.check()
    finally:
        synchroniser.close()
    result = stage(paths, result) if check_only else apply(paths, result)
    record(paths, result)
    log.info("sync: %s (%.0f ms)", result.reason, (time.perf_counter() - started) * 1000)
    return result
