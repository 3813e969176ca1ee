"""PIN entry with a lock-out that survives restarts (leader mode, technician screen). Qt-free.

One keypad serves both doors: the PIN entered says which one opens.

After :data:`MAX_TRIES` wrong PINs in a row, no PIN is even checked for
:data:`LOCKOUT_S` seconds. The count and the end of the lock-out are written
to disk at every wrong try, so pulling the plug does not reset them. The end
is wall-clock time; a clock set back can lengthen a lock-out to at most
:data:`LOCKOUT_S` from now, never more. An unreadable record counts as a
lock-out starting now (the safe side), and is then rewritten.
"""

import enum
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk_contract.config import KioskConfig
from kiosk_contract.files import write_atomically
from kiosk_contract.pin import verify_pin

log = logging.getLogger(__name__)

MAX_TRIES = 5
LOCKOUT_S = 300


class Outcome(enum.Enum):
    OPEN = "open"
    WRONG = "wrong"
    LOCKED = "locked"
    NO_PIN = "no_pin"
    """No PIN is configured: this door stays shut."""


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    door: str = ""
    """Which PIN opened (``leader``, ``technician``) when the outcome is OPEN."""
    tries_left: int = MAX_TRIES
    locked_s: int = 0
    """Seconds until PINs are checked again (when locked)."""


def doors_of(config: KioskConfig) -> dict[str, str | None]:
    """The keypad's doors and their PIN hashes: the leader's screen and the technician's."""
    return {"leader": config.leader.pin_hash, "technician": config.technician.pin_hash}


class PinGate:
    """Checks PINs against the salted hashes of its doors (e.g. leader and technician),
    with one count of wrong tries for all; one owner (the GUI thread)."""

    def __init__(
        self,
        doors: Mapping[str, str | None],
        record: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._doors = {door: pin_hash for door, pin_hash in doors.items() if pin_hash}
        self._record = record
        self._clock = clock

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration: its PINs from now on (the count of wrong tries stays)."""
        self._doors = {door: pin_hash for door, pin_hash in doors_of(config).items() if pin_hash}

    def state(self) -> Verdict:
        """Whether PINs are being accepted now, without trying one."""
        if not self._doors:
            return Verdict(Outcome.NO_PIN)
        failures, until = self._load()
        now = self._clock()
        if until > now + LOCKOUT_S:  # the clock was set back
            until = now + LOCKOUT_S
            self._save(failures, until)
        if until > now:
            return Verdict(Outcome.LOCKED, "", 0, int(until - now + 0.999))
        return Verdict(Outcome.WRONG if failures else Outcome.OPEN, "", MAX_TRIES - failures)

    def try_pin(self, pin: str) -> Verdict:
        """Check *pin*; counts a wrong one, locks after the last."""
        state = self.state()
        if state.outcome in (Outcome.NO_PIN, Outcome.LOCKED):
            return state
        failures, _ = self._load()
        # Every hash is checked, so the time taken does not tell which door exists.
        opened = [door for door, pin_hash in self._doors.items() if verify_pin(pin, pin_hash)]
        if opened:
            if failures:
                self._save(0, 0.0)
            return Verdict(Outcome.OPEN, opened[0])
        failures += 1
        log.warning("wrong PIN (%d of %d)", failures, MAX_TRIES)
        if failures >= MAX_TRIES:
            self._save(0, self._clock() + LOCKOUT_S)
            log.warning("PIN entry locked for %d s", LOCKOUT_S)
            return Verdict(Outcome.LOCKED, "", 0, LOCKOUT_S)
        self._save(failures, 0.0)
        return Verdict(Outcome.WRONG, "", MAX_TRIES - failures)

    def _load(self) -> tuple[int, float]:
        try:
            data = json.loads(self._record.read_bytes())
            failures, until = int(data["failures"]), float(data["locked_until"])
            if not 0 <= failures < MAX_TRIES:
                raise ValueError(f"failures {failures}")
            return failures, until
        except FileNotFoundError:
            return 0, 0.0
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("PIN record %s unreadable (%s): locking PIN entry", self._record, err)
            until = self._clock() + LOCKOUT_S
            self._save(0, until)
            return 0, until

    def _save(self, failures: int, until: float) -> None:
        data = json.dumps({"failures": failures, "locked_until": until}).encode()
        try:
            write_atomically(self._record, data)
        except OSError as err:
            log.error("cannot record PIN tries in %s: %s", self._record, err)
