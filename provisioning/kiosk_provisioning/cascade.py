"""The meeting relay: one town meeting across several Janus servers (issue 17).

City hall's host publishes on the origin; the centres of a district join the same
room on their regional edge. :class:`MeetingRelay` keeps every *local* publisher of
every server available on every other server, with Janus 1.1.2's VideoRoom remote
publishers: for a publisher P on server S and each other server T it asks T to
``add_remote_publisher`` (P's display and streams; T's attendees see an ordinary
publisher) and S to ``publish_remotely`` P's RTP to the address and ports T gave.
When P unpublishes or leaves, S stops (``unpublish_remotely``) and T drops it
(``remove_remote_publisher``). Only local publishers are relayed: a remote
publisher is never relayed on (no loops; Janus refuses that too). A publisher
without sound on an edge (a centre the host looks at: its camera alone) goes to the
origin only, where the host is: no box watches it, and a page of 12 such pictures
would otherwise be 12 remote publishers on every server.

How it learns who publishes: it joins each room on each server as a participant
that never sends (``ptype`` publisher, display :data:`RELAY_DISPLAY`), so Janus
tells it of every publisher with its streams at once (``publishers``,
``unpublished``, ``leaving``), without polling. The host's ``listparticipants``
shows it as one more participant that sends nothing.

Faults: each server has a link task that reconnects with full-jitter backoff
(:data:`BACKOFF_S`). A server lost: what it sent elsewhere is removed there, what
others sent to it is stopped at its source. A server back (restarted, or the
relay's connection only): whatever remote publishers and remotizations it still
holds in the rooms are left-overs and are removed, then everything is made again.
The relay owns every remote publisher in its rooms; start it once per city.

It talks to each Janus directly (its WebSocket API on city hall's network, not
through the call gate), with a Janus token made from city hall's token secret, the
rooms' management secrets from the directory, and each server's VideoRoom
``admin_key`` (``lock_rtp_forward``: forwarding needs it).

Encryption between servers: Janus 1.1.2 (Debian 12) sends a remote publisher's
media as plain RTP and accepts it on the target port from anyone (``srtp_suite``
and ``srtp_crypto`` for remote publishers came with Janus 1.3.0). The relay asks
each server's version and, where both ends are 1.3.0 or later, gives each
remotization a fresh SRTP key (suite 80); otherwise it logs once per server that
media between servers is plain, so the servers' network must be closed (a private
VLAN or a WireGuard tunnel, the RTP ports open only to the other servers). Each
remote publisher listens only on its server's ``media_host`` (``iface``) when that
is an address, so a server's public side never takes RTP for the meeting: on a
WireGuard address, only the other servers (whose keys the tunnel checks) reach it.

One log line per remotization made or removed and per server lost or back.
"""

import asyncio
import base64
import contextlib
import ipaddress
import logging
import os
import random
import re
import secrets
import signal
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from kiosk_provisioning.gate import signed_token
from kiosk_provisioning.janus_api import JanusError, JanusSession, Json
from kiosk_provisioning.problems import ProvisionError
from kiosk_provisioning.servers import read_server_plan

log = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
RELAY_DISPLAY = "city-hall-relay"
"""The relay's own participant in each room (it never sends)."""
BACKOFF_S = (0.25, 10.0)
"""A lost server is tried again after a wait drawn from 0 up to a ceiling that
doubles from the first figure to the second; it starts over once a connection
stayed up :data:`STEADY_S`."""
STEADY_S = 30.0
RETRY_S = 2.0
"""A remotization that failed (a server busy, a request refused) is tried again
this often while both ends are up."""
TOKEN_S = 3600
SRTP_FROM = 1300
"""Janus' ``info`` version from which remote publishers take SRTP (1.3.0)."""
SRTP_SUITE = 80


@dataclass(frozen=True)
class RelayServer:
    """One Janus the meeting spans."""

    name: str
    """How logs and the other servers' remotization ids name it (``origin``, ``edge-north``)."""
    url: str
    """Its WebSocket API (``ws://HOST:8188/``), as city hall reaches it directly."""
    admin_key: str
    """Its VideoRoom ``admin_key`` (``JanusSetup.admin_secret``): with
    ``lock_rtp_forward`` Janus forwards a publisher only for it."""
    media_host: str = ""
    """Where the other servers send RTP for it; the URL's host when empty. An IP
    address here is also where its remote publishers listen (``iface``): only that
    address, the servers' closed network, never every address the server has."""

    @property
    def media_address(self) -> str:
        return self.media_host or urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Cascade:
    """What the relay keeps: *rooms* (number -> management secret) on *servers*, the
    first of them the origin (where city hall's host publishes)."""

    servers: tuple[RelayServer, ...]
    rooms: Mapping[int, str]
    token_secret: str
    """Janus' ``token_auth_secret`` (city hall's, ``Authority.janus_secret``)."""

    def __post_init__(self) -> None:
        names = [server.name for server in self.servers]
        if len(set(names)) != len(names):
            raise ValueError(f"servers: a name is used twice: {names}")

    @property
    def origin(self) -> str:
        """The origin's name (the first server's)."""
        return self.servers[0].name if self.servers else ""


@dataclass(frozen=True)
class Stream:
    """One stream of a publisher, as ``add_remote_publisher`` takes it."""

    type: str
    mindex: int
    mid: str
    codec: str = ""
    flags: tuple[str, ...] = ()
    """Those of stereo, fec, dtx, simulcast, svc that are true."""

    def request(self) -> Json:
        body: Json = {"type": self.type, "mindex": self.mindex, "mid": self.mid}
        if self.codec:
            body["codec"] = self.codec
        body.update(dict.fromkeys(self.flags, True))
        return body


FLAGS = ("stereo", "fec", "dtx", "simulcast", "svc")


@dataclass(frozen=True)
class Publisher:
    id: int
    display: str
    streams: tuple[Stream, ...]

    @property
    def sound(self) -> bool:
        """Whether it sends sound (an audio stream that is on)."""
        return any(stream.type == "audio" for stream in self.streams)


def publisher_of(entry: object) -> Publisher | None:
    """A publisher from an entry of Janus' ``publishers`` list (``None``: one that
    cannot be relayed: no id, or no stream that is on)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
        return None
    streams = []
    for item in entry.get("streams", []):
        if not isinstance(item, dict) or item.get("disabled"):
            continue
        kind, mindex, mid = item.get("type"), item.get("mindex"), item.get("mid")
        codec = item.get("codec", "")
        if not (isinstance(kind, str) and isinstance(mindex, int) and isinstance(mid, str)):
            continue
        if kind in ("audio", "video") and not (isinstance(codec, str) and codec):
            continue
        flags = tuple(flag for flag in FLAGS if item.get(flag) is True)
        streams.append(Stream(kind, mindex, mid, str(codec or ""), flags))
    if not streams:
        return None
    display = entry.get("display")
    return Publisher(entry["id"], display if isinstance(display, str) else "", tuple(streams))


@dataclass(frozen=True, order=True)
class Route:
    """Publisher *publisher* of *source* made available on *target*, in *room*."""

    room: int
    source: str
    publisher: int
    target: str


@dataclass(frozen=True)
class Copy:
    """What a route made: the remote publisher on the target, the remotization on
    the source, and the streams it was made for."""

    remote_publisher: int
    remote_id: str
    streams: tuple[Stream, ...]


def routes_wanted(
    local: Mapping[tuple[str, int], Mapping[int, Publisher]], up: Iterable[str], origin: str
) -> set[Route]:
    """Every local publisher of every server that is up, on every other one that is;
    except a publisher without sound on an edge (a centre the host looks at, its camera
    alone), which only the host watches: on the *origin* alone. (The boxes watch only
    city hall's feeds and those with sound.)"""
    servers = set(up)
    return {
        Route(room, source, number, target)
        for (source, room), publishers in local.items()
        if source in servers
        for number, publisher in publishers.items()
        for target in servers
        if target != source and (source == origin or target == origin or publisher.sound)
    }


def routes_to_change(
    wanted: set[Route],
    made: Mapping[Route, Copy],
    local: Mapping[tuple[str, int], Mapping[int, Publisher]],
) -> tuple[list[Route], list[Route]]:
    """(to remove, to make), each in a stable order. A route whose publisher now
    sends other streams is made again (its remotization forwards the streams that
    existed when it was made)."""

    def current(route: Route) -> bool:
        publisher = local.get((route.source, route.room), {}).get(route.publisher)
        return publisher is not None and publisher.streams == made[route].streams

    remove = sorted(route for route in made if route not in wanted or not current(route))
    keep = set(made) - set(remove)
    return remove, sorted(wanted - keep)


class ApiHandle(Protocol):
    """A VideoRoom handle (:class:`ApiHandle`)."""

    async def send(self, body: Json, wait_event: bool = False) -> Json: ...


class ApiSession(Protocol):
    """A session on one Janus (:class:`JanusSession`; tests pass a fake)."""

    lost: asyncio.Event
    lost_reason: str

    async def request(self, message: Json, wait_event: bool = False) -> Json: ...

    async def attach(
        self, plugin: str, listener: Callable[[Json], None] | None = None
    ) -> ApiHandle: ...

    async def close(self) -> None: ...


OpenSession = Callable[[str, Callable[[], str]], Awaitable[ApiSession]]
"""Connects to a server's API (its URL, a token maker)."""


# What the links tell the relay, in the order it happened on each server.
@dataclass(frozen=True)
class _Up:
    server: str
    session: ApiSession
    control: ApiHandle
    version: int
    publishers: dict[int, dict[int, Publisher]]
    """Room -> its publishers as the join found them (remote ones excluded)."""
    remotes: dict[int, set[int]]
    """Room -> remote publishers it holds (left-overs: this relay made none yet)."""


@dataclass(frozen=True)
class _Down:
    server: str
    reason: str


@dataclass(frozen=True)
class _Event:
    server: str
    room: int
    data: Json


_Message = _Up | _Down | _Event


class MeetingRelay:
    """Keeps the meeting rooms of a :class:`Cascade` relayed among its servers.

    Built from the cascade; :meth:`start` on the running loop, :meth:`reconfigure`
    with a new cascade, :meth:`close` once (safe twice). *open_session* connects to
    a server's API (``JanusSession.open``); *rng* draws the backoff's waits."""

    def __init__(
        self,
        cascade: Cascade,
        open_session: OpenSession = JanusSession.open,
        rng: random.Random | None = None,
    ) -> None:
        self._cascade = cascade
        self._open = open_session
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[_Message] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._token: tuple[float, str] = (0.0, "")
        self._seen: set[str] = set()
        """Servers met before (back, not up; plain RTP said once)."""
        self._clear()

    def _clear(self) -> None:
        self._control: dict[str, ApiHandle] = {}
        self._versions: dict[str, int] = {}
        self._local: dict[tuple[str, int], dict[int, Publisher]] = {}
        self._not_local: dict[str, set[int]] = {}
        """Per server: remote publishers there (made by this relay or left over)."""
        self._made: dict[Route, Copy] = {}
        self._failing: dict[Route, str] = {}

    @property
    def relayed(self) -> frozenset[Route]:
        """The routes made now."""
        return frozenset(self._made)

    def is_up(self, server: str) -> bool:
        return server in self._control

    def start(self) -> None:
        """Connect to every server and keep the rooms relayed until :meth:`close`."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._keep(), name="relay"))
        for server in self._cascade.servers:
            link = partial(self._link, server)
            self._tasks.append(asyncio.create_task(link(), name=f"relay-link-{server.name}"))

    async def reconfigure(self, cascade: Cascade) -> None:
        """Relay *cascade* from now on. Any change of servers or rooms is applied by
        taking every remotization down and making them again (a second's gap in
        the relayed pictures); the same cascade changes nothing."""
        if cascade == self._cascade:
            return
        log.info("relay: new servers or rooms; remaking every remotization")
        await self.close()
        self._cascade = cascade
        self._queue = asyncio.Queue()
        self._clear()
        self.start()

    async def close(self) -> None:
        """Remove what the relay made (best effort, a few seconds at most), then
        close every connection."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        keeper, links = tasks[0], tasks[1:]
        keeper.cancel()  # first: nothing new is made while the rest is taken down
        await asyncio.gather(keeper, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                for route in sorted(self._made):
                    await self._remove(route, "relay closing")
        for link in links:
            link.cancel()  # each closes its session
        await asyncio.gather(*links, return_exceptions=True)
        self._control.clear()

    # -- the links: one per server, reconnecting ------------------------------------

    def _janus_token(self) -> str:
        from kiosk_provisioning.identity.tokens import janus_token

        now = time.monotonic()
        if self._token[0] < now:
            self._token = (now + TOKEN_S / 2, janus_token(self._cascade.token_secret, TOKEN_S))
        return self._token[1]

    async def _link(self, server: RelayServer) -> None:
        ceiling = BACKOFF_S[0]
        failing = ""
        while True:
            session: ApiSession | None = None
            up_at = 0.0
            try:
                session = await self._open(server.url, self._janus_token)
                await self._join(server, session)
                up_at = time.monotonic()
                if failing:
                    failing = ""
                reason = await _lost(session)
                self._queue.put_nowait(_Down(server.name, reason))
            except JanusError as err:
                if up_at:
                    self._queue.put_nowait(_Down(server.name, str(err)))
                elif str(err) != failing:
                    failing = str(err)
                    log.warning("relay: cannot reach %s: %s (trying again)", server.name, err)
            finally:
                if session is not None:
                    await session.close()
            if up_at and time.monotonic() - up_at > STEADY_S:
                ceiling = BACKOFF_S[0]
            await asyncio.sleep(self._rng.uniform(0, ceiling))
            ceiling = min(ceiling * 2, BACKOFF_S[1])

    async def _join(self, server: RelayServer, session: ApiSession) -> None:
        """Join every room on *server* and tell the relay what is there; events that
        come meanwhile follow the snapshot, in order."""
        early: list[_Event] = []
        ready = False

        def heard(room: int, data: Json) -> None:
            event = _Event(server.name, room, data)
            if ready:
                self._queue.put_nowait(event)
            else:
                early.append(event)

        info = await session.request({"janus": "info"})
        version = info.get("version")
        control = await session.attach(VIDEOROOM)
        publishers: dict[int, dict[int, Publisher]] = {}
        remotes: dict[int, set[int]] = {}
        for room in self._cascade.rooms:
            handle = await session.attach(VIDEOROOM, partial(heard, room))
            token = signed_token(self._cascade.token_secret, VIDEOROOM, [f"room={room}"], 60)
            joined = await handle.send(
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room,
                    "display": RELAY_DISPLAY,
                    "token": token,
                },
                wait_event=True,
            )
            listed = await control.send({"request": "listparticipants", "room": room})
            remotes[room] = {
                p["id"]
                for p in listed.get("participants", [])
                if isinstance(p, dict) and p.get("remote") and isinstance(p.get("id"), int)
            }
            found = (publisher_of(entry) for entry in joined.get("publishers", []))
            publishers[room] = {
                p.id: p for p in found if p is not None and p.id not in remotes[room]
            }
        up = _Up(
            server.name,
            session,
            control,
            version if isinstance(version, int) else 0,
            publishers,
            remotes,
        )
        self._queue.put_nowait(up)
        ready = True
        for event in early:
            self._queue.put_nowait(event)

    # -- the relay: one task, one message at a time ---------------------------------

    async def _keep(self) -> None:
        while True:
            message: _Message | None
            try:
                if self._failing:
                    async with asyncio.timeout(RETRY_S):
                        message = await self._queue.get()
                else:
                    message = await self._queue.get()
            except TimeoutError:
                message = None
            try:
                if message is not None:
                    await self._take(message)
                await self._reconcile()
            except Exception:  # a bug here must not end the relay: log it, go on
                log.exception("relay: failed on %s", message)

    async def _take(self, message: _Message) -> None:
        if isinstance(message, _Up):
            await self._server_up(message)
        elif isinstance(message, _Down):
            await self._server_down(message.server, message.reason)
        elif message.server in self._control:
            self._follow(message)

    def _follow(self, event: _Event) -> None:
        data, server = event.data, event.server
        publishers = self._local.setdefault((server, event.room), {})
        for entry in data.get("publishers", []):
            found = publisher_of(entry)
            if found is not None and found.id not in self._not_local.get(server, set()):
                publishers[found.id] = found
        for key in ("unpublished", "leaving"):
            gone = data.get(key)
            if isinstance(gone, int):
                publishers.pop(gone, None)

    async def _server_up(self, up: _Up) -> None:
        name = up.server
        self._control[name] = up.control
        self._versions[name] = up.version
        self._not_local[name] = set()
        left = 0
        for room, remotes in up.remotes.items():
            secret = self._cascade.rooms[room]
            for remote in remotes:
                with contextlib.suppress(JanusError):
                    await up.control.send(
                        {"request": "remove_remote_publisher", "room": room, "id": remote}
                        | {"secret": secret}
                    )
                    left += 1
            for publisher in up.publishers.get(room, {}):
                left += await self._unpublish_left_overs(up.control, room, publisher)
            self._local[(name, room)] = dict(up.publishers.get(room, {}))
        count = sum(len(p) for p in up.publishers.values())
        again = name in self._seen
        self._seen.add(name)
        log.info(
            "relay: server %s %s (Janus %s, %d publisher(s)%s)",
            name,
            "back" if again else "up",
            up.version,
            count,
            f", {left} left-over remotization(s) removed" if left else "",
        )
        if up.version < SRTP_FROM and not again:
            log.warning(
                "relay: Janus %s at %s relays plain RTP (SRTP between servers needs 1.3.0): "
                "keep the servers' network closed",
                up.version,
                name,
            )

    async def _unpublish_left_overs(self, control: ApiHandle, room: int, publisher: int) -> int:
        secret = self._cascade.rooms[room]
        try:
            listed = await control.send(
                {
                    "request": "list_remotes",
                    "room": room,
                    "publisher_id": publisher,
                    "secret": secret,
                }
            )
        except JanusError:
            return 0
        removed = 0
        for entry in listed.get("list", []):
            remote_id = entry.get("remote_id") if isinstance(entry, dict) else None
            if isinstance(remote_id, str):
                with contextlib.suppress(JanusError):
                    await control.send(
                        {
                            "request": "unpublish_remotely",
                            "room": room,
                            "publisher_id": publisher,
                            "remote_id": remote_id,
                            "secret": secret,
                        }
                    )
                    removed += 1
        return removed

    async def _server_down(self, name: str, reason: str) -> None:
        if name not in self._control:
            return
        log.warning("relay: server %s lost: %s", name, reason)
        del self._control[name]
        for route in sorted(r for r in self._made if name in (r.source, r.target)):
            await self._remove(route, f"{name} lost")
        for key in [key for key in self._local if key[0] == name]:
            del self._local[key]
        self._not_local.pop(name, None)
        for route in [r for r in self._failing if name in (r.source, r.target)]:
            del self._failing[route]

    async def _reconcile(self) -> None:
        wanted = routes_wanted(self._local, self._control, self._cascade.origin)
        remove, make = routes_to_change(wanted, self._made, self._local)
        for route in remove:
            await self._remove(route, "publisher gone or changed")
        for route in make:
            if route.source not in self._control or route.target not in self._control:
                continue  # a server lost while this pass ran: its _Down follows
            try:
                await self._make(route)
            except JanusError as err:
                if self._failing.get(route) != str(err):
                    log.warning("relay: cannot relay %s: %s (trying again)", _name(route), err)
                self._failing[route] = str(err)
            else:
                self._failing.pop(route, None)
        for route in list(self._failing):
            if route not in wanted:
                del self._failing[route]

    async def _make(self, route: Route) -> None:
        source, target = self._control[route.source], self._control[route.target]
        publisher = self._local[(route.source, route.room)][route.publisher]
        secret = self._cascade.rooms[route.room]
        host = self._server(route.target).media_address
        srtp: Json = {}
        if min(self._versions[route.source], self._versions[route.target]) >= SRTP_FROM:
            key = base64.b64encode(os.urandom(30)).decode()  # AES-128 key and salt
            srtp = {"srtp_suite": SRTP_SUITE, "srtp_crypto": key}
        added = await target.send(
            {
                "request": "add_remote_publisher",
                "room": route.room,
                "secret": secret,
                "display": publisher.display,
                "streams": [stream.request() for stream in publisher.streams],
                **srtp,
                **_listen_on(host),
            }
        )
        remote, port, rtcp = added.get("id"), added.get("port"), added.get("rtcp_port")
        # (its answer's ``ip`` is where it listens: the media address, with ``iface``)
        if not (isinstance(remote, int) and isinstance(port, int) and isinstance(rtcp, int)):
            raise JanusError(0, f"add_remote_publisher answered without id and ports: {added}")
        self._not_local.setdefault(route.target, set()).add(remote)
        self._local.get((route.target, route.room), {}).pop(remote, None)
        remote_id = f"{route.target}-{secrets.token_hex(4)}"
        try:
            await source.send(
                {
                    "request": "publish_remotely",
                    "room": route.room,
                    "publisher_id": route.publisher,
                    "remote_id": remote_id,
                    "secret": secret,
                    "admin_key": self._server(route.source).admin_key,
                    "host": host,
                    "port": port,
                    "rtcp_port": rtcp,
                    **srtp,
                }
            )
        except JanusError:
            with contextlib.suppress(JanusError):
                await target.send(
                    {"request": "remove_remote_publisher", "room": route.room, "id": remote}
                    | {"secret": secret}
                )
            raise
        self._made[route] = Copy(remote, remote_id, publisher.streams)
        log.info(
            "relay: %s (%s) -> publisher %d on %s, RTP to %s:%d%s (Janus said %s)",
            _name(route),
            publisher.display,
            remote,
            route.target,
            host,
            port,
            " over SRTP" if srtp else "",
            added.get("ip"),
        )

    async def _remove(self, route: Route, why: str) -> None:
        copy = self._made.pop(route)
        secret = self._cascade.rooms[route.room]
        source, target = self._control.get(route.source), self._control.get(route.target)
        if source is not None:
            with contextlib.suppress(JanusError):
                await source.send(
                    {
                        "request": "unpublish_remotely",
                        "room": route.room,
                        "publisher_id": route.publisher,
                        "remote_id": copy.remote_id,
                        "secret": secret,
                    }
                )
        if target is not None:
            with contextlib.suppress(JanusError):
                await target.send(
                    {
                        "request": "remove_remote_publisher",
                        "room": route.room,
                        "id": copy.remote_publisher,
                        "secret": secret,
                    }
                )
        log.info("relay: %s removed (%s)", _name(route), why)

    def _server(self, name: str) -> RelayServer:
        return next(s for s in self._cascade.servers if s.name == name)


async def _lost(session: ApiSession) -> str:
    await session.lost.wait()
    return session.lost_reason


def _name(route: Route) -> str:
    return f"room {route.room}: {route.source} publisher {route.publisher} on {route.target}"


def read_servers(path: Path) -> tuple[RelayServer, ...]:
    """The servers a meeting spans, from the TOML file ``build`` and ``janus-configs``
    read (:func:`kiosk_provisioning.servers.read_server_plan`, which checks every
    field): at least two, each with ``admin_key`` or ``janus_config``, the origin
    first; raises ``ValueError`` naming the file and the field."""
    try:
        plan = read_server_plan(path)
    except ProvisionError as err:
        raise ValueError(str(err)) from None
    if len(plan.servers) < 2:
        raise ValueError(f"{path}: server: at least two [[server]] tables are needed")
    servers: list[RelayServer] = []
    for index, server in enumerate(plan.servers):
        where = f"{path}: server[{index}]"
        key = server.admin_key
        if not key and server.janus_config:
            key = _admin_key(Path(server.janus_config), f"{where}.janus_config")
        if not key:
            raise ValueError(f"{where}: admin_key or janus_config is needed")
        relayed = RelayServer(server.name, server.api, key, server.media)
        # The origin first (the cascade's convention), the others in the file's order.
        servers.insert(0 if server is plan.origin else len(servers), relayed)
    return tuple(servers)


def _admin_key(folder: Path, where: str) -> str:
    """The VideoRoom ``admin_key`` in a folder ``kiosk-provision janus-config`` wrote."""
    try:
        text = (folder / "janus.plugin.videoroom.jcfg").read_text()
    except OSError as err:
        raise ValueError(f"{where}: {err}") from err
    found = re.search(r'^\s*admin_key\s*=\s*"([^"]*)"', text, re.MULTILINE)
    if found is None:
        raise ValueError(f"{where}: no admin_key in {folder / 'janus.plugin.videoroom.jcfg'}")
    return found.group(1)


def cascade_for(repo: Path, servers: tuple[RelayServer, ...], rooms: Iterable[int]) -> Cascade:
    """The cascade of *rooms* (all town meetings, those with a floor, when empty) on
    *servers*, with the secrets in city hall's identity folder (REPO/identity)."""
    from kiosk_provisioning.identity.authority import Verifier
    from kiosk_provisioning.identity.directory import identity_folder, load_directory

    folder = identity_folder(repo)
    keys = load_directory(folder).rooms
    numbers = list(rooms) or sorted(n for n, k in keys.items() if k.floor)
    if not numbers:
        raise ValueError(f"{folder}: no town meeting (a room with a floor) in the directory")
    unknown = [n for n in numbers if n not in keys]
    if unknown:
        raise ValueError(f"{folder}: no secret for room(s) {unknown} (run kiosk-provision build)")
    secret = Verifier.open(folder).janus_secret
    return Cascade(servers, {n: keys[n].secret for n in numbers}, secret)


async def run_relay(cascade: Cascade) -> None:
    """Relay *cascade* until SIGTERM or SIGINT, then take it down."""
    relay = MeetingRelay(cascade)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    relay.start()
    try:
        await stop.wait()
    finally:
        await relay.close()


__all__ = [
    "Cascade",
    "Copy",
    "MeetingRelay",
    "Publisher",
    "RelayServer",
    "Route",
    "Stream",
    "cascade_for",
    "publisher_of",
    "read_servers",
    "routes_to_change",
    "routes_wanted",
    "run_relay",
]


def _listen_on(host: str) -> Json:
    """``iface`` for a remote publisher on *host*: its RTP port bound to that address
    alone when it is one (a name is left to Janus, which then listens on every
    address: say an address in ``media_host``)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return {}
    return {"iface": host}
