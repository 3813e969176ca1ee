"""PIN entry with a lock-out that survives restarts (leader mode, technician screen). Qt-free.

One keypad serves both doors: the PIN entered says which one opens.

After :data:`MAX_TRIES` wrong PINs in a row, no PIN is even checked for a while:
:data:`LOCKOUT_S` the first time, twice as long at each lock-out that follows without a
right PIN in between, up to :data:`MAX_LOCKOUT_S`. The count lives in memory, and is
written to disk at every wrong try so that pulling the plug does not reset it; a record
that cannot be written (a full disk) changes nothing but that (it fails closed: the
keypad still locks, and is said once in the log). The end is wall-clock time; a clock
set back can lengthen a lock-out to at most its own length from now, never more. An
unreadable record counts as a lock-out starting now (the safe side), and is then
rewritten.
"""

import enum
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.records import Record
from kiosk_contract.config import KioskConfig
from kiosk_contract.pin import verify_pin

log = logging.getLogger(__name__)

MAX_TRIES = 5
LOCKOUT_S = 300
"""The first lock-out; each one after it (without a right PIN between) doubles."""
MAX_LOCKOUT_S = 3600


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
        self._doors = _locked_doors(doors)
        self._record = record
        self._clock = clock
        self._saved = Record(record, "PIN tries", "counting in memory")
        self._failures, self._until, self._lockouts = self._load()

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration: its PINs from now on (the count of wrong tries stays)."""
        self._doors = _locked_doors(doors_of(config))

    def state(self) -> Verdict:
        """Whether PINs are being accepted now, without trying one."""
        if not self._doors:
            return Verdict(Outcome.NO_PIN)
        now = self._clock()
        longest = _lockout_s(self._lockouts)
        if self._until > now + longest:  # the clock was set back
            self._until = now + longest
            self._save()
        if self._until > now:
            return Verdict(Outcome.LOCKED, "", 0, int(self._until - now + 0.999))
        outcome = Outcome.WRONG if self._failures else Outcome.OPEN
        return Verdict(outcome, "", MAX_TRIES - self._failures)

    def try_pin(self, pin: str) -> Verdict:
        """Check *pin*; counts a wrong one, locks after the last."""
        state = self.state()
        if state.outcome in (Outcome.NO_PIN, Outcome.LOCKED):
            return state
        # Every hash is checked, so the time taken does not tell which door exists.
        opened = [door for door, pin_hash in self._doors.items() if verify_pin(pin, pin_hash)]
        if opened:
            if self._failures or self._lockouts:
                self._failures, self._until, self._lockouts = 0, 0.0, 0
                self._save()
            return Verdict(Outcome.OPEN, opened[0])
        self._failures += 1
        log.warning("wrong PIN (%d of %d)", self._failures, MAX_TRIES)
        if self._failures >= MAX_TRIES:
            self._lockouts += 1
            seconds = _lockout_s(self._lockouts)
            self._failures, self._until = 0, self._clock() + seconds
            self._save()
            log.warning("PIN entry locked for %d s (lock-out %d)", seconds, self._lockouts)
            return Verdict(Outcome.LOCKED, "", 0, seconds)
        self._save()
        return Verdict(Outcome.WRONG, "", MAX_TRIES - self._failures)

    def _load(self) -> tuple[int, float, int]:
        try:
            data = json.loads(self._record.read_bytes())
            failures, until = int(data["failures"]), float(data["locked_until"])
            lockouts = int(data.get("lockouts", 0))  # records before lock-outs grew
            if not 0 <= failures < MAX_TRIES or lockouts < 0:
                raise ValueError(f"failures {failures}, lockouts {lockouts}")
            return failures, until, lockouts
        except FileNotFoundError:
            return 0, 0.0, 0
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            log.error("PIN record %s unreadable (%s): locking PIN entry", self._record, err)
            self._failures, self._until, self._lockouts = 0, self._clock() + LOCKOUT_S, 1
            self._save()
            return self._failures, self._until, self._lockouts

    def _save(self) -> None:
        data = {"failures": self._failures, "locked_until": self._until, "lockouts": self._lockouts}
        self._saved.save(data)


def _locked_doors(doors: Mapping[str, str | None]) -> dict[str, str]:
    """The doors that have a PIN (one without stays shut)."""
    return {door: pin_hash for door, pin_hash in doors.items() if pin_hash}


def _lockout_s(lockouts: int) -> int:
    """How long the *lockouts*-th lock-out in a row lasts."""
    return int(min(MAX_LOCKOUT_S, LOCKOUT_S * 2 ** max(0, lockouts - 1)))
