"""A hundred calls in a row leave nothing behind: no file descriptors, threads,
tasks or Janus sessions, and memory stays flat."""

import asyncio
import os
import threading
from pathlib import Path

import requests

from kiosk.calls.desk import CallDesk, Phase
from tests.calls.conftest import (
    CENTRE_COLOUR,
    HALL_COLOUR,
    CallServer,
    calls_for,
    reach,
    run,
    started,
    until,
)
from tests.calls.signals import mean_rgb, near
from tests.calls.test_one_to_one import Hall, sees

CYCLES = 100
WARM_UP = 10
"""Calls made before counting: the first ones load codecs and fill caches."""
RSS_GROWTH_MB = 30
POOL_MAX = min(32, (os.cpu_count() or 1) + 4)
"""ThreadPoolExecutor's default bound, which asyncio's default executor uses."""


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def memory_mb() -> dict[str, float]:
    """VmRSS and its parts (heap and other anonymous memory, mapped files)."""
    fields = ("VmRSS", "RssAnon", "RssFile")
    lines = Path("/proc/self/status").read_text().splitlines()
    return {
        line.split(":")[0]: int(line.split()[1]) / 1024 for line in lines if line.startswith(fields)
    }


async def fill_the_pool() -> None:
    """Start every thread the loop's default executor may have (they start lazily, on
    demand): threads started in the middle of the count would be counted as growth."""
    barrier = threading.Barrier(POOL_MAX)
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(None, barrier.wait) for _ in range(POOL_MAX)))


def pooled(thread: threading.Thread) -> bool:
    return thread.name.startswith("asyncio_")


def janus_sessions(janus: CallServer) -> int:
    """Sessions Janus itself holds, from its admin API."""
    reply = requests.post(
        janus.admin_url,
        json={
            "janus": "list_sessions",
            "transaction": "count",
            "admin_secret": janus.setup.admin_secret,
        },
        timeout=5,
    ).json()
    assert reply["janus"] == "success", reply
    return len(reply["sessions"])


def counts(janus: CallServer) -> dict[str, object]:
    return {
        "fds": open_fds(),
        # The loop's default executor starts its threads lazily, up to a fixed
        # bound: those are counted apart (see POOL_MAX), every other thread here.
        "threads": sorted(t.name for t in threading.enumerate() if not pooled(t)),
        "tasks": len(asyncio.all_tasks()),
        "janus sessions": janus_sessions(janus),
        "executor within its bound": sum(map(pooled, threading.enumerate())) <= POOL_MAX,
    }


async def one_call(desk: CallDesk, hall: Hall, centre_calls: bool) -> None:
    """One whole call with media seen on both sides, hung up by the caller."""
    staff = hall.desk
    assert staff is not None
    if centre_calls:
        assert desk.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
    else:
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        desk.answer()
        await staff.connected()
    await reach(desk, Phase.IN_CALL)
    await until(lambda: sees(staff.peer, CENTRE_COLOUR) and bool(desk.remote_frames()))
    assert near(mean_rgb(desk.remote_frames()[0]), HALL_COLOUR)
    if centre_calls:
        desk.hang_up()
        await staff.next("hangup")
        await staff.released()
    else:
        await staff.hang_up()
    await reach(desk, Phase.IDLE)


def test_a_hundred_calls_leave_nothing_behind(janus: CallServer) -> None:
    async def scenario() -> tuple[dict[str, object], dict[str, object], dict[str, float]]:
        desk = await started(calls_for(janus))
        hall = Hall()
        await hall.open(janus)
        await fill_the_pool()
        for cycle in range(WARM_UP):
            await one_call(desk, hall, centre_calls=cycle % 2 == 0)
        before, memory_before = counts(janus), memory_mb()
        for cycle in range(CYCLES):
            await one_call(desk, hall, centre_calls=cycle % 2 == 0)
        after, memory_after = counts(janus), memory_mb()
        assert hall.desk is not None
        await hall.desk.close()
        await desk.close()
        return before, after, {k: memory_after[k] - memory_before[k] for k in memory_before}

    before, after, growth = run(scenario(), limit=900)
    assert after == before
    assert growth["VmRSS"] <= RSS_GROWTH_MB, f"over {CYCLES} calls, MB: {growth}"
