"""The weekly timetable: which programme is coming up or running, and when to start it.

Rules (tested in ``tests/unit/programmes/test_schedule.py``):

- An entry is *announced* from ``notice_min`` before its start until its end:
  the home screen shows a banner (countdown before, "now on" during) with one
  button to join.
- Overlapping entries: the one that starts first holds the banner until it
  ends; on equal starts, the one listed first. The other is announced after.
- An ``auto_start`` entry starts by itself once, at its start time, if nobody
  is using the kiosk. A box that was off (or busy, or whose clock jumped) at
  the start time still starts it within :data:`AUTO_START_GRACE` after;
  later than that it only shows the banner, so nobody walks in on a class
  half-way through by surprise.
- Each occurrence is identified by its programme, start time and date: a clock
  set back never starts the same occurrence twice, and neither does a kiosk that
  restarted (a crash, a power cut) within the grace period, since what already
  started is kept on disk (:class:`StartedRecord`).
- Times are wall-clock times in the centre's zone, re-read at every check, so
  a corrected clock takes effect at once.
"""

import datetime as dt
import enum
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.records import Record
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.programmes import DAYS, Slot

log = logging.getLogger(__name__)

AUTO_START_GRACE = dt.timedelta(minutes=10)
KEEP_DAYS = 2
"""Records of started occurrences older than this are forgotten."""

StartKey = tuple[str, str, str]
"""An occurrence: programme id, ``HH:MM`` start, ISO date."""


class Phase(enum.Enum):
    SOON = "soon"
    """Before the start: a countdown."""
    RUNNING = "running"
    """Between start and end: "now on"."""


@dataclass(frozen=True)
class Occurrence:
    """One entry of the timetable on one day."""

    index: int
    """Position of the entry in the configuration's schedule."""
    slot: Slot
    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> "StartKey":
        return self.slot.programme, self.slot.start, self.start.date().isoformat()


@dataclass(frozen=True)
class Banner:
    """What the home screen announces now."""

    occurrence: Occurrence
    phase: Phase
    seconds_to_start: int
    """Whole seconds until the start (0 once running)."""


def day_plan(schedule: Sequence[Slot], day: dt.date, zone: dt.tzinfo) -> list[Occurrence]:
    """The occurrences on *day*, in the order they start (ties: listed first)."""
    weekday = DAYS[day.weekday()]
    found = []
    for index, slot in enumerate(schedule):
        if weekday not in slot.days:
            continue
        hour, minute = (int(part) for part in slot.start.split(":"))
        start = dt.datetime.combine(day, dt.time(hour, minute), zone)
        found.append(Occurrence(index, slot, start, start + dt.timedelta(minutes=slot.minutes)))
    return sorted(found, key=lambda o: (o.start, o.index))


def announced(schedule: Sequence[Slot], now: dt.datetime) -> Banner | None:
    """The banner to show at *now* (an aware datetime in the centre's zone)."""
    zone = now.tzinfo
    assert zone is not None, "now must carry the centre's time zone"
    # Yesterday's late entries may still run past midnight.
    candidates = [
        occ
        for day in (now.date() - dt.timedelta(days=1), now.date(), now.date() + dt.timedelta(1))
        for occ in day_plan(schedule, day, zone)
        if occ.start - dt.timedelta(minutes=occ.slot.notice_min) <= now < occ.end
    ]
    if not candidates:
        return None
    first = min(candidates, key=lambda o: (o.start, o.index))
    if now < first.start:
        seconds = int((first.start - now).total_seconds() + 0.999)
        return Banner(first, Phase.SOON, seconds)
    return Banner(first, Phase.RUNNING, 0)


class StartedRecord:
    """Which occurrences already started, kept in a small JSON file so that a restart
    never starts one again. A file that cannot be read counts as empty; one that cannot
    be written (a full disk) is said once in the log and the record lives on in memory."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._record = Record(path, "started programmes", "kept in memory") if path else None

    def load(self) -> set[StartKey]:
        if self._path is None:
            return set()
        try:
            data = json.loads(self._path.read_bytes())
            return {(str(p), str(s), str(d)) for p, s, d in data}
        except FileNotFoundError:
            return set()
        except (OSError, ValueError, TypeError) as err:
            log.error("record of started programmes unreadable (%s): starting afresh", err)
            return set()

    def save(self, started: set[StartKey], today: dt.date) -> None:
        if self._record is None:
            return
        oldest = (today - dt.timedelta(days=KEEP_DAYS)).isoformat()
        self._record.save(sorted(key for key in started if key[2] >= oldest))


class Timetable:
    """Remembers which occurrences already started by themselves (on disk, through
    *record*). One owner: the GUI thread."""

    def __init__(self, schedule: Sequence[Slot], record: StartedRecord | None = None) -> None:
        self._schedule = list(schedule)
        self._record = record or StartedRecord(None)
        self._started = self._record.load()

    def reconfigure(self, schedule: Sequence[Slot]) -> None:
        """A new timetable; what already started stays started."""
        self._schedule = list(schedule)

    def today(self, now: dt.datetime) -> list[Occurrence]:
        assert now.tzinfo is not None
        return day_plan(self._schedule, now.date(), now.tzinfo)

    def check(self, now: dt.datetime, kiosk_free: bool) -> tuple[Banner | None, Occurrence | None]:
        """The banner for *now*, and the occurrence to start by itself now (if any)."""
        banner = announced(self._schedule, now)
        if banner is None or banner.phase is not Phase.RUNNING:
            return banner, None
        occ = banner.occurrence
        due = occ.slot.auto_start and now < occ.start + AUTO_START_GRACE
        if not due or not kiosk_free or occ.key in self._started:
            return banner, None
        self.mark_started(occ)
        return banner, occ

    def mark_started(self, occurrence: Occurrence) -> None:
        """It started (by itself, or someone joined by hand): never by itself again."""
        self._started.add(occurrence.key)
        self._record.save(self._started, occurrence.start.date())


class CentreClock:
    """Now in the centre's time zone; the box's own zone if that one is unknown here.
    A new configuration's zone counts from then on."""

    def __init__(self, timezone: str) -> None:
        self._zone = _zone(timezone)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(self._zone).astimezone(self._zone)

    def reconfigure(self, config: KioskConfig) -> None:
        self._zone = _zone(config.centre.timezone)


def _zone(timezone: str) -> dt.tzinfo | None:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        log.error(
            "time zone %r unknown on this box (is tzdata installed?); using local time", timezone
        )
        return None
