"""Janus' WebSocket API: a session, plugin handles, requests and their replies.

One :class:`JanusSession` owns one WebSocket, a reader task that hands each
message to whoever waits for it (by transaction) or to the handle it concerns
(events), and a keepalive task. When the socket closes or Janus forgets the
session, :attr:`JanusSession.lost` is set and every waiter fails with
:class:`SessionLostError` at once: that is how calls notice a server that went away,
long before the media path times out.

What Janus sends is read defensively: a reply without the fields a request expects
is a :class:`MalformedReplyError` (a :class:`JanusError`), an event that makes no
sense is dropped, and however the reader ends, the session counts as lost. So a
server speaking garbage costs the caller one failed request, never a stuck line.

The socket is anything with the WebSocket's ``send``, async iteration and ``close``
(:class:`Socket`): :meth:`JanusSession.open` connects a real one, and tests hand
:meth:`JanusSession.create` an in-memory pair with a fake server at the other end.
"""

import asyncio
import contextlib
import json
import logging
import secrets
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import websockets
from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)

KEEPALIVE_S = 25.0
"""Janus drops a session after 60 s without a request."""
REPLY_TIMEOUT_S = 10.0
"""A request Janus does not answer within this long counts as a lost server."""
CONNECT_TIMEOUT_S = 5.0
PING_S = 5.0
"""WebSocket pings this often."""
PING_TIMEOUT_S = 10.0
"""A ping unanswered this long means the path is dead. Long enough that a cut of a
few seconds keeps the session (media then resumes by itself, without a rejoin)."""

Json = dict[str, Any]


class JanusError(Exception):
    """Janus or a plugin refused a request."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}" if code else reason)
        self.code = code
        self.reason = reason


class SessionLostError(JanusError):
    """The server, the connection or the session is gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, reason)


class MalformedReplyError(JanusError):
    """Janus answered, but without what the request expects (a field missing or of
    the wrong type): a server we do not understand, treated as a refusal."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, f"malformed reply: {reason}")


class Socket(Protocol):
    """A connection to Janus carrying one JSON message per frame (the WebSocket)."""

    async def send(self, message: str) -> None:
        """Raises ``websockets.ConnectionClosed`` once the connection is gone."""
        ...

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        """Messages as they arrive; ends (or raises ``ConnectionClosed``) when it closes."""
        ...

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        ...


def part(message: Json, *path: str) -> Json:
    """The object at *path* inside *message* (raises :class:`MalformedReplyError`)."""
    found: Any = message
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
        if not isinstance(found, dict):
            raise MalformedReplyError(f"no object {'.'.join(path)}")
    assert isinstance(found, dict)
    return found


def number(message: Json, *path: str) -> int:
    """The integer at *path* inside *message* (raises :class:`MalformedReplyError`)."""
    parent = message
    for key in path[:-1]:
        parent = as_object(parent.get(key))
    found = parent.get(path[-1])
    if not isinstance(found, int) or isinstance(found, bool):
        raise MalformedReplyError(f"no number {'.'.join(path)}")
    return found


def as_object(value: object) -> Json:
    """*value* if it is a JSON object, else an empty one (for optional parts)."""
    return value if isinstance(value, dict) else {}


def _jsep(value: object) -> Json | None:
    """A session description, or ``None`` for anything that is not one."""
    if isinstance(value, dict) and isinstance(value.get("sdp"), str):
        return value
    return None


@dataclass(frozen=True)
class Event:
    """Something Janus said about a handle without being asked (or a plugin's reply)."""

    kind: str
    """``event``, ``webrtcup``, ``media``, ``hangup``, ``slowlink``, ``detached``, ``trickle``."""
    data: Json = field(default_factory=dict)
    """The plugin's data (``plugindata.data``) for ``event``; the message itself otherwise."""
    jsep: Json | None = None


class Handle:
    """One plugin attached to the session."""

    def __init__(self, session: "JanusSession", handle_id: int, plugin: str) -> None:
        self.session = session
        self.id = handle_id
        self.plugin = plugin
        self.events: asyncio.Queue[Event] = asyncio.Queue()

    async def send(self, body: Json, jsep: Json | None = None) -> Event:
        """A plugin request; returns the plugin's reply (raises :class:`JanusError`)."""
        message: Json = {"janus": "message", "handle_id": self.id, "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        reply = await self.session.request(message)
        data = part(reply, "plugindata", "data")
        if "error_code" in data:
            raise JanusError(_code(data.get("error_code")), str(data.get("error", "")))
        return Event(str(reply.get("janus", "")), data, _jsep(reply.get("jsep")))

    async def detach(self) -> None:
        with contextlib.suppress(JanusError):
            await self.session.request({"janus": "detach", "handle_id": self.id})
        self.session.forget(self)

    def __repr__(self) -> str:
        return f"<Handle {self.plugin} {self.id}>"


class _Connection(ClientConnection):
    """A WebSocket that counts any pong as the answer to the pings it waits for.

    Janus' WebSocket transport (libwebsockets 4.1, Debian 12) answers a ping that
    arrives within about a millisecond before it sends its own keepalive ping
    (``pingpong_trigger``) with a pong carrying garbage instead of the ping's data.
    ``websockets`` ignores such a pong as unsolicited, so that ping stays unanswered
    and the connection is closed ``1011 keepalive ping timeout`` 10 s later, on an
    idle machine too. Our pings every 5 s and Janus' every 10 s both count from the
    handshake, so they meet every 10 s: not a rare event. A pong, whatever it
    carries, shows the path and the server are alive; that is all a keepalive asks.
    """

    def acknowledge_pings(self, data: bytes) -> None:
        if data not in self.pending_pings and self.pending_pings:
            log.debug("janus answered a ping with a pong for no ping; counted as an answer")
            data = next(reversed(self.pending_pings))  # the newest: all are answered
        super().acknowledge_pings(data)


class JanusSession:
    """A Janus session over one WebSocket. Use :meth:`open`; :meth:`close` when done."""

    def __init__(self, socket: Socket, api_secret: str | None, token: str | None = None) -> None:
        self._socket = socket
        self._secret = api_secret
        self._token = token
        self.id = 0
        self._waiting: dict[str, tuple[asyncio.Future[Json], bool]] = {}
        self._handles: dict[int, Handle] = {}
        self.lost = asyncio.Event()
        self.lost_reason = ""
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def open(
        cls,
        url: str,
        api_secret: str | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        token: str | None = None,
    ) -> "JanusSession":
        """Connect to *url* (``ws://`` or ``wss://``, TLS verified) and create a session.

        *tls* (``wss://`` only): the context to connect with, e.g. the box's with its
        client certificate, which is how city hall's call gate knows the box; without
        one, the system's CAs and no certificate. *token*: put in every request's
        ``token`` field, as janus.js does with its option (a staff pass at the gate).
        """
        if tls is not None and not url.startswith("wss://"):
            raise SessionLostError(f"a TLS identity needs a wss:// server, not {url}")
        secure: dict[str, Any] = {"ssl": tls} if tls is not None else {}
        try:
            socket = await websockets.connect(
                url,
                **secure,
                subprotocols=[websockets.Subprotocol("janus-protocol")],
                open_timeout=CONNECT_TIMEOUT_S,
                ping_interval=PING_S,
                ping_timeout=PING_TIMEOUT_S,
                max_size=2**22,
                create_connection=_Connection,
            )
        except (OSError, TimeoutError, websockets.InvalidHandshake) as err:
            raise SessionLostError(f"cannot reach {url}: {err}") from err
        session = await cls.create(socket, api_secret, token)
        log.info("janus session %d at %s", session.id, url)
        return session

    @classmethod
    async def create(
        cls, socket: Socket, api_secret: str | None = None, token: str | None = None
    ) -> "JanusSession":
        """Create a session over *socket*, which it then owns (closed if this fails)."""
        session = cls(socket, api_secret, token)
        session._tasks.append(asyncio.create_task(session._read(), name="janus-read"))
        try:
            reply = await session.request({"janus": "create"})
            session.id = number(reply, "data", "id")
        except BaseException:
            await session.close()
            raise
        session._tasks.append(asyncio.create_task(session._keepalive(), name="janus-keepalive"))
        return session

    async def attach(self, plugin: str) -> Handle:
        reply = await self.request({"janus": "attach", "plugin": plugin})
        handle = Handle(self, number(reply, "data", "id"), plugin)
        self._handles[handle.id] = handle
        return handle

    def forget(self, handle: Handle) -> None:
        self._handles.pop(handle.id, None)

    async def request(self, message: Json, until_ack: bool = False) -> Json:
        """Send *message*; return Janus' reply to it (the ``ack`` only if *until_ack*)."""
        if self.lost.is_set():
            raise SessionLostError(self.lost_reason)
        transaction = secrets.token_hex(6)
        message = {**message, "transaction": transaction}
        if self.id:
            message["session_id"] = self.id
        if self._secret:
            message["apisecret"] = self._secret
        if self._token:
            message["token"] = self._token
        reply: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = (reply, until_ack)
        try:
            await self._socket.send(json.dumps(message))
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                answer = await reply
        except websockets.ConnectionClosed as err:
            self._lose(f"connection closed: {err}")
            raise SessionLostError(self.lost_reason) from err
        except TimeoutError as err:
            self._lose(f"no reply to {message['janus']} in {REPLY_TIMEOUT_S:.0f} s")
            raise SessionLostError(self.lost_reason) from err
        finally:
            self._waiting.pop(transaction, None)
            if reply.done() and not reply.cancelled():
                reply.exception()  # failed by _lose while we were still sending: seen
        if answer.get("janus") == "error":
            error = as_object(answer.get("error"))
            code, reason = _code(error.get("code")), str(error.get("reason", ""))
            if code == 458:  # no such session: Janus restarted or timed us out
                self._lose(f"session gone: {reason}")
                raise SessionLostError(self.lost_reason)
            raise JanusError(code, reason)
        return answer

    async def close(self) -> None:
        """Destroy the session (if the server is still there) and close the socket."""
        if self.id and not self.lost.is_set():
            with contextlib.suppress(JanusError):
                await self.request({"janus": "destroy"})
        self._lose("closed")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._socket.close()

    # --- internals -----------------------------------------------------------

    async def _read(self) -> None:
        """Hand each message on until the connection ends; then (and if this ever
        fails) the session is lost, so nobody waits on a reader that is gone."""
        reason = "connection closed"
        try:
            async for raw in self._socket:
                try:
                    message = json.loads(raw)
                except (ValueError, RecursionError):  # not JSON, or nested past reading
                    log.warning("janus sent something that is not JSON; ignored")
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except websockets.ConnectionClosed as err:
            # Which side closed, and why: "sent 1011 (internal error) keepalive ping timeout"
            reason = f"connection closed: {err}"
        except asyncio.CancelledError:
            reason = "closed"  # by its owner, not by the server
            raise
        finally:
            self._lose(reason)

    def _dispatch(self, message: Json) -> None:
        kind = str(message.get("janus", ""))
        waiter = self._waiting.get(str(message.get("transaction", "")))
        if waiter is not None:
            reply, until_ack = waiter
            if (kind != "ack" or until_ack) and not reply.done():
                reply.set_result(message)
                return
            if kind == "ack":
                return
        if kind == "timeout":
            self._lose("session timed out")
            return
        sender = message.get("sender")
        handle = self._handles.get(sender) if isinstance(sender, int) else None
        if handle is None:
            if kind not in ("ack", "success"):
                log.debug("janus %s for no known handle", kind)
            return
        if kind == "event":
            data = as_object(as_object(message.get("plugindata")).get("data"))
            handle.events.put_nowait(Event(kind, data, _jsep(message.get("jsep"))))
        else:
            handle.events.put_nowait(Event(kind, message))

    async def _keepalive(self) -> None:
        while not self.lost.is_set():
            await asyncio.sleep(KEEPALIVE_S)
            try:
                await self.request({"janus": "keepalive"}, until_ack=True)
            except JanusError:
                return

    def _lose(self, reason: str) -> None:
        if self.lost.is_set():
            return
        self.lost_reason = reason
        self.lost.set()
        if reason != "closed":
            log.warning("janus session %d lost: %s", self.id, reason)
        error = SessionLostError(reason)
        for reply, _ in list(self._waiting.values()):
            if not reply.done():
                reply.set_exception(error)
        for handle in self._handles.values():
            handle.events.put_nowait(Event("lost", {"reason": reason}))


def _code(value: object) -> int:
    """An error code as Janus sends it (0 when it sends none we can read)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
