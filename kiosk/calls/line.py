"""The line to city hall: a Janus session with a name registered on the VideoCall
plugin, kept up for as long as it runs. Qt-free; everything on the asyncio loop.

One :class:`CallLine` connects, registers, hands every VideoCall event to its
listener and, whenever the session is lost or cannot be had, waits (full-jitter
backoff, :mod:`kiosk.backoff`) and tries again. Its loop is a supervision
boundary: whatever goes wrong in one attempt (a refused request, a reply it cannot
read, a bug) is logged once with the reason and followed by the next attempt,
never by a line that is silently gone.
"""

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from kiosk.backoff import Backoff
from kiosk.calls.connection import IceServer
from kiosk.calls.janus import JanusError, JanusSession, SessionLostError
from kiosk.calls.videocall import CallEvent, VideoCallLine, read_event

log = logging.getLogger(__name__)

UNREACHABLE_POLL_S = 1.0
"""How often a line whose server is known to be unreachable (a local check, no
packet sent) looks again."""

OpenSession = Callable[[str, str | None], Awaitable[JanusSession]]
"""Opens a session at a server URL with an API secret (``JanusSession.open``)."""

TlsContext = Callable[[], ssl.SSLContext | None]
"""The box's TLS context for city hall (its client certificate and the fleet CA),
made again at each connection so that a renewed certificate is used; ``None``
while the box has none."""


class OpenSecure(Protocol):
    """``JanusSession.open`` with the TLS context to connect with."""

    def __call__(
        self, url: str, api_secret: str | None, /, *, tls: ssl.SSLContext | None = None
    ) -> Awaitable[JanusSession]: ...


def identified(tls: TlsContext, open_session: OpenSecure = JanusSession.open) -> OpenSession:
    """Sessions opened showing the box's identity: at a ``wss://`` server, with the
    context *tls* gives at that moment (its client certificate is how city hall's
    call gate knows the box); without one (not enrolled yet), as before."""

    async def open_identified(url: str, api_secret: str | None) -> JanusSession:
        context = tls() if url.startswith("wss://") else None
        if context is None:
            return await open_session(url, api_secret)
        return await open_session(url, api_secret, tls=context)

    return open_identified


@dataclass(frozen=True)
class LineSettings:
    """Where the line goes and under which name; a change means a new registration."""

    server: str
    api_secret: str
    name: str
    """The centre's name on the VideoCall plugin."""
    ice: tuple[IceServer, ...] = ()
    """The connections' STUN/TURN servers: not the line's, but a change re-registers
    too, so that nothing of the old settings lingers on the server."""


class LineListener(Protocol):
    """Told what happens on the line, synchronously on the loop. What it raises
    ends the attempt like any other fault (the line connects again)."""

    def line_up(self) -> None:
        """Registered: calls can be made and received."""
        ...

    def line_down(self) -> None:
        """The session is gone (or the line was stopped)."""
        ...

    def line_event(self, event: CallEvent) -> None:
        """A VideoCall event while up (``incomingcall``, ``accepted``, ``hangup``, ...)."""
        ...


class CallLine:
    """The registration of one name on one server, restored whenever it is lost."""

    def __init__(
        self,
        settings: LineSettings | None,
        listener: LineListener,
        open_session: OpenSession = JanusSession.open,
        reachable: Callable[[], bool] = lambda: True,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        """*settings* ``None``: no server, the line stays down. *reachable* is asked
        before each attempt (a local check). *backoff* makes the waiting for one run."""
        self._settings = settings
        self._listener = listener
        self._open = open_session
        self._reachable = reachable
        self._backoff = backoff
        self._session: JanusSession | None = None
        self._videocall: VideoCallLine | None = None
        self._up = asyncio.Event()
        self._dropped = asyncio.Event()
        """Set once the current registration has been let go of (cleared when up)."""
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        """Every run not yet finished (a stopped one may still be closing its session)."""
        self._started = False
        self.failure = ""
        """Why the last attempt failed ("" while up or before any)."""

    @property
    def settings(self) -> LineSettings | None:
        return self._settings

    @property
    def up(self) -> bool:
        """Registered now, on a session not known to be lost (the line may not have
        noticed the loss yet: then it is down already)."""
        session = self._session
        return self._up.is_set() and session is not None and not session.lost.is_set()

    @property
    def session(self) -> JanusSession | None:
        """The session while up (group sessions attach to it)."""
        return self._session if self.up else None

    @property
    def videocall(self) -> VideoCallLine | None:
        """The registration while up."""
        return self._videocall if self.up else None

    async def wait_up(self) -> None:
        """Until :attr:`up` (a registration on a lost session is waited out)."""
        while True:
            await self._up.wait()
            if self.up:
                return
            await self._dropped.wait()

    def start(self) -> None:
        """Connect and stay connected (once there are settings; safe to call twice)."""
        self._started = True
        if self._task is None and self._settings is not None:
            self._begin(None)

    def change(self, settings: LineSettings | None) -> None:
        """Go to *settings*: a started line ends its registration and registers
        with the new ones (none: it stays down). Unchanged settings change nothing."""
        if settings == self._settings:
            return
        self._settings = settings
        old, self._task = self._task, None
        if old is not None:
            old.cancel()
        if self._started and settings is not None:
            self._begin(old)

    async def close(self) -> None:
        """Unregister and close the session; every run ends. Safe to call twice."""
        self._started = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        # Runs cancelled earlier are not cancelled again: their closing would be cut short.
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    # --- internals -------------------------------------------------------------

    def _begin(self, after: "asyncio.Task[None] | None") -> None:
        settings = self._settings
        assert settings is not None
        task = asyncio.create_task(self._keep(settings, after), name="call-line")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._task = task

    async def _keep(self, settings: LineSettings, after: "asyncio.Task[None] | None") -> None:
        if after is not None:  # the old registration goes first: the name may be the same
            await asyncio.wait({after})
        backoff = self._backoff()
        while True:
            if not self._reachable():
                await asyncio.sleep(UNREACHABLE_POLL_S)
                continue
            try:
                lost = await self._serve(settings, backoff)
            except JanusError as err:
                self._failed(str(err))
            except Exception as err:  # noqa: BLE001 - the line's supervision boundary:
                # a fault in one attempt (a reply misread, a bug) must not end it for good
                self._failed(f"{type(err).__name__}: {err}", err)
            else:  # janus.py has said why the session was lost
                log.info("call line down (%s); connecting again", lost)
            finally:
                await self._drop()
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                # Cancelled while connecting, and the connect turned that into a
                # failure (seen with a server that refuses at once): still the end.
                raise asyncio.CancelledError
            await asyncio.sleep(backoff.next())

    async def _serve(self, settings: LineSettings, backoff: Backoff) -> str:
        """One attempt: connect, register, pass events on until the session is lost;
        returns why it ended."""
        self._session = await self._open(settings.server, settings.api_secret or None)
        self._videocall = await VideoCallLine.register(self._session, settings.name)
        backoff.connected()
        self.failure = ""
        self._dropped.clear()
        self._up.set()
        log.info("registered with city hall as %s", settings.name)
        self._listener.line_up()
        events = self._videocall.handle.events
        while True:
            event = read_event(await events.get())
            if event.name in ("lost", "detached"):
                return event.reason or event.name
            self._listener.line_event(event)

    def _failed(self, reason: str, fault: Exception | None = None) -> None:
        """Log once per kind of failure, not at every attempt while city hall is down;
        a *fault* (not a refusal by the server) with its traceback."""
        if reason == self.failure:
            return
        self.failure = reason
        if fault is not None:
            log.error("call line failed (%s); connecting again", reason, exc_info=fault)
        else:
            log.warning("call server: %s (retrying quietly)", reason)

    async def _drop(self) -> None:
        was_up = self._up.is_set()
        self._up.clear()
        self._dropped.set()
        session, self._session, self._videocall = self._session, None, None
        if was_up:
            self._listener.line_down()
        if session is not None:
            with contextlib.suppress(SessionLostError):
                await session.close()
