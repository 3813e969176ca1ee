"""Work off the GUI thread comes back on it: the one way (kiosk.work)."""

import asyncio
import threading

import pytest

from kiosk.work import Worker


def test_results_and_failures_come_back_on_the_loops_thread() -> None:
    seen: list[tuple[str, object, str]] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        worker = Worker("kiosk-test", loop)
        done = asyncio.Event()
        where = threading.current_thread().name

        def work() -> str:
            return threading.current_thread().name

        def broken() -> str:
            raise OSError("disk on fire")

        worker.run(work, lambda result: seen.append(("then", result, where_now())))
        worker.run(broken, print, lambda error: seen.append(("failed", error, where_now())))
        worker.run(lambda: None, lambda _: done.set())
        async with asyncio.timeout(5):
            await done.wait()
        assert await worker.call(work) != where
        worker.close()

    def where_now() -> str:
        return threading.current_thread().name

    main = threading.current_thread().name
    asyncio.run(scenario())
    (kind, ran_on, back_on), (failed, error, failed_on) = seen
    assert kind == "then" and str(ran_on).startswith("kiosk-test") and back_on == main
    assert failed == "failed" and isinstance(error, OSError) and failed_on == main


@pytest.mark.allow_warnings
def test_nothing_comes_back_once_closed(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[object] = []

    async def scenario() -> None:
        worker = Worker("kiosk-test", asyncio.get_running_loop())
        started, release = threading.Event(), threading.Event()

        def slow() -> int:
            started.set()
            release.wait(5)
            return 1

        worker.run(slow, seen.append)
        assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        worker.close()
        release.set()
        worker.run(lambda: 2, seen.append)  # after close: dropped
        for thread in threading.enumerate():
            if thread.name.startswith("kiosk-test"):
                thread.join(5)  # slow() is over and its hand-back, if any, queued
        await asyncio.sleep(0)  # one turn of the loop: queued callbacks run

    asyncio.run(scenario())
    assert seen == []
