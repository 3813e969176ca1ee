"""A small asyncio client of Janus' WebSocket API, for city hall's own services.

One :class:`JanusSession` owns one WebSocket (subprotocol ``janus-protocol``), a
reader task that hands each reply to the request waiting for it (by transaction)
and each event to its handle's listener, and a keepalive task. Every request
carries a Janus token made fresh by the ``token`` callable (``token_auth``).

When the socket closes, Janus forgets the session, or a request (the keepalive
included) gets no answer within :data:`REPLY_TIMEOUT_S`, :attr:`JanusSession.lost`
is set and every waiter fails with :class:`JanusLostError` at once: a killed Janus
is noticed as soon as its socket closes, a vanished one within ~25 s.

The box has its own client (``kiosk.calls.janus``); city hall's tools never import
the box, so this one is theirs, and only as big as the relay needs.
"""

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)

Json = dict[str, Any]
EventListener = Callable[[Json], None]
"""Called on the loop with a handle's event (``plugindata.data``, or the whole
message for ``hangup``, ``webrtcup``...)."""

KEEPALIVE_S = 15.0
"""A keepalive this often: Janus drops a session after 60 s without a request, and
an unanswered keepalive is how a server that vanished without closing is noticed."""
REPLY_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0


class JanusError(Exception):
    """Janus or a plugin refused a request (*code* as Janus gives it, 0 if none)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}" if code else reason)
        self.code = code
        self.reason = reason


class JanusLostError(JanusError):
    """The server, the connection or the session is gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, reason)


class JanusSession:
    """A Janus session over one WebSocket. Use :meth:`open`; :meth:`close` when done
    (safe to call twice). All methods run on the loop that opened it."""

    def __init__(self, socket: ClientConnection, token: Callable[[], str], url: str) -> None:
        self._socket = socket
        self._token = token
        self.url = url
        self.id = 0
        self._waiting: dict[str, tuple[asyncio.Future[Json], bool]] = {}
        self._listeners: dict[int, EventListener] = {}
        self.lost = asyncio.Event()
        """Set once the session is gone, whatever the reason (:attr:`lost_reason`)."""
        self.lost_reason = ""
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def open(cls, url: str, token: Callable[[], str]) -> "JanusSession":
        """Connect to Janus' WebSocket API at *url* and create a session (raises
        :class:`JanusError`)."""
        try:
            socket = await websockets.connect(
                url,
                subprotocols=[websockets.Subprotocol("janus-protocol")],
                open_timeout=CONNECT_TIMEOUT_S,
                # Janus pings us (pingpong_trigger) and the keepalive below is our
                # check; websockets' own pings meet libwebsockets' pong quirk (see
                # kiosk.calls.janus) and would close a healthy connection.
                ping_interval=None,
                max_size=2**22,
            )
        except (OSError, TimeoutError, websockets.InvalidHandshake) as err:
            raise JanusLostError(f"cannot reach {url}: {err}") from err
        session = cls(socket, token, url)
        session._tasks.append(asyncio.create_task(session._read(), name="janus-api-read"))
        try:
            reply = await session.request({"janus": "create"})
            session.id = _number(reply.get("data"), "id")
        except BaseException:
            await session.close()
            raise
        session._tasks.append(asyncio.create_task(session._keepalive(), name="janus-api-keepalive"))
        return session

    async def request(self, message: Json, wait_event: bool = False) -> Json:
        """Send *message* (a transaction, the session and a token are added) and
        return Janus' answer: ``success``, or with *wait_event* the ``event`` that
        follows an ``ack`` (a plugin's asynchronous request, e.g. ``join``)."""
        if self.lost.is_set():
            raise JanusLostError(self.lost_reason)
        transaction = secrets.token_hex(8)
        full = {**message, "transaction": transaction, "token": self._token()}
        if self.id and message.get("janus") != "info":  # info is asked outside sessions
            full["session_id"] = self.id
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = (future, wait_event)
        try:
            await self._socket.send(json.dumps(full))
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                reply = await future
        except websockets.ConnectionClosed as err:
            self._lose(f"connection closed: {err}")
            raise JanusLostError(self.lost_reason) from err
        except TimeoutError as err:
            self._lose(f"no answer to {message.get('janus')} in {REPLY_TIMEOUT_S:.0f} s")
            raise JanusLostError(self.lost_reason) from err
        finally:
            self._waiting.pop(transaction, None)
        if reply.get("janus") == "error":
            error = reply.get("error")
            error = error if isinstance(error, dict) else {}
            raise JanusError(_int(error.get("code")), str(error.get("reason", "")))
        return reply

    async def attach(self, plugin: str, listener: EventListener | None = None) -> "PluginHandle":
        """Attach *plugin*; *listener* gets the handle's events."""
        reply = await self.request({"janus": "attach", "plugin": plugin})
        handle = PluginHandle(self, _number(reply.get("data"), "id"))
        if listener is not None:
            self._listeners[handle.id] = listener
        return handle

    async def close(self) -> None:
        """Destroy the session (if the server is still there) and close the socket."""
        if not self.lost.is_set() and self.id:
            with contextlib.suppress(JanusError):
                await asyncio.wait_for(self.request({"janus": "destroy"}), 2.0)
        self._lose("closed")
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._socket.close()

    def _lose(self, reason: str) -> None:
        if self.lost.is_set():
            return
        self.lost_reason = reason
        self.lost.set()
        for future, _ in self._waiting.values():
            if not future.done():
                future.set_exception(JanusLostError(reason))

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                try:
                    message = json.loads(raw)
                except ValueError:
                    log.warning("%s sent something that is not JSON; ignored", self.url)
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
            self._lose("connection closed")
        except websockets.ConnectionClosed as err:
            self._lose(f"connection closed: {err}")

    def _dispatch(self, message: Json) -> None:
        kind = message.get("janus")
        if kind == "timeout":
            self._lose("janus timed the session out")
            return
        waiter = self._waiting.get(str(message.get("transaction", "")))
        if waiter is not None and not waiter[0].done():
            future, wait_event = waiter
            if not (kind == "ack" and wait_event):  # an ack only says "event follows"
                future.set_result(message)
            return
        sender = message.get("sender")
        listener = self._listeners.get(sender) if isinstance(sender, int) else None
        if listener is None:
            return
        data = message.get("plugindata", {}).get("data") if kind == "event" else message
        if isinstance(data, dict):
            listener(data)

    async def _keepalive(self) -> None:
        while not self.lost.is_set():
            await asyncio.sleep(KEEPALIVE_S)
            with contextlib.suppress(JanusError):
                await self.request({"janus": "keepalive"})


class PluginHandle:
    """One plugin attached to a :class:`JanusSession`."""

    def __init__(self, session: JanusSession, handle_id: int) -> None:
        self.session = session
        self.id = handle_id

    async def send(self, body: Json, wait_event: bool = False) -> Json:
        """A plugin request; the plugin's answer (``plugindata.data``). A plugin's
        refusal (``error_code``) raises :class:`JanusError`."""
        reply = await self.session.request(
            {"janus": "message", "handle_id": self.id, "body": body}, wait_event
        )
        plugindata = reply.get("plugindata")
        data = plugindata.get("data") if isinstance(plugindata, dict) else None
        if not isinstance(data, dict):
            raise JanusError(0, f"no plugin data in the answer to {body.get('request')}")
        if "error_code" in data:
            raise JanusError(_int(data.get("error_code")), str(data.get("error", "")))
        return data


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(part: object, key: str) -> int:
    value = part.get(key) if isinstance(part, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise JanusError(0, f"malformed answer: no number {key}")
    return value
