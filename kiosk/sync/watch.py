"""Checking for a new configuration now and then, while the kiosk runs.

One asyncio task, owned by :class:`ConfigWatch`, waits a jittered interval,
runs the blocking check on the watch's own thread and hands the result back on
the loop. It logs a failure once when it starts and once when it ends, however
long the server stays away. Applying is not its business: the caller applies
at a safe moment (see :meth:`kiosk.navigation.Navigator.is_safe_moment`).
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from kiosk.sync.result import Outcome, SyncResult

log = logging.getLogger(__name__)

FIRST_CHECK_S = (5.0, 60.0)
"""The first check after start comes at a random moment in this range (seconds):
after a power cut, 500 boxes start together."""


def jittered(interval_s: float, rng: random.Random) -> float:
    """*interval_s* ± 25 %."""
    return interval_s * rng.uniform(0.75, 1.25)


class ConfigWatch:
    """Runs *check* every *interval_s* (jittered) and passes each result to *on_result*.

    *check* blocks (network, disk) and runs on the watch's thread; *on_result*
    runs on the event loop.
    """

    def __init__(
        self,
        check: Callable[[], SyncResult],
        interval_s: float,
        on_result: Callable[[SyncResult], None],
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._check = check
        self._interval_s = interval_s
        self._on_result = on_result
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-sync")
        self._task: asyncio.Task[None] | None = None
        self._failing: str | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Check now instead of at the end of the current wait (``kill -HUP``). Loop thread."""
        self._wake.set()

    async def _wait(self, seconds: float) -> None:
        """*seconds*, or less if woken. Tests pass their own *sleep* instead."""
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        # asyncio.timeout: wait_for on Python 3.11 can lose a cancellation (close()).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    def start(self) -> None:
        """Start the task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="config-watch")

    async def _run(self) -> None:
        delay = self._rng.uniform(*FIRST_CHECK_S)
        while True:
            await self._wait(delay)
            await self.check_now()
            delay = jittered(self._interval_s, self._rng)

    async def check_now(self) -> SyncResult:
        """One check, on the watch's thread; its result goes to *on_result* too."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, self._check)
        self._log(result)
        self._on_result(result)
        return result

    def _log(self, result: SyncResult) -> None:
        ok = result.outcome in (Outcome.APPLIED, Outcome.UNCHANGED)
        if not ok and self._failing is None:
            log.warning("configuration check failing: %s", result.reason)
            self._failing = result.reason
        elif ok and self._failing is not None:
            log.info("configuration check works again: %s", result.reason)
            self._failing = None

    async def close(self) -> None:
        """Stop the task and the thread. Safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._executor.shutdown(wait=False, cancel_futures=True)
