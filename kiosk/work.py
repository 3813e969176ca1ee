"""Blocking work off the GUI thread, and its result handed back. Qt-free.

This is the one way the kiosk does it. A :class:`Worker` owns a few named
threads; :meth:`Worker.run` runs a blocking call there and hands its result (or
its failure) back to the GUI thread through a :class:`HandBack`: the asyncio
loop's ``call_soon_threadsafe`` once the loop runs (qasync runs asyncio on Qt's
own loop, so that is the GUI thread), or a queued Qt signal before then
(:class:`kiosk.ui.handback.QtHandBack`). Threads that run for the kiosk's whole life
(downloads, libvlc's event thread) hand back through the same :class:`HandBack`
with :func:`hand_back`.

Nothing that runs on a worker thread touches a widget, an asyncio object or the
kiosk's state: it returns a value, and the callback does the rest on the GUI thread.
"""

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class HandBack(Protocol):
    """Runs a callback soon on the GUI thread; callable from any thread."""

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> object: ...


def hand_back(to: HandBack, callback: Callable[..., object], *args: object) -> None:
    """Run *callback(*args)* on the GUI thread; nothing if the kiosk is stopping
    (its loop closed)."""
    with contextlib.suppress(RuntimeError):
        to.call_soon_threadsafe(callback, *args)


class Worker:
    """Named threads for blocking work (*name* appears in thread dumps and logs).

    Call :meth:`run` and :meth:`close` from the GUI thread.
    """

    def __init__(self, name: str, to: HandBack, threads: int = 1) -> None:
        self.name = name
        self._to = to
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._closed = False

    def run(
        self,
        work: Callable[[], T],
        then: Callable[[T], object],
        failed: Callable[[Exception], object] | None = None,
    ) -> None:
        """Run *work* on a worker thread; then ``then(result)`` on the GUI thread, or
        ``failed(error)`` if it raised (by default: logged, nothing else). Neither is
        called once the worker is closed."""

        def done(future: "Future[T]") -> None:
            if future.cancelled():
                return
            hand_back(self._to, self._deliver, future, then, failed)

        if self._closed:
            return
        self._pool.submit(work).add_done_callback(done)

    async def call(self, work: Callable[[], T]) -> T:
        """Run *work* on a worker thread and await its result (for asyncio code)."""
        import asyncio  # not on the path to the first frame: the screens import this module

        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def close(self) -> None:
        """Drop work not started, never wait for a call in progress. Safe to call twice."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(
        self,
        future: "Future[T]",
        then: Callable[[T], object],
        failed: Callable[[Exception], object] | None,
    ) -> None:
        if self._closed:
            return
        error = future.exception()
        if error is None:
            then(future.result())
        elif not isinstance(error, Exception):
            raise error
        elif failed is not None:
            failed(error)
        else:
            log.error("%s: %s", self.name, error, exc_info=error)
