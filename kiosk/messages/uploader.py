"""Sending the queued messages to city hall, and hearing when staff handled them.
Qt-free; a service (:mod:`kiosk.services`) on the asyncio loop, every request and
file read on a worker thread so the screen never waits for it.

For each queued message, oldest first: announce it (``POST``, which a box that lost
power repeats harmlessly), then send 256 KiB at a time from the offset city hall
says it holds, never from what the box remembers: after a crash, a lost answer or a
second box of the same centre, city hall's offset is the truth. A message city hall
refuses as malformed (or too large) moves to ``refused/`` and is not tried again.

City hall unreachable: one line in the log when it starts failing and one when it
answers again, and full-jitter backoff between attempts (:mod:`kiosk.backoff`, up to
:data:`CAP_S`), so 500 boxes coming back after an outage do not knock in step. A
new message wakes the uploader at once.

Delivered messages are asked about (``GET``) once at start and then about every
:data:`POLL_S` (±25 %); one staff marked handled is recorded and *on_handled* is told
(the home screen says "시청에서 확인했습니다" once).
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable

from kiosk.backoff import Backoff
from kiosk.messages.cityhall import (
    CityHall,
    Progress,
    RefusedError,
    UnreachableError,
    WrongOffsetError,
)
from kiosk.messages.spool import Message, Spool, State
from kiosk_contract.config import KioskConfig

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
"""Bytes per ``PATCH``."""
FIRST_S = 5.0
CAP_S = 600.0
"""Longest wait between attempts while city hall cannot be reached."""
POLL_S = 300.0
"""Mean seconds between asking about delivered messages."""
CHECKING_S = 5.0
"""The wait before asking again about a message city hall holds whole and is still
checking (a box that re-announced it during the check)."""

Sleep = Callable[[float], Awaitable[None]]


class MessageUploader:
    """Owns one task from :meth:`start` to :meth:`close`; loop thread only.

    *city_hall* gives the client to use now (``None``: the box is not enrolled, the
    messages wait). *on_delivered* and *on_handled* are told of each message city hall
    took whole and each staff handled, on the loop. *clock* and *sleep* are the
    loop's time (tests pass a virtual one); *rng* draws the jitter.
    """

    def __init__(
        self,
        spool: Spool,
        city_hall: Callable[[], CityHall | None],
        on_handled: Callable[[Message], None] = lambda message: None,
        on_delivered: Callable[[Message], None] = lambda message: None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        poll_s: float = POLL_S,
    ) -> None:
        self._spool = spool
        self._city_hall = city_hall
        self._on_handled = on_handled
        self._on_delivered = on_delivered
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._poll_s = poll_s
        self._backoff = Backoff(FIRST_S, CAP_S, rng=self._rng, clock=clock)
        self._wake = asyncio.Event()
        self._asked = False
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._checking = False
        self.attempts = 0
        """Rounds tried (each a pass over the queue); read by tests and benchmarks."""
        self.delivered = 0
        """Messages city hall took whole since start."""

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start on *loop* (by default the running one; the kiosk starts its services
        before its loop runs)."""
        if self._task is None:
            on = loop or asyncio.get_running_loop()
            self._task = on.create_task(self._run(), name="messages")

    def wake(self) -> None:
        """A message was queued (or someone wants news): send and ask about delivered
        messages now, not after the wait."""
        self._asked = True
        self._wake.set()

    def reconfigure(self, config: KioskConfig) -> None:
        """Nothing in the configuration changes where messages go (the enrolment does)."""

    async def close(self) -> None:
        """Stop; a chunk in flight is abandoned (city hall's offset says where to go on).
        Safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        next_poll = self._clock()  # once at start
        while True:
            self.attempts += 1
            self._checking = False
            try:
                hall = self._city_hall()
                if hall is not None:
                    await self._send_queued(hall)
                    if self._asked or self._clock() >= next_poll:
                        self._asked = False
                        await self._ask_about_delivered(hall)
                        next_poll = self._clock() + self._poll_s * self._rng.uniform(0.75, 1.25)
                    self._recovered()
                    self._backoff.connected()
                wait = max(next_poll - self._clock(), 0.0) if hall is not None else self._poll_s
                if self._checking:
                    wait = min(wait, CHECKING_S)
            except UnreachableError as err:
                self._failed(err)
                wait = self._backoff.next()
            except Exception:  # supervision boundary: a bug must not end the uploads for good
                log.exception("messages: unexpected failure; trying again later")
                wait = self._backoff.next()
            await self._pause(wait)

    async def _pause(self, seconds: float) -> None:
        """Wait *seconds*, or less if a new message wakes the uploader."""
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in (sleeping, woken):
                waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(sleeping, woken, return_exceptions=True)
        self._wake.clear()

    async def _send_queued(self, hall: CityHall) -> None:
        for message in await asyncio.to_thread(self._spool.in_state, State.QUEUED):
            try:
                await self._send(hall, message)
            except RefusedError as err:
                log.error("message %s refused by city hall, kept aside: %s", message.id, err)
                await asyncio.to_thread(self._spool.refuse, message)

    async def _send(self, hall: CityHall, message: Message) -> None:
        answer = await asyncio.to_thread(hall.announce, message)
        self._recovered()
        offset = answer.offset
        announced_again = False
        while answer.state == "uploading":
            if offset > message.size:
                raise RefusedError(
                    409, "offset", f"city hall holds {offset} of {message.size} bytes"
                )
            if offset == message.size:  # every byte in, and another request checks them
                self._checking = True
                return
            chunk = await asyncio.to_thread(self._read, message, offset)
            try:
                answer = await asyncio.to_thread(hall.append, message.id, offset, chunk)
            except RefusedError as err:
                if err.status != 404 or announced_again:
                    raise
                # City hall gave up a part untouched for long (days offline): announced
                # again, the message starts over.
                log.info("message %s: city hall no longer has its part; starting over", message.id)
                announced_again = True
                answer = await asyncio.to_thread(hall.announce, message)
                offset = answer.offset
                continue
            except WrongOffsetError as err:
                log.info(
                    "message %s: city hall holds %d bytes, going on from there",
                    message.id,
                    err.offset,
                )
                offset = err.offset
                continue
            offset = answer.offset
        delivered = await asyncio.to_thread(self._spool.delivered, message)
        self.delivered += 1
        self._on_delivered(delivered)
        log.info("message %s delivered (%d bytes)", message.id, message.size)
        if answer.state == "handled":
            await self._handled(message, answer)

    def _read(self, message: Message, offset: int) -> bytes:
        with self._spool.video(message).open("rb") as video:
            video.seek(offset)
            return video.read(CHUNK)

    async def _ask_about_delivered(self, hall: CityHall) -> None:
        for message in await asyncio.to_thread(self._spool.in_state, State.DELIVERED):
            try:
                answer = await asyncio.to_thread(hall.progress, message.id)
            except RefusedError as err:  # city hall no longer knows it: nothing more to hear
                log.warning(
                    "message %s: city hall does not know it (%s); forgotten", message.id, err
                )
                await asyncio.to_thread(self._spool.said, message)
                continue
            if answer.state == "handled":
                await self._handled(message, answer)

    async def _handled(self, message: Message, answer: Progress) -> None:
        handled = await asyncio.to_thread(self._spool.handled, message, answer.handled_by)
        log.info("message %s handled at city hall by %s", message.id, answer.handled_by or "?")
        self._on_handled(handled)

    def _failed(self, err: Exception) -> None:
        if not self._failing:
            self._failing = True
            log.warning("messages: city hall cannot be reached (%s); trying again later", err)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("messages: city hall answers again")
