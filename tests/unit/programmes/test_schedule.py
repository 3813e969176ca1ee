import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.programmes.schedule import (
    AUTO_START_GRACE,
    Phase,
    StartedRecord,
    Timetable,
    announced,
    day_plan,
)
from kiosk_contract.config.programmes import Slot

SEOUL = ZoneInfo("Asia/Seoul")
# 2026-11-24 is a Tuesday.
TUESDAY = dt.date(2026, 11, 24)


def at(hh: int, mm: int, ss: int = 0, day: dt.date = TUESDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm, ss), SEOUL)


SINGING = Slot(programme="singing", days=["tue", "thu"], start="10:00", minutes=60, notice_min=10)
EXERCISE = Slot(
    programme="exercise",
    days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    start="14:00",
    minutes=30,
    auto_start=True,
)


def test_day_plan_lists_the_days_entries_in_start_order() -> None:
    plan = day_plan([EXERCISE, SINGING], TUESDAY, SEOUL)
    assert [(o.slot.programme, o.start.hour) for o in plan] == [("singing", 10), ("exercise", 14)]
    wednesday = day_plan([EXERCISE, SINGING], TUESDAY + dt.timedelta(1), SEOUL)
    assert [o.slot.programme for o in wednesday] == ["exercise"]


def test_banner_counts_down_from_the_notice_time_then_says_running() -> None:
    assert announced([SINGING], at(9, 49, 59)) is None
    soon = announced([SINGING], at(9, 50))
    assert soon is not None and soon.phase is Phase.SOON and soon.seconds_to_start == 600
    almost = announced([SINGING], at(9, 59, 59))
    assert almost is not None and almost.seconds_to_start == 1
    running = announced([SINGING], at(10, 30))
    assert running is not None and running.phase is Phase.RUNNING
    assert announced([SINGING], at(11, 0)) is None


def test_overlap_first_started_holds_the_banner_then_the_other_follows() -> None:
    long = Slot(programme="meeting", days=["tue"], start="13:30", minutes=40)
    banner = announced([EXERCISE, long], at(14, 5))
    assert banner is not None and banner.occurrence.slot.programme == "meeting"
    after = announced([EXERCISE, long], at(14, 10))
    assert after is not None and after.occurrence.slot.programme == "exercise"
    tie = Slot(programme="other", days=["tue"], start="14:00", minutes=30)
    banner = announced([tie, EXERCISE], at(14, 0))
    assert banner is not None and banner.occurrence.slot.programme == "other"


def test_a_late_entry_still_runs_after_midnight() -> None:
    late = Slot(programme="night", days=["tue"], start="23:30", minutes=60)
    banner = announced([late], at(0, 15, day=TUESDAY + dt.timedelta(1)))
    assert banner is not None and banner.phase is Phase.RUNNING


def test_auto_start_fires_once_at_start_and_only_when_the_kiosk_is_free() -> None:
    table = Timetable([EXERCISE])
    assert table.check(at(13, 59, 59), kiosk_free=True)[1] is None
    assert table.check(at(14, 0), kiosk_free=False)[1] is None
    started = table.check(at(14, 0, 1), kiosk_free=True)[1]
    assert started is not None and started.slot is EXERCISE
    assert table.check(at(14, 0, 2), kiosk_free=True)[1] is None


def test_box_switched_on_late_starts_within_grace_only() -> None:
    within = Timetable([EXERCISE]).check(at(14, 9, 59), kiosk_free=True)[1]
    assert within is not None
    grace_end = at(14, 0) + AUTO_START_GRACE
    banner, late = Timetable([EXERCISE]).check(grace_end, kiosk_free=True)
    assert late is None
    assert banner is not None and banner.phase is Phase.RUNNING


def test_clock_set_back_does_not_start_the_same_class_twice() -> None:
    table = Timetable([EXERCISE])
    assert table.check(at(14, 1), kiosk_free=True)[1] is not None
    assert table.check(at(13, 58), kiosk_free=True)[1] is None
    assert table.check(at(14, 0), kiosk_free=True)[1] is None
    # The next day's occurrence is a new one.
    assert table.check(at(14, 0, day=TUESDAY + dt.timedelta(1)), kiosk_free=True)[1] is not None


def test_joined_by_hand_is_not_started_again() -> None:
    table = Timetable([EXERCISE])
    banner = table.check(at(13, 55), kiosk_free=True)[0]
    assert banner is not None
    table.mark_started(banner.occurrence)
    assert table.check(at(14, 0), kiosk_free=True)[1] is None


def test_today_lists_entries_for_the_leader() -> None:
    table = Timetable([SINGING, EXERCISE])
    assert [o.slot.programme for o in table.today(at(8, 0))] == ["singing", "exercise"]


def test_a_restart_within_the_grace_period_does_not_start_it_again(tmp_path: Path) -> None:
    """A crash (or power cut) right after an auto-start: the new kiosk knows it started."""
    record = tmp_path / "auto-started.json"
    first = Timetable([EXERCISE], StartedRecord(record))
    assert first.check(at(14, 0, 5), kiosk_free=True)[1] is not None
    again = Timetable([EXERCISE], StartedRecord(record))
    assert again.check(at(14, 0, 40), kiosk_free=True)[1] is None
    fresh = Timetable([EXERCISE], StartedRecord(tmp_path / "elsewhere.json"))
    assert fresh.check(at(14, 0, 40), kiosk_free=True)[1] is not None, "the record did it"


def test_the_record_forgets_old_days_and_survives_a_new_timetable(tmp_path: Path) -> None:
    record = tmp_path / "auto-started.json"
    table = Timetable([EXERCISE], StartedRecord(record))
    for days in range(5):
        assert table.check(at(14, 1, day=TUESDAY + dt.timedelta(days)), True)[1] is not None
    kept = json.loads(record.read_text())
    assert [key[2] for key in kept] == ["2026-11-26", "2026-11-27", "2026-11-28"]
    moved = Slot(programme="singing", days=["sat"], start="15:00", minutes=30, auto_start=True)
    table.reconfigure([moved, EXERCISE])
    banner, due = table.check(at(14, 2, day=TUESDAY + dt.timedelta(4)), True)
    assert banner is not None and banner.occurrence.index == 1, "exercise is now listed second"
    assert due is None, "it already started today, whatever its place in the list"


@pytest.mark.allow_warnings
def test_a_record_that_cannot_be_written_or_read_never_stops_the_timetable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unwritable = tmp_path / "not-a-folder"
    unwritable.write_text("")
    table = Timetable([EXERCISE], StartedRecord(unwritable / "auto-started.json"))
    assert table.check(at(14, 0, 1), kiosk_free=True)[1] is not None
    assert table.check(at(14, 0, 2), kiosk_free=True)[1] is None, "kept in memory"
    table.check(at(14, 0, day=TUESDAY + dt.timedelta(1)), kiosk_free=True)
    assert caplog.text.count("cannot record started programmes") == 1
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert Timetable([EXERCISE], StartedRecord(garbage)).check(at(14, 1), True)[1] is not None
