"""A fake Janus for the calls' unit tests: a server speaking the JSON messages of
Janus' WebSocket API over two asyncio queues crossed over.

The client side is the real :class:`kiosk.calls.janus.JanusSession` (transactions,
acks, events, keepalives, a lost connection), so the line's code is tested as it
runs, and a test can make the server send anything at all, garbage included. The
VideoCall and VideoRoom plugins are reduced to what the kiosk uses; media never
flows (see ``fake_media.py`` for the connections).

:meth:`FakeJanus.open` is the session factory a desk or line is given; several
servers can share a :class:`FakeNet` (one per URL).
"""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosedError

from kiosk.calls.janus import JanusSession, SessionLostError

Json = dict[str, Any]
VIDEOCALL = "janus.plugin.videocall"
VIDEOROOM = "janus.plugin.videoroom"
OFFER = {"type": "offer", "sdp": "v=0 fake offer"}
ANSWER = {"type": "answer", "sdp": "v=0 fake answer"}

_ids = itertools.count(1000)


class FakeSocket:
    """One end of a connection, shaped like the WebSocket :class:`JanusSession` reads."""

    def __init__(self, inbox: "asyncio.Queue[str | None]", outbox: "asyncio.Queue[str | None]"):
        self._inbox = inbox
        self._outbox = outbox
        self.closed = False
        self._closed_here = False

    async def send(self, message: str) -> None:
        if self.closed:
            raise ConnectionClosedError(None, None)
        self._outbox.put_nowait(message)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str]:
        while True:
            message = await self._inbox.get()
            if message is None:
                self.closed = True
                if self._closed_here:
                    return  # as the WebSocket's iteration ends after our own close
                raise ConnectionClosedError(None, None)
            yield message

    async def close(self) -> None:
        if not self.closed:
            self.closed = self._closed_here = True
            self._outbox.put_nowait(None)  # the far end sees the connection go
            self._inbox.put_nowait(None)  # and our own reader ends

    def put(self, message: str) -> None:
        """Send without waiting (the server's side sends from plain functions)."""
        if not self.closed:
            self._outbox.put_nowait(message)

    def break_off(self) -> None:
        """The connection breaks: the far end reads ``ConnectionClosed``."""
        if not self.closed:
            self.closed = True
            self._outbox.put_nowait(None)


def socket_pair() -> tuple[FakeSocket, FakeSocket]:
    """(client end, server end), crossed over."""
    up: asyncio.Queue[str | None] = asyncio.Queue()
    down: asyncio.Queue[str | None] = asyncio.Queue()
    return FakeSocket(down, up), FakeSocket(up, down)


@dataclass(eq=False)
class FakeHandle:
    id: int
    session: "FakeSession"
    plugin: str
    username: str = ""
    """VideoCall: the name registered on this handle."""
    peer: "FakeHandle | None" = None
    """VideoCall: the other side of the call (ringing or up)."""
    media: bool = False
    """Its connection is up (``webrtcup`` was sent)."""
    room: int = 0
    feed: int = 0
    display: str = ""
    publishing: bool = False


@dataclass(eq=False)
class FakeSession:
    id: int
    connection: "Connection"
    handles: dict[int, FakeHandle] = field(default_factory=dict)


class Connection:
    """The server's side of one client's WebSocket."""

    def __init__(self, janus: "FakeJanus", socket: FakeSocket) -> None:
        self.janus = janus
        self.socket = socket
        self.sessions: dict[int, FakeSession] = {}
        self.task = asyncio.create_task(self._serve(), name="fake-janus-connection")

    async def _serve(self) -> None:
        try:
            async for raw in self.socket:
                self.janus.receive(self, json.loads(raw))
        except ConnectionClosedError:
            pass
        self.janus.gone(self)

    def send(self, message: Json | str) -> None:
        self.socket.put(message if isinstance(message, str) else json.dumps(message))

    def cut(self) -> None:
        """Break the connection under the client."""
        self.socket.break_off()
        self.task.cancel()


Tamper = Callable[[Json, Json], Json | str | None]
"""Sees each request and its reply; returns what to send instead (``None``: the reply)."""


class FakeJanus:
    """One fake server. Controls: :meth:`stop`, :meth:`start`, :meth:`drop`,
    :attr:`tamper`, :meth:`send_to`; what it saw: :attr:`requests`, :attr:`connects`."""

    def __init__(self, url: str = "ws://fake-janus/", rooms: tuple[int, ...] = (1001,)) -> None:
        self.url = url
        self.api_secret = ""
        self.running = True
        self.media_up = True
        """Connections come up (``webrtcup``) once a call is accepted or a feed published."""
        self.rooms = rooms
        self.connections: list[Connection] = []
        self.handles: dict[int, FakeHandle] = {}
        self.users: dict[str, FakeHandle] = {}
        self.requests: list[tuple[float, str]] = []
        """(loop time, request) for each request: ``create``, ``attach``, ``register``..."""
        self.connects: list[float] = []
        """Loop times of every connection attempt, refused ones too."""
        self.tamper: Tamper | None = None

    # --- the session factory -------------------------------------------------------

    async def open(self, url: str, api_secret: str | None = None) -> JanusSession:
        """What ``JanusSession.open`` does, against this server."""
        self.connects.append(asyncio.get_running_loop().time())
        if not self.running or url != self.url:
            raise SessionLostError(f"cannot reach {url}: connection refused")
        client, server = socket_pair()
        self.connections.append(Connection(self, server))
        return await JanusSession.create(client, api_secret)

    # --- what a test does to it ------------------------------------------------------

    def stop(self) -> None:
        """Janus killed: every connection closes, everything is forgotten."""
        self.running = False
        for connection in list(self.connections):
            connection.cut()
            self.gone(connection)

    def start(self) -> None:
        self.running = True

    def drop(self, name: str) -> None:
        """The connection on which *name* is registered breaks (a cut, a ping timeout)."""
        connection = self.users[name].session.connection
        connection.cut()
        self.gone(connection)

    def send_to(self, name: str, message: Json | str) -> None:
        """Send *message* (anything) on the connection where *name* is registered."""
        self.users[name].session.connection.send(message)

    def registered(self) -> list[str]:
        return sorted(self.users)

    def count(self, request: str, since: float = 0.0) -> int:
        return sum(1 for at, name in self.requests if name == request and at >= since)

    # --- the server -------------------------------------------------------------------

    def receive(self, connection: Connection, message: Json) -> None:
        kind = str(message.get("janus", ""))
        body = message.get("body") or {}
        now = asyncio.get_running_loop().time()
        self.requests.append((now, str(body.get("request", kind)) if kind == "message" else kind))
        transaction = message.get("transaction")
        reply = self._reply(connection, kind, message)
        if reply is None:
            return
        reply["transaction"] = transaction
        if self.tamper is not None:
            changed = self.tamper(message, reply)
            if changed is not None:
                connection.send(changed)
                return
        connection.send(reply)

    def gone(self, connection: Connection) -> None:
        """The connection closed: its sessions go with it (Janus' "transport gone")."""
        if connection in self.connections:
            self.connections.remove(connection)
        for session in list(connection.sessions.values()):
            self._destroy(session)

    def _reply(self, connection: Connection, kind: str, message: Json) -> Json | None:
        if self.api_secret and message.get("apisecret") != self.api_secret:
            return _error(403, "Unauthorized request (wrong or missing secret/token)")
        if kind == "create":
            made = FakeSession(next(_ids), connection)
            connection.sessions[made.id] = made
            return {"janus": "success", "data": {"id": made.id}}
        session = connection.sessions.get(message.get("session_id", -1))
        if session is None:
            return _error(458, "No such session")
        if kind == "keepalive":
            return {"janus": "ack"}
        if kind == "destroy":
            self._destroy(session)
            return {"janus": "success"}
        if kind == "attach":
            attached = FakeHandle(next(_ids), session, str(message.get("plugin")))
            session.handles[attached.id] = attached
            self.handles[attached.id] = attached
            return {"janus": "success", "data": {"id": attached.id}}
        handle = session.handles.get(message.get("handle_id", -1))
        if handle is None:
            return _error(459, "No such handle")
        if kind == "detach":
            self._detach(handle)
            return {"janus": "success"}
        if kind == "message":
            connection.send({"janus": "ack", "transaction": message.get("transaction")})
            if handle.plugin == VIDEOCALL:
                data, jsep = self._videocall(handle, message["body"], message.get("jsep"))
            else:
                data, jsep = self._videoroom(handle, message["body"])
            return _event(handle, data, jsep)
        return _error(453, f"Unknown request '{kind}'")

    # --- VideoCall --------------------------------------------------------------------

    def _videocall(self, handle: FakeHandle, body: Json, jsep: Json | None) -> tuple[Json, Any]:
        request = body.get("request")
        if request == "register":
            name = str(body.get("username"))
            if handle.username:
                return _plugin_error(477, f"Already registered ({handle.username})"), None
            if name in self.users:
                return _plugin_error(476, f"Username '{name}' already taken"), None
            handle.username = name
            self.users[name] = handle
            return _result({"event": "registered", "username": name}), None
        if request == "list":
            return _result({"list": sorted(self.users)}), None
        if request == "call":
            callee = self.users.get(str(body.get("username")))
            if handle.peer is not None:
                return _plugin_error(480, "Already in a call"), None
            if callee is None:
                return _plugin_error(478, f"Username '{body.get('username')}' doesn't exist"), None
            if callee.peer is not None:  # Janus closes the caller's connection too
                self._send(handle, {"janus": "hangup", "reason": "Close PC"})
                return _result({"event": "hangup", "reason": "User busy"}), None
            handle.peer, callee.peer = callee, handle
            self._notify(
                callee, _result({"event": "incomingcall", "username": handle.username}), jsep
            )
            return _result({"event": "calling"}), None
        if request == "accept":
            caller = handle.peer
            if caller is None:
                return _plugin_error(481, "No incoming call to accept"), None
            self._notify(caller, _result({"event": "accepted", "username": handle.username}), jsep)
            if self.media_up:
                for side in (handle, caller):
                    side.media = True
                    self._send(side, {"janus": "webrtcup"})
            return _result({"event": "accepted"}), None
        if request == "hangup":
            self._hang_up(handle, "Remote hangup")
            return _result({"event": "hangup", "reason": "Explicit hangup"}), None
        return _plugin_error(499, f"Unknown request {request}"), None

    def _hang_up(self, handle: FakeHandle, reason: str) -> None:
        """End *handle*'s call: the far side is told, then both connections close."""
        peer, handle.peer = handle.peer, None
        if peer is not None:
            peer.peer = None
            self._notify(peer, _result({"event": "hangup", "reason": reason}))
        for side in (handle, peer):
            if side is not None and side.media:
                side.media = False
                self._send(side, {"janus": "hangup", "reason": "Close PC"})

    # --- VideoRoom --------------------------------------------------------------------

    def _videoroom(self, handle: FakeHandle, body: Json) -> tuple[Json, Any]:
        request = body.get("request")
        room = body.get("room", handle.room)
        if request == "join" and room not in self.rooms:
            return _plugin_error(426, f"No such room ({room})"), None
        if request == "join" and body.get("ptype") == "publisher":
            handle.room, handle.feed = room, next(_ids)
            handle.display = str(body.get("display", ""))
            return {
                "videoroom": "joined",
                "room": room,
                "id": handle.feed,
                "publishers": [_feed(p) for p in self._publishers(room) if p is not handle],
            }, None
        if request == "publish":
            handle.publishing = True
            for other in self._publishers(handle.room):
                if other is not handle:
                    self._notify(other, {"videoroom": "event", "publishers": [_feed(handle)]})
            if self.media_up:
                handle.media = True
                self._send(handle, {"janus": "webrtcup"})
            return {"videoroom": "event", "configured": "ok"}, ANSWER
        if request == "unpublish":
            if not handle.publishing:
                return _plugin_error(435, "Can't unpublish, not published"), None
            if not handle.media:  # as Janus: not before the media is up
                return _plugin_error(435, "Can't unpublish, not published"), None
            handle.publishing = handle.media = False
            for other in self._publishers(handle.room):
                self._notify(other, {"videoroom": "event", "unpublished": handle.feed})
            self._send(handle, {"janus": "hangup", "reason": "Unpublished"})
            return {"videoroom": "event", "unpublished": "ok"}, None
        if request == "join":  # a subscriber
            streams = body.get("streams") or [{}]
            wanted = streams[0].get("feed")
            if not any(p.feed == wanted for p in self._publishers(room)):
                return _plugin_error(428, "No such feed"), None
            handle.room = room
            return {"videoroom": "attached", "room": room}, OFFER
        if request == "start":
            return {"videoroom": "event", "started": "ok"}, None
        if request == "leave":
            self._leave(handle)
            return {"videoroom": "event", "leaving": "ok"}, None
        return _plugin_error(499, f"Unknown request {request}"), None

    def _publishers(self, room: int) -> list[FakeHandle]:
        return [h for h in self.handles.values() if h.room == room and h.publishing]

    def _leave(self, handle: FakeHandle) -> None:
        if handle.publishing:
            handle.publishing = False
            for other in self._publishers(handle.room):
                self._notify(other, {"videoroom": "event", "leaving": handle.feed})
        handle.room = 0

    # --- internals ------------------------------------------------------------------

    def _detach(self, handle: FakeHandle) -> None:
        if handle.peer is not None:
            self._hang_up(handle, "Remote hangup")
        self._leave(handle)
        if handle.username and self.users.get(handle.username) is handle:
            del self.users[handle.username]
        handle.session.handles.pop(handle.id, None)
        self.handles.pop(handle.id, None)

    def _destroy(self, session: FakeSession) -> None:
        for handle in list(session.handles.values()):
            self._detach(handle)
        session.connection.sessions.pop(session.id, None)

    def _notify(self, handle: FakeHandle, data: Json, jsep: Any = None) -> None:
        """An event Janus sends without being asked (no transaction)."""
        self._send(handle, _event(handle, data, jsep))

    def _send(self, handle: FakeHandle, message: Json) -> None:
        message.setdefault("session_id", handle.session.id)
        message.setdefault("sender", handle.id)
        handle.session.connection.send(message)


class FakeNet:
    """Several fake servers, each at its URL: one session factory for them all."""

    def __init__(self, *servers: FakeJanus) -> None:
        self.servers = {s.url: s for s in servers}

    async def open(self, url: str, api_secret: str | None = None) -> JanusSession:
        server = self.servers.get(url)
        if server is None:
            raise SessionLostError(f"cannot reach {url}: no such host")
        return await server.open(url, api_secret)


def _event(handle: FakeHandle, data: Json, jsep: Any = None) -> Json:
    message: Json = {
        "janus": "event",
        "session_id": handle.session.id,
        "sender": handle.id,
        "plugindata": {"plugin": handle.plugin, "data": data},
    }
    if jsep is not None:
        message["jsep"] = jsep
    return message


def _result(result: Json) -> Json:
    return {"videocall": "event", "result": result}


def _plugin_error(code: int, reason: str) -> Json:
    return {"error_code": code, "error": reason}


def _error(code: int, reason: str) -> Json:
    return {"janus": "error", "error": {"code": code, "reason": reason}}


def _feed(handle: FakeHandle) -> Json:
    return {"id": handle.feed, "display": handle.display}
