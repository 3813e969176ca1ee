import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from kiosk.maintenance import MIN_UPTIME, WINDOW, NightlyRestart
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.model import Maintenance

SEOUL = ZoneInfo("Asia/Seoul")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SEOUL)


def test_restarts_at_four_when_nobody_uses_it() -> None:
    nightly = NightlyRestart("04:00", started=at(24, 9))
    assert not nightly.due(at(25, 3, 59), free=True)
    assert nightly.due(at(25, 4, 0), free=True)


def test_waits_while_busy_then_restarts_within_the_window_only() -> None:
    nightly = NightlyRestart("04:00", started=at(24, 9))
    assert not nightly.due(at(25, 4, 0), free=False), "never during a programme or a call"
    assert nightly.due(at(25, 5, 30), free=True)
    late = at(25, 4) + WINDOW
    assert not nightly.due(late, free=True), "too late: tomorrow"


def test_a_fresh_start_does_not_restart_again() -> None:
    # The kiosk that systemd just started at 04:00 must not restart in a loop.
    again = NightlyRestart("04:00", started=at(25, 4, 0))
    assert not again.due(at(25, 4, 1) + MIN_UPTIME, free=True)
    # Switched on at 03:59: too young at 04:00.
    young = NightlyRestart("04:00", started=at(25, 3, 59))
    assert not young.due(at(25, 4, 0), free=True)


def test_a_window_across_midnight_and_switched_off() -> None:
    nightly = NightlyRestart("23:30", started=at(24, 9))
    assert nightly.due(at(25, 0, 30), free=True)
    assert not NightlyRestart(None, started=at(24, 9)).due(at(25, 4), free=True)


def test_a_new_restart_time_applies_without_a_restart(demo_config: KioskConfig) -> None:
    nightly = NightlyRestart("04:00", started=at(24, 9))
    nightly.reconfigure(
        msgspec.structs.replace(demo_config, maintenance=Maintenance(restart_at="01:00"))
    )
    assert not nightly.due(at(25, 4, 0), free=True), "the old time is gone"
    assert nightly.due(at(25, 1, 0), free=True)
    nightly.reconfigure(
        msgspec.structs.replace(demo_config, maintenance=Maintenance(restart_at=None))
    )
    assert not nightly.due(at(25, 1, 0), free=True), "never"


def test_the_demo_never_restarts_itself_whatever_it_is_told(demo_config: KioskConfig) -> None:
    demo = NightlyRestart("04:00", started=at(24, 9), demo=True)
    assert not demo.due(at(25, 4, 0), free=True)
    demo.reconfigure(
        msgspec.structs.replace(demo_config, maintenance=Maintenance(restart_at="04:00"))
    )
    assert not demo.due(at(25, 4, 0), free=True)
