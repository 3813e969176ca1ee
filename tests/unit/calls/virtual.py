"""A virtual clock for the calls' unit tests: an asyncio loop whose time jumps to the
next timer whenever nothing is ready, so a 45 s ring or a 30 s backoff takes no real
time. Only for in-memory fakes: real sockets would see time stand still."""

import asyncio
import io
import selectors
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import pytest

T = TypeVar("T")

HANG_S = 3600.0
"""A scenario not done in this much virtual time has hung."""
THREAD_WAIT_S = 0.05
"""Real seconds waited when no timer is due (only another thread can wake the loop)."""


class _JumpingSelector(selectors.DefaultSelector):
    """Never waits for a timer: moves the loop's clock to it instead."""

    def __init__(self, loop: "VirtualClockLoop") -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready: list[tuple[selectors.SelectorKey, int]] = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            return list(super().select(THREAD_WAIT_S))
        self._loop.advance(timeout)
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """``time()`` starts at 0 and moves only when the loop would wait."""

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def run(scenario: Coroutine[Any, Any, T], limit: float = HANG_S) -> T:
    """Run *scenario* on a fresh virtual loop; after *limit* virtual seconds it has
    hung, and the test fails naming where every task was stuck."""

    async def guarded() -> T:
        main = asyncio.create_task(scenario, name="scenario")
        done, _ = await asyncio.wait({main}, timeout=limit)
        if not done:
            hung(main, f"{limit:.0f} virtual s")
        return main.result()

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(guarded())


def hung(main: "asyncio.Task[Any]", how_long: str) -> NoReturn:
    """Fail the test whose *main* task hung for *how_long*, naming where every task was."""
    stuck = io.StringIO()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.print_stack(limit=8, file=stuck)
    main.cancel()
    pytest.fail(f"scenario hung for {how_long}; tasks:\n{stuck.getvalue()}")


def now() -> float:
    """The running loop's (virtual) time."""
    return asyncio.get_running_loop().time()
