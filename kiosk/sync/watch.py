"""Checking for a new configuration now and then, while the kiosk runs.

One asyncio task, owned by :class:`ConfigWatch`, waits a jittered interval,
runs the blocking check on the watch's own thread (:class:`kiosk.work.Worker`)
and hands the result back on the loop. It logs a failure once when it starts and
once when it ends, however long the server stays away. Applying is not its
business: the caller applies at a safe moment (see
:meth:`kiosk.navigation.Navigator.is_safe_moment`). A service
(:mod:`kiosk.services`): a new ``sync.interval_s`` takes effect at once (a wait
already longer than the new interval is cut short).
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable

from kiosk.sync.result import Outcome, SyncResult
from kiosk.work import Worker
from kiosk_contract.config import KioskConfig

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
        worker: Worker,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._check = check
        self.interval_s = interval_s
        self._on_result = on_result
        self._worker = worker
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._failing: str | None = None
        self._wake = asyncio.Event()
        self._rearm = asyncio.Event()
        self._waiting_until = 0.0

    def wake(self) -> None:
        """Check now instead of at the end of the current wait (``kill -HUP``). Loop thread."""
        self._wake.set()

    @property
    def next_check_in(self) -> float:
        """Seconds until the next check (0 when one is due or running)."""
        return max(0.0, self._waiting_until - time.monotonic())

    def reconfigure(self, config: KioskConfig) -> None:
        """Check every ``sync.interval_s`` (jittered) from now on."""
        interval = float(config.sync.interval_s)
        if interval == self.interval_s:
            return
        log.info("configuration checks every %.0f s (was %.0f s)", interval, self.interval_s)
        self.interval_s = interval
        if self.next_check_in > interval * 1.25:
            self._rearm.set()  # the current wait outlasts the new interval: draw again

    async def _wait(self, seconds: float) -> None:
        """*seconds*, or less if woken or re-armed. Tests pass their own *sleep* instead."""
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        while True:
            self._waiting_until = time.monotonic() + seconds
            self._rearm.clear()
            woken = asyncio.ensure_future(self._wake.wait())
            rearmed = asyncio.ensure_future(self._rearm.wait())
            try:
                done, _ = await asyncio.wait(
                    (woken, rearmed), timeout=seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                woken.cancel()
                rearmed.cancel()
            if rearmed in done and woken not in done:
                seconds = jittered(self.interval_s, self._rng)
                continue
            break
        self._wake.clear()

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start the task on *loop* (default: the running one)."""
        loop = loop or asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name="config-watch")

    async def _run(self) -> None:
        delay = self._rng.uniform(*FIRST_CHECK_S)
        while True:
            await self._wait(delay)
            await self.check_now()
            delay = jittered(self.interval_s, self._rng)

    async def check_now(self) -> SyncResult:
        """One check, on the watch's thread; its result goes to *on_result* too."""
        result = await self._worker.call(self._check)
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
        self._worker.close()
