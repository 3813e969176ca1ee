"""The periodic check's rhythm and logging, with a fake check and a fake sleep."""

import asyncio
import logging
import random
import threading

import msgspec
import pytest

from kiosk.sync import watch as watch_module
from kiosk.sync.result import Outcome, SyncResult
from kiosk.sync.watch import FIRST_CHECK_S, ConfigWatch, jittered
from kiosk.work import Worker
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.model import Sync


def test_jitter_spreads_500_boxes() -> None:
    rng = random.Random(1)
    waits = [jittered(900, rng) for _ in range(500)]
    assert min(waits) >= 675 and max(waits) <= 1125
    # In any one minute, only a small share of the fleet asks.
    per_minute = [
        sum(1 for w in waits if start <= w < start + 60) for start in range(675, 1125, 60)
    ]
    assert max(per_minute) < 100


@pytest.mark.allow_warnings
def test_a_long_outage_is_logged_once_and_its_end_once(caplog: pytest.LogCaptureFixture) -> None:
    outcomes = [Outcome.UNCHANGED, Outcome.UNREACHABLE, Outcome.UNREACHABLE, Outcome.UNREACHABLE]
    outcomes += [Outcome.APPLIED, Outcome.UNCHANGED]
    results = iter(SyncResult(o, o.value) for o in outcomes)
    seen: list[Outcome] = []
    delays: list[float] = []
    done = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) > len(outcomes):
            done.set()
            await asyncio.Event().wait()  # park until cancelled

    async def scenario() -> None:
        watch = ConfigWatch(
            lambda: next(results),
            900,
            lambda r: seen.append(r.outcome),
            Worker("kiosk-sync", asyncio.get_running_loop()),
            random.Random(7),
            fake_sleep,
        )
        watch.start()
        await done.wait()
        await watch.close()
        await watch.close()

    asyncio.run(scenario())
    assert seen == outcomes
    assert FIRST_CHECK_S[0] <= delays[0] <= FIRST_CHECK_S[1]
    assert all(675 <= d <= 1125 for d in delays[1:])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["configuration check failing: unreachable"]
    assert caplog.text.count("works again") == 1


def test_a_new_interval_takes_effect_during_a_long_wait(
    demo_config: KioskConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interval was read once at start: a new configuration never changed it."""
    monkeypatch.setattr(watch_module, "FIRST_CHECK_S", (0.0, 0.0))
    checks: list[str] = []

    def check() -> SyncResult:
        checks.append(threading.current_thread().name)
        return SyncResult(Outcome.UNCHANGED, "unchanged")

    async def scenario() -> None:
        checked = asyncio.Event()
        watch = ConfigWatch(
            check, 3600, lambda r: checked.set(), Worker("kiosk-sync", asyncio.get_running_loop())
        )
        watch.start()
        async with asyncio.timeout(10):
            await checked.wait()  # the first check; the next one is an hour away
        checked.clear()
        faster = msgspec.structs.replace(demo_config, sync=Sync(interval_s=60))
        # Each wait is drawn from ±25 % around the interval: 2700-4500 s for an hour.
        assert watch.next_check_in > 2600
        watch.reconfigure(faster)
        assert watch.interval_s == 60
        # Re-armed: the hour-long wait gives way to one drawn from 45-75 s.
        async with asyncio.timeout(2):
            while watch.next_check_in > 75:  # noqa: ASYNC110 - polls a value, within a bound
                await asyncio.sleep(0.01)
        assert watch.next_check_in >= 44
        await watch.close()

    asyncio.run(scenario())
    assert checks and all(name.startswith("kiosk-sync") for name in checks)
