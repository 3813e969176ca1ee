"""City hall's call gate: the only way to Janus, for parties city hall knows.

A WebSocket proxy (subprotocol ``janus-protocol``) in front of Janus, which runs
with ``token_auth`` and listens only where the gate reaches it. Who is on a
connection is decided once, by credentials city hall issued, never by a name the
client chose:

- a **box** presents its client certificate in the TLS handshake (verified
  against the fleet CA, then :meth:`Authority.identify`: issued by us, not
  revoked); its centre's entry in the directory gives its one call name and its
  rooms;
- **staff** (a stock browser with janus.js) put their staff pass in the ``token``
  of the ``create`` request (janus.js sends its ``token`` option there); the pass
  names the call names, rooms and hosting they are allowed.

A connection with neither gets a Janus error reply and is closed. For the others
the gate mints Janus' tokens itself (the client's ``token`` is replaced in every
request), so Janus accepts only what passed the gate, and it keeps track of the
connection's sessions and plugin handles to check every request against the
party's rights:

- VideoCall: ``register`` only as one of the party's own names; ``call``,
  ``accept``, ``hangup``; nothing else (no ``list`` of who is online, no ``set``
  with its recording).
- VideoRoom: ``join`` only the party's rooms, with the display forced to its
  name and a join token for that room injected (Janus checks it: the rooms are
  ``signed_tokens``); publishing only for boxes and for staff allowed to host;
  ``publish``/``configure`` (media on or off), ``unpublish`` (a centre whose floor
  was taken back goes on watching), ``start``, ``leave``; for staff
  allowed to host, ``moderate`` (mute a participant's stream) in their own rooms,
  with the room's management secret injected by the gate (the browser never has
  it), and ``listparticipants`` of their own rooms (who is in the meeting, sending
  or only watching); no ``create``, ``destroy``, ``edit``, ``kick``, ``allowed``,
  ``enable_recording``, ``list``, forwarding or anything else. Requests carry only
  the fields the kiosk and the staff pages use.
- A town meeting's room (one the directory marks ``floor``): a box sends into it
  (any offer, on ``publish``, ``configure`` or ``join``, or a ``configure`` turning
  media on) only while the floor city hall's
  console wrote (``floors/<room>.json``) names its centre among the speakers, or
  sends its camera alone (no audio section that sends, no ``audio`` turned on) while
  the floor names it among those the host looks at; a box still sending
  :data:`FLOOR_GRACE_S` after the floor was taken from it is cut off at the next
  check (a box that follows city hall stops within a second by itself).
- Core: ``create``, ``attach`` (those two plugins), ``message``, ``trickle``,
  ``hangup``, ``detach``, ``destroy``, ``keepalive`` on the connection's own
  sessions and handles; ``info`` and ``ping`` for anyone; no ``claim``.

Why a centre can trust the caller's name: the VideoCall plugin reports in
``incomingcall`` the name the caller *registered*, and on this server a name can
be registered only through the gate, only by a party whose certificate or staff
pass lists it; Janus refuses a connection without the gate's token, so nobody
reaches the plugin around it. So ``incomingcall``'s username can only be the
name of a verified owner, and auto-answer and the big label at the centre can
rely on it. The same holds for display names in rooms, which the gate sets.

Every VideoCall call placed through the gate is written, when it ends, as one line
of ``REPO/calls/attempts.jsonl`` (:class:`CallBook`): who called (box or staff, as
their credential proves it), which name, when, whether and by whom it was answered.
The console's missed calls come from there, not from what a browser tells it.

Credentials are checked again every :data:`CHECK_S` seconds: a revoked box or an
expired pass is cut (connection closed; Janus drops its sessions and names with
it) within 10 s. Every refusal is one log line naming the party and the reason.

``python -m kiosk_provisioning.gate --repo REPO --janus ws://127.0.0.1:8188
--listen IP:PORT --cert C --key K`` (``--plain`` instead of the certificate: no
TLS, staff passes only; for tests).
"""

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import signal
import sqlite3
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import Server, ServerConnection, serve

log = logging.getLogger(__name__)

CHECK_S = 5.0
IDENTIFY_S = 10.0
"""A connection that has not shown who it is by then is closed."""
MAX_STRANGERS = 500
"""Connections that came without a box certificate (staff browsers, strangers) at
once; more are closed at once. Boxes, known by their certificate, never wait on it."""
"""How often a connection's credential is checked again (revocation, expiry)."""
JANUS_TOKEN_S = 3600
"""Lifetime of the Janus tokens the gate mints (a new one well before it ends)."""
BACKLOG = 1024
"""Connections waiting to be taken: a city's boxes all joining a town meeting (or all
coming back after a restart) at once. asyncio's 100 dropped 17–34 of 300 boxes'
first attempts (``bench/meeting_storm.py``), each then tried again by TCP a second
later. The kernel caps it at ``net.core.somaxconn`` (4096 on Debian 12)."""
FLOOR_GRACE_S = 5.0
"""A box still sending this long after the floor was taken from it is cut off."""
ROOM_TOKEN_S = 60
"""Lifetime of a room's join token (Janus checks it once, at the join)."""
PROTOCOL = websockets.Subprotocol("janus-protocol")
VIDEOCALL = "janus.plugin.videocall"
VIDEOROOM = "janus.plugin.videoroom"
UNAUTHORIZED = 403
"""Janus' own code for a request without a valid credential."""

Json = dict[str, Any]


@dataclass(frozen=True)
class Party:
    """Who is on one connection, as city hall's credentials prove it."""

    who: str
    """For the log: ``box namwon-001`` or ``staff kim``."""
    names: tuple[str, ...]
    """The VideoCall names it may register; the first is its display in rooms."""
    rooms: frozenset[int]
    """The VideoRoom rooms it may join."""
    publishes: bool
    """May send its camera into a room (boxes; staff only with hosting)."""
    credential: str | bytes
    """What proved it (the certificate, DER; the pass), checked again later."""
    centre: str = ""
    """The centre whose box it is (empty for staff)."""


@dataclass(frozen=True)
class FloorRights:
    """Who may send in a town meeting's room, as city hall's console last wrote it."""

    speakers: frozenset[str] = frozenset()
    """Centres on air: camera and microphone."""
    shown: frozenset[str] = frozenset()
    """Centres the host looks at: their camera, never their sound."""

    def allow(self, centre: str, sound: bool) -> bool:
        return centre in self.speakers or (centre in self.shown and not sound)


def sends_sound(sdp: object) -> bool:
    """Whether an offer's session description may carry sound: any audio section with
    a port, whatever its direction (a box the host only looks at offers its camera
    alone, with no audio section at all). Read as Janus reads it: lines cut at ``\n``
    (a ``\r`` before it dropped), the media's kind in any case. Anything unreadable
    counts as sound, so it is refused where sound is."""
    if not isinstance(sdp, str):
        return True
    for line in sdp.split("\n"):
        if line[:2].lower() != "m=":
            continue
        parts = line.removesuffix("\r")[2:].split(" ")
        if parts[0].lower() == "audio" and (len(parts) < 2 or parts[1] != "0"):
            return True
    return False


def sends_of(publisher: object) -> bool:
    """Whether a publisher Janus announces (``publishers``) has an audio stream."""
    streams = publisher.get("streams") if isinstance(publisher, dict) else None
    return isinstance(streams, list) and any(
        isinstance(s, dict) and s.get("type") == "audio" and not s.get("disabled") for s in streams
    )


class Parties(Protocol):
    """City hall's knowledge of who is who (see :class:`CityHall`)."""

    def box(self, cert_der: bytes) -> Party | None:
        """The centre's box holding this certificate (``None``: unknown, revoked)."""
        ...

    def staff(self, token: str) -> Party | None:
        """The staff member this pass belongs to (``None``: forged, expired)."""
        ...

    def janus_token(self) -> str:
        """A token Janus accepts (both plugins)."""
        ...

    def room_token(self, room: int) -> str:
        """A token Janus accepts for joining *room*."""
        ...

    def room_secret(self, room: int) -> str | None:
        """*room*'s management secret (``None``: city hall keeps none for it)."""
        ...

    def floor(self, room: int) -> "FloorRights | None":
        """Who may send in *room* now (``None``: a room without a floor, where every
        centre may send)."""
        ...

    def is_centre(self, name: str) -> bool:
        """Whether *name* is a centre's (its box's display in rooms), not staff's."""
        ...


class CityHall:
    """:class:`Parties` from city hall's identity folder (REPO/identity): the fleet
    CA's registry, the directory (re-read when it changes) and the secrets, all
    read only (the :class:`Verifier`: the gate never sees the CA's key)."""

    def __init__(self, folder: Path) -> None:
        from kiosk_provisioning.identity.authority import Verifier

        self._folder = folder
        self._authority = Verifier.open(folder)
        self._secret = self._authority.janus_secret
        self._key = self._authority.token_key
        self._directory_at = -1.0
        self._token: tuple[float, str] | None = None
        self._load()

    @property
    def ca_path(self) -> Path:
        return self._authority.ca_path

    def box(self, cert_der: bytes) -> Party | None:
        centre = self._authority.identify(cert_der)
        if centre is None:
            return None
        self._load()
        entry = self._centres.get(centre)
        names = (entry.call_name,) if entry is not None else (centre,)
        rooms = frozenset(entry.rooms) if entry is not None else frozenset()
        return Party(f"box {centre}", names, rooms, True, cert_der, centre)

    def staff(self, token: str) -> Party | None:
        from kiosk_provisioning.identity.tokens import verify_staff_pass

        found = verify_staff_pass(self._key, token)
        if found is None:
            return None
        # A centre's name belongs to its box alone, whatever a pass says: every name the
        # directory gives a centre, and every centre that ever had a box. Without a
        # directory (nothing built yet), no staff at all.
        self._load()
        if not self._directory_at:
            log.warning(
                "staff %s refused: no directory yet (run kiosk-provision build)", found.login
            )
            return None
        centres = {entry.call_name for entry in self._centres.values()} | set(self._centres)
        centres |= {box.centre_id for box in self._authority.boxes()}
        names = tuple(name for name in found.names if name not in centres)
        if names != found.names:
            log.warning(
                "staff %s: pass names a centre; ignored: %s",
                found.login,
                sorted(set(found.names) - set(names)),
            )
        if not names:
            return None
        rooms = frozenset(found.rooms)
        return Party(f"staff {found.login}", names, rooms, found.host, token)

    def janus_token(self) -> str:
        from kiosk_provisioning.identity.tokens import janus_token

        now = time.time()
        if self._token is None or self._token[0] < now + JANUS_TOKEN_S / 2:
            self._token = (now + JANUS_TOKEN_S, janus_token(self._secret, JANUS_TOKEN_S))
        return self._token[1]

    def room_token(self, room: int) -> str:
        return signed_token(self._secret, VIDEOROOM, [f"room={room}"], ROOM_TOKEN_S)

    def room_secret(self, room: int) -> str | None:
        self._load()
        keys = self._room_keys.get(room)
        return keys.secret if keys is not None else None

    def floor(self, room: int) -> "FloorRights | None":
        from kiosk_provisioning.identity.directory import read_floor

        self._load()
        keys = self._room_keys.get(room)
        if keys is None or not keys.floor:
            return None
        floor = read_floor(self._folder, room)
        if floor is None or time.time() >= floor.expires_at:
            return FloorRights()  # none given yet, or over: only the host speaks
        return FloorRights(frozenset(floor.speakers), frozenset(floor.shown))

    def is_centre(self, name: str) -> bool:
        self._load()
        return name in self._call_names or name in self._centres

    def _load(self) -> None:
        from kiosk_provisioning.identity.directory import load_directory

        path = self._folder / "directory.json"
        try:
            changed = path.stat().st_mtime
        except FileNotFoundError:
            changed = 0.0
        if changed != self._directory_at:
            directory = load_directory(self._folder)
            self._centres = directory.centres if changed else {}
            self._room_keys = directory.rooms if changed else {}
            self._call_names = {entry.call_name for entry in self._centres.values()}
            self._directory_at = changed


def signed_token(secret: str, realm: str, descriptors: Sequence[str], ttl_s: int) -> str:
    """Janus' HMAC-signed token (``token_auth_secret``): ``expiry,realm,descriptors``
    and its base64 HMAC-SHA1. Janus' core checks realm ``janus`` with plugin names;
    the VideoRoom checks realm ``janus.plugin.videoroom`` with ``room=N``."""
    data = ",".join([str(int(time.time()) + ttl_s), realm, *descriptors])
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(digest).decode()}"


def attempts_file(repo: Path) -> Path:
    """Where the gate writes the calls placed through it (one JSON object a line)."""
    return repo / "calls" / "attempts.jsonl"


@dataclass
class Attempt:
    """One VideoCall call placed on a connection, until it ends."""

    to: str
    """The name called."""
    started: float
    answered: float | None = None
    answered_by: str = ""
    """:attr:`Party.who` of the connection that had registered :attr:`to` (if answered)."""
    problem: str = ""
    """Janus' error for a call that never rang (no such name, busy), else empty."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class CallBook:
    """What all connections share about VideoCall: which party registered which name
    (so an answered call names who answered it), and the attempts' log file
    (``None``: not written). Used on the gate's event loop only."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._owners: dict[str, str] = {}
        self._failing = False

    def registered(self, name: str, who: str) -> None:
        self._owners[name] = who

    def released(self, name: str, who: str) -> None:
        if self._owners.get(name) == who:
            del self._owners[name]

    def owner(self, name: str) -> str:
        return self._owners.get(name, "")

    def ended(self, party: Party, from_name: str, attempt: Attempt) -> None:
        """Write *attempt* by *party* (registered as *from_name*), ended now."""
        if self._path is None:
            return
        kind, _, ident = party.who.partition(" ")
        line = {
            "id": attempt.id,
            "caller": kind,
            "caller_id": ident,
            "from_name": from_name,
            "to": attempt.to,
            "started": round(attempt.started, 3),
            "answered": round(attempt.answered, 3) if attempt.answered else None,
            "answered_by": attempt.answered_by,
            "ended": round(time.time(), 3),
            "problem": attempt.problem,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, data)  # one write of one line: lines never interleave
            finally:
                os.close(fd)
        except OSError as err:
            if not self._failing:
                log.warning("cannot write call attempts to %s: %s", self._path, err)
            self._failing = True
            return
        if self._failing:
            log.info("call attempts written to %s again", self._path)
        self._failing = False


class RefusedError(Exception):
    """A request the party may not make; the reason goes to the log and the client."""


# What each plugin request may carry (anything else is refused); None: see _police.
VIDEOCALL_FIELDS = {
    "register": {"request", "username"},
    "call": {"request", "username"},
    "accept": {"request"},
    "hangup": {"request"},
}
VIDEOROOM_FIELDS = {
    "join": None,
    "publish": {"request", "audio", "video"},
    "configure": {"request", "audio", "video"},
    "unpublish": {"request"},
    "start": {"request", "room"},
    "leave": {"request"},
    "moderate": {"request", "room", "id", "mid", "mute"},
    "listparticipants": {"request", "room"},
}
PUBLISHER_FIELDS = {"request", "ptype", "room", "display", "token"}
SUBSCRIBER_FIELDS = {"request", "ptype", "room", "streams", "feed", "private_id", "token"}
OPEN = {"info", "ping"}
"""Core requests anyone may make (they open nothing)."""
ON_SESSION = {"attach", "destroy", "keepalive"}
ON_HANDLE = {"message", "trickle", "hangup", "detach"}


class Strangers:
    """How many connections without a box certificate are open, up to *most*."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.open = 0

    def admit(self) -> bool:
        if self.open >= self.most:
            return False
        self.open += 1
        return True

    def leave(self) -> None:
        self.open -= 1


class GateConnection:
    """One client's connection and its twin to Janus; :meth:`run` until either ends."""

    def __init__(
        self,
        client: ServerConnection,
        parties: Parties,
        janus_url: str,
        book: CallBook | None = None,
    ) -> None:
        self._client = client
        self._book = book or CallBook(None)
        self._names: dict[int, str] = {}
        """VideoCall handle -> the name it registered."""
        self._calls: dict[int, Attempt] = {}
        """VideoCall handle -> the call it placed, until it ends."""
        self._parties = parties
        self._janus_url = janus_url
        self.party: Party | None = None
        self._sessions: set[int] = set()
        self._handles: dict[int, tuple[int, str]] = {}
        """Handle id -> (its session, its plugin)."""
        self._joined: dict[int, int] = {}
        """VideoRoom handle -> the room it joined as a publisher."""
        self._sending: dict[int, tuple[int, bool]] = {}
        """VideoRoom handle -> the room it sends into (an offer or publish let through),
        and whether with sound."""
        self._unfloored: dict[int, float] = {}
        """Sending handle -> since when (monotonic) the floor no longer names it."""
        self._awaiting: dict[str, tuple[int, Callable[[bool], None]]] = {}
        """Transaction of a send, ``unpublish`` or ``leave`` let through -> its handle and
        what to do once Janus answers (refused or not): a send counts from the request
        on and is taken back if refused; a stop counts only once Janus has stopped."""
        self._feeds: dict[int, bool] = {}
        """VideoRoom feeds Janus announced on this connection -> whether with sound."""
        self._pending: dict[str, Callable[[Json], None]] = {}
        """Transaction -> what its reply teaches us (a new session or handle)."""
        self._peer = str(client.remote_address[0]) if client.remote_address else "?"
        self._unknown_cert = False
        """It showed a certificate this city hall does not know (or revoked)."""

    @property
    def who(self) -> str:
        return self.party.who if self.party is not None else f"stranger at {self._peer}"

    async def run(self, strangers: "Strangers | None" = None) -> None:
        """Until either side ends; *strangers* counts the connections that came without
        a box's certificate (see :data:`MAX_STRANGERS`)."""
        ssl_object = self._client.transport.get_extra_info("ssl_object")
        cert = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if cert:
            self.party = self._parties.box(cert)
            self._unknown_cert = self.party is None
        if self.party is None and strangers is not None:
            if not strangers.admit():
                log.warning("refused %s: too many connections without a certificate", self.who)
                await self._client.close(1013, "try again later")
                return
            try:
                await self._serve()
            finally:
                strangers.leave()
            return
        await self._serve()

    async def _serve(self) -> None:
        try:
            upstream = await websockets.connect(
                self._janus_url,
                subprotocols=[PROTOCOL],
                max_size=2**22,
                ping_interval=None,  # Janus pings us; its closing is seen by the reader
            )
        except (OSError, TimeoutError, websockets.InvalidHandshake) as err:
            log.warning("janus unreachable at %s: %s", self._janus_url, err)
            await self._client.close(1011, "call server unavailable")
            return
        async with upstream:
            tasks = [
                asyncio.create_task(self._from_client(upstream), name="gate-in"),
                asyncio.create_task(self._from_janus(upstream), name="gate-out"),
                asyncio.create_task(self._recheck(), name="gate-check"),
            ]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                for handle in list(self._calls):
                    self._call_ended(handle)
                for handle in list(self._names):
                    self._forget_name(handle)
        await self._client.close()

    async def _from_client(self, upstream: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self._client:
                try:
                    message = json.loads(raw)
                except (ValueError, RecursionError):
                    message = None
                if not isinstance(message, dict):
                    log.warning("refused %s: a message that is not a JSON object", self.who)
                    return
                try:
                    forward = self._police(message)
                except RefusedError as refusal:
                    log.warning("refused %s: %s", self.who, refusal)
                    await self._client.send(json.dumps(_error(message, str(refusal))))
                    if self.party is None:
                        return  # no identity: nothing more to say to it
                    continue
                await upstream.send(json.dumps(forward))

    async def _from_janus(self, upstream: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in upstream:
                with contextlib.suppress(ValueError, RecursionError):
                    self._learn(json.loads(raw))
                await self._client.send(raw)

    async def _recheck(self) -> None:
        """Until the party's credential no longer holds, or a connection has not shown
        one within :data:`IDENTIFY_S` (then the connection ends)."""
        began = time.monotonic()
        while True:
            await asyncio.sleep(min(CHECK_S, IDENTIFY_S))
            party = self.party
            if party is None:
                if time.monotonic() - began >= IDENTIFY_S:
                    log.warning("closed %s: no credential within %.0f s", self.who, IDENTIFY_S)
                    return
                continue
            try:
                if isinstance(party.credential, bytes):
                    again = self._parties.box(party.credential)
                else:
                    again = self._parties.staff(party.credential)
            except (OSError, sqlite3.Error) as err:
                # City hall's registry unreadable for a moment (locked by a write, a
                # disk hiccup): the party keeps its standing until the next check.
                log.warning("could not check %s again: %s", party.who, err)
                continue
            if again is None:
                log.warning("cut %s: its credential was revoked or expired", party.who)
                return
            self.party = again  # the directory may have given it other rooms
            room = self._sending_without_floor()
            if room is not None:
                log.warning("cut %s: still sending in room %d without the floor", party.who, room)
                return

    # --- the rules ---------------------------------------------------------------

    def _police(self, message: Json) -> Json:
        """The message to send Janus in place of *message*, or :class:`RefusedError`."""
        kind = message.get("janus")
        if not isinstance(kind, str) or not isinstance(message.get("transaction"), str):
            raise RefusedError("no request kind or transaction")
        if kind in OPEN:
            return {k: v for k, v in message.items() if k in ("janus", "transaction")}
        if self.party is None and kind == "create":
            token = message.get("token")
            self.party = self._parties.staff(token) if isinstance(token, str) else None
        if self.party is None:
            unknown = " (its certificate is unknown or revoked)" if self._unknown_cert else ""
            raise RefusedError(f"{kind} without a credential{unknown}")
        forward = dict(message)
        forward.pop("apisecret", None)
        forward["token"] = self._parties.janus_token()
        if kind == "create":
            self._pending[message["transaction"]] = self._created
            return forward
        session = message.get("session_id")
        if session not in self._sessions:
            raise RefusedError(f"{kind} on a session not its own")
        if kind == "attach":
            plugin = message.get("plugin")
            if plugin not in (VIDEOCALL, VIDEOROOM):
                raise RefusedError(f"attach to {plugin!r}")
            self._pending[message["transaction"]] = lambda reply: self._attached(
                reply, session, str(plugin)
            )
            return forward
        if kind in ("destroy", "keepalive"):
            if kind == "destroy":
                self._pending[message["transaction"]] = lambda _: self._destroyed(session)
            return forward
        if kind not in ON_HANDLE:
            raise RefusedError(f"core request {kind!r}")
        handle_id = message.get("handle_id")
        handle = self._handles.get(handle_id) if isinstance(handle_id, int) else None
        if handle is None or handle[0] != session:
            raise RefusedError(f"{kind} on a handle not its own")
        if kind == "message":
            body = message.get("body")
            if not isinstance(body, dict):
                raise RefusedError("a message without a body")
            transaction = message["transaction"]
            if transaction in self._awaiting or transaction in self._pending:
                raise RefusedError(f"transaction {transaction!r} is still open")
            police = self._videocall if handle[1] == VIDEOCALL else self._videoroom
            forward["body"] = police(body)
            if handle[1] == VIDEOROOM:
                assert isinstance(handle_id, int)
                jsep = message.get("jsep")
                sound = None
                if jsep is not None:
                    kind_of = jsep.get("type") if isinstance(jsep, dict) else None
                    # Janus takes the type in any case: so does the gate.
                    if not isinstance(kind_of, str) or kind_of.lower() not in ("offer", "answer"):
                        raise RefusedError("a session description neither offer nor answer")
                    if kind_of.lower() == "offer":
                        sound = sends_sound(jsep.get("sdp"))
                answered = self._follow_room(handle_id, body, sound)
                if answered is not None:
                    self._awaiting[transaction] = (handle_id, answered)
            if handle[1] == VIDEOCALL and body.get("request") == "call":
                assert isinstance(handle_id, int)
                self._call_ended(handle_id)  # a call still open on it is over
                self._calls[handle_id] = Attempt(str(body.get("username")), time.time())
        elif kind == "detach":
            self._pending[message["transaction"]] = lambda _: self._detached(handle_id)
        return forward

    def _videocall(self, body: Json) -> Json:
        party = self.party
        assert party is not None
        request = body.get("request")
        allowed = VIDEOCALL_FIELDS.get(request) if isinstance(request, str) else None
        if allowed is None:
            raise RefusedError(f"videocall {request!r}")
        extra = set(body) - allowed
        if extra:
            raise RefusedError(f"videocall {request} with {sorted(extra)}")
        if request == "register" and body.get("username") not in party.names:
            raise RefusedError(f"register as {body.get('username')!r} (its names: {party.names})")
        return body

    def _videoroom(self, body: Json) -> Json:
        party = self.party
        assert party is not None
        request = body.get("request")
        if not isinstance(request, str) or request not in VIDEOROOM_FIELDS:
            raise RefusedError(f"videoroom {request!r}")
        if request != "join":
            allowed = VIDEOROOM_FIELDS[request]
            assert allowed is not None
            extra = set(body) - allowed
            if extra:
                raise RefusedError(f"videoroom {request} with {sorted(extra)}")
            if request == "moderate":
                return self._moderate(body)
            if request == "listparticipants":
                self._hosting(body.get("room"), request)
            return body
        room, ptype = body.get("room"), body.get("ptype")
        if not isinstance(room, int) or isinstance(room, bool) or room not in party.rooms:
            raise RefusedError(f"join room {room!r} (its rooms: {sorted(party.rooms)})")
        if ptype == "publisher":
            if not party.publishes:
                raise RefusedError(f"publish in room {room} without hosting rights")
            allowed, body = PUBLISHER_FIELDS, dict(body)
            display = body.get("display")
            body["display"] = display if display in party.names else party.names[0]
        elif ptype == "subscriber":
            allowed, body = SUBSCRIBER_FIELDS, dict(body)
            self._may_watch(room, body)
        else:
            raise RefusedError(f"join as {ptype!r}")
        extra = set(body) - allowed
        if extra:
            raise RefusedError(f"videoroom join with {sorted(extra)}")
        body["token"] = self._parties.room_token(room)
        return body

    def _may_watch(self, room: int, body: Json) -> None:
        """In a town meeting a box watches only city hall's feeds and the centres' with
        sound (the speakers): the centres the host looks at are for the host alone. Known from
        what Janus announced to this connection (a box joins the room before it
        watches anyone)."""
        party = self.party
        if party is None or not isinstance(party.credential, bytes):
            return  # staff: the host looks at the audience
        if self._parties.floor(room) is None:
            return
        streams = body.get("streams")
        feeds = [s.get("feed") if isinstance(s, dict) else None for s in streams or []]
        if "feed" in body or not isinstance(streams, list):
            feeds.append(body.get("feed"))
        for feed in feeds:
            if not isinstance(feed, int) or not self._feeds.get(feed, False):
                raise RefusedError(f"watch feed {feed!r} in room {room}: not one the centres hear")

    def _moderate(self, body: Json) -> Json:
        """A host muting (or unmuting) a stream of someone in one of its rooms, with the
        room's secret added here: the page that asks never holds it."""
        room = self._hosting(body.get("room"), "moderate")
        if not isinstance(body.get("id"), int) or not isinstance(body.get("mid"), str):
            raise RefusedError("moderate without a participant's id and stream mid")
        if not isinstance(body.get("mute"), bool):
            raise RefusedError("moderate without mute true or false")
        secret = self._parties.room_secret(room)
        if secret is None:
            raise RefusedError(f"moderate room {room}: city hall keeps no secret for it")
        return {**body, "secret": secret}

    def _follow_room(
        self, handle: int, body: Json, offer_sound: bool | None
    ) -> Callable[[bool], None] | None:
        """Which room each publisher handle joined and sends into; a box sends into a
        town meeting's room only while the floor names its centre (its camera alone
        while the floor only shows it). Sending is any request carrying an offer
        (Janus starts a publisher on ``configure`` or ``join`` with one as on
        ``publish``; *offer_sound*: whether the offer has sound, ``None`` without
        one), ``publish``, or ``configure`` turning media on. Returns what to do once
        Janus answered (refused or not), if anything."""
        offer = offer_sound is not None
        request = body.get("request")
        if request == "join" and body.get("ptype") == "publisher":
            self._joined[handle] = int(body["room"])
        if (
            offer
            or request == "publish"
            or (request == "configure" and (body.get("audio") or body.get("video")))
        ):
            room = self._joined.get(handle)
            if room is None:
                party = self.party
                if offer and party is not None and isinstance(party.credential, bytes):
                    raise RefusedError("an offer on a handle in no room as a publisher")
                return None  # Janus refuses sending before a join
            before = self._sending.get(handle)
            had_sound = before is not None and before[1]
            sound = offer_sound if offer_sound is not None else had_sound or bool(body.get("audio"))
            if not self._may_send(room, sound):
                what = "sound" if sound and self._may_send(room, False) else "send"
                raise RefusedError(f"{what} in room {room}: the floor is not this centre's")
            self._sending[handle] = (room, sound)

            def sent(refused: bool) -> None:
                if refused and before is None:
                    self._stopped(handle)
                elif refused and before is not None:
                    self._sending[handle] = before

            return sent
        if request in ("unpublish", "leave"):

            def stopped(refused: bool) -> None:
                if not refused:
                    self._stopped(handle)
                    if request == "leave":
                        self._joined.pop(handle, None)

            return stopped
        return None

    def _stopped(self, handle: int) -> None:
        self._sending.pop(handle, None)
        self._unfloored.pop(handle, None)

    def _may_send(self, room: int, sound: bool) -> bool:
        party = self.party
        if party is None or not isinstance(party.credential, bytes):
            return True  # staff: hosting was checked at the join
        rights = self._parties.floor(room)
        return rights is None or rights.allow(party.centre, sound)

    def _sending_without_floor(self) -> int | None:
        """A room this box still sends into :data:`FLOOR_GRACE_S` after the floor was
        taken from it (a box that follows city hall stops within a second)."""
        now = time.monotonic()
        for handle, (room, sound) in list(self._sending.items()):
            if self._may_send(room, sound):
                self._unfloored.pop(handle, None)
            elif now - self._unfloored.setdefault(handle, now) >= FLOOR_GRACE_S:
                return room
        return None

    def _hosting(self, room: object, request: str) -> int:
        """*room* if the party hosts it (a staff pass that says host, one of its rooms);
        else refused, naming *request*."""
        party = self.party
        assert party is not None
        if not isinstance(room, int) or isinstance(room, bool) or room not in party.rooms:
            raise RefusedError(f"{request} room {room!r} (its rooms: {sorted(party.rooms)})")
        # A box publishes too, but hosts nothing: only a staff pass that says host.
        if not party.publishes or isinstance(party.credential, bytes):
            raise RefusedError(f"{request} in room {room} without hosting rights")
        return room

    # --- what Janus' replies teach ---------------------------------------------------

    def _learn(self, message: object) -> None:
        if not isinstance(message, dict) or message.get("janus") == "ack":
            return
        awaited = self._awaiting.get(str(message.get("transaction")))
        sender = message.get("sender")
        if awaited is not None and (sender is None or sender == awaited[0]):
            del self._awaiting[str(message.get("transaction"))]
            awaited[1](_refused(message))
        self._follow_feeds(message)
        learn = self._pending.pop(str(message.get("transaction")), None)
        if learn is not None and message.get("janus") == "success":
            learn(message)
        elif message.get("janus") == "timeout":
            self._destroyed(message.get("session_id"))
        elif message.get("janus") == "detached":
            self._detached(message.get("sender"))
        elif message.get("janus") == "event":
            self._videocall_event(message)

    def _follow_feeds(self, message: Json) -> None:
        """Which feeds Janus announced to this connection's VideoRoom handles, and
        whether each has sound (a box may watch only those in a town meeting)."""
        sender = message.get("sender")
        handle = self._handles.get(sender) if isinstance(sender, int) else None
        plugin = message.get("plugindata")
        data = plugin.get("data") if isinstance(plugin, dict) else None
        if handle is None or handle[1] != VIDEOROOM or not isinstance(data, dict):
            return
        publishers = data.get("publishers")
        for publisher in publishers if isinstance(publishers, list) else []:
            feed = publisher.get("id") if isinstance(publisher, dict) else None
            if isinstance(feed, int) and not isinstance(feed, bool):
                # City hall's own (the host, a camera) are watched with or without sound.
                display = str(publisher.get("display", ""))
                self._feeds[feed] = sends_of(publisher) or not self._parties.is_centre(display)
        for key in ("unpublished", "leaving"):
            gone = data.get(key)
            if isinstance(gone, int) and not isinstance(gone, bool):
                self._feeds.pop(gone, None)

    def _videocall_event(self, message: Json) -> None:
        """Follow registrations and the calls this connection placed."""
        handle = message.get("sender")
        plugin = message.get("plugindata")
        if not isinstance(handle, int) or not isinstance(plugin, dict):
            return
        data = plugin.get("data")
        if plugin.get("plugin") != VIDEOCALL or not isinstance(data, dict):
            return
        result = data.get("result")
        event = result.get("event") if isinstance(result, dict) else None
        attempt = self._calls.get(handle)
        if event == "registered" and self.party is not None:
            assert isinstance(result, dict)
            name = str(result.get("username"))
            self._names[handle] = name
            self._book.registered(name, self.party.who)
        elif attempt is None:
            return
        elif event == "accepted" and attempt.answered is None:
            attempt.answered = time.time()
            attempt.answered_by = self._book.owner(attempt.to)
        elif event == "hangup":
            self._call_ended(handle)
        elif "error_code" in data and attempt.answered is None:
            attempt.problem = str(data.get("error", data["error_code"]))[:200]
            self._call_ended(handle)

    def _call_ended(self, handle: int) -> None:
        attempt = self._calls.pop(handle, None)
        if attempt is not None and self.party is not None:
            self._book.ended(self.party, self._names.get(handle, ""), attempt)

    def _forget_room(self, handle: int) -> None:
        self._joined.pop(handle, None)
        self._sending.pop(handle, None)
        self._unfloored.pop(handle, None)
        for transaction in [t for t, (h, _) in self._awaiting.items() if h == handle]:
            del self._awaiting[transaction]

    def _forget_name(self, handle: int) -> None:
        name = self._names.pop(handle, None)
        if name is not None and self.party is not None:
            self._book.released(name, self.party.who)

    def _created(self, reply: Json) -> None:
        found = reply.get("data", {}).get("id") if isinstance(reply.get("data"), dict) else None
        if isinstance(found, int):
            self._sessions.add(found)

    def _attached(self, reply: Json, session: object, plugin: str) -> None:
        found = reply.get("data", {}).get("id") if isinstance(reply.get("data"), dict) else None
        if isinstance(found, int) and isinstance(session, int):
            self._handles[found] = (session, plugin)

    def _detached(self, handle: object) -> None:
        if isinstance(handle, int):
            self._handles.pop(handle, None)
            self._forget_room(handle)
            self._call_ended(handle)
            self._forget_name(handle)

    def _destroyed(self, session: object) -> None:
        if isinstance(session, int):
            self._sessions.discard(session)
            for handle, (owner, _) in list(self._handles.items()):
                if owner == session:
                    del self._handles[handle]
                    self._forget_room(handle)
                    self._call_ended(handle)
                    self._forget_name(handle)


def _refused(message: Json) -> bool:
    """Whether Janus' reply *message* refused the request (a core ``error``, or a
    plugin's ``error_code``)."""
    if message.get("janus") == "error":
        return True
    plugin = message.get("plugindata")
    data = plugin.get("data") if isinstance(plugin, dict) else None
    return isinstance(data, dict) and "error_code" in data


def _error(message: Json, reason: str) -> Json:
    """Janus' own form of a refusal, so janus.js and the kiosk read it as one."""
    reply: Json = {
        "janus": "error",
        "transaction": message.get("transaction"),
        "error": {"code": UNAUTHORIZED, "reason": f"Unauthorized: {reason}"},
    }
    if isinstance(message.get("session_id"), int):
        reply["session_id"] = message["session_id"]
    return reply


def tls_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    """The gate's TLS for boxes: its own certificate; a client certificate optional,
    and if given, verified against the fleet CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(ca)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


def staff_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The gate's TLS for staff browsers: its own certificate, and no request for a
    client certificate at all. Chromium fails a WebSocket whose server asks for one
    when it has none to give (the handshake never completes), so browsers get a
    listener of their own (``--staff-listen``), where only a staff pass identifies."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_NONE
    return context


async def open_gate(
    parties: Parties,
    janus_url: str,
    host: str,
    port: int,
    tls: ssl.SSLContext | None,
    book: CallBook | None = None,
) -> Server:
    """Listen at *host*:*port* (TLS unless *tls* is ``None``), calls written to *book*
    (shared by every listener of one gate); close the server when done."""

    strangers = Strangers(MAX_STRANGERS)

    async def handle(client: ServerConnection) -> None:
        await GateConnection(client, parties, janus_url, book).run(strangers)

    return await serve(
        handle,
        host,
        port,
        ssl=tls,
        subprotocols=[PROTOCOL],
        max_size=2**22,
        backlog=BACKLOG,
        # A client whose link died is dropped ~20 s after it fell silent, so that its
        # name is free again soon after it is back (Janus drops it with our twin).
        ping_interval=10,
        ping_timeout=10,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk_provisioning.gate")
    parser.add_argument("--repo", type=Path, required=True, metavar="REPO")
    parser.add_argument("--janus", default="ws://127.0.0.1:8188", metavar="URL")
    parser.add_argument("--listen", required=True, metavar="IP:PORT")
    parser.add_argument(
        "--staff-listen", metavar="IP:PORT", help="TLS without asking for certificates (browsers)"
    )
    parser.add_argument("--cert", type=Path, metavar="PEM")
    parser.add_argument("--key", type=Path, metavar="PEM")
    parser.add_argument("--plain", action="store_true", help="no TLS (tests only)")
    parser.add_argument("--log", type=Path, metavar="FILE", help="log here (else stderr)")
    args = parser.parse_args(argv)
    if not args.plain and (args.cert is None or args.key is None):
        parser.error("--cert and --key are needed (or --plain, for tests)")
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        filename=args.log,
    )
    host, _, port = args.listen.rpartition(":")
    parties = CityHall(args.repo / "identity")
    tls = None if args.plain else tls_context(args.cert, args.key, parties.ca_path)

    book = CallBook(attempts_file(args.repo))

    async def serve_forever() -> None:
        server = await open_gate(parties, args.janus, host.strip("[]"), int(port), tls, book)
        log.info("call gate at %s in front of %s", args.listen, args.janus)
        if args.staff_listen:
            staff_host, _, staff_port = args.staff_listen.rpartition(":")
            staff_tls = None if args.plain else staff_tls_context(args.cert, args.key)
            staff = await open_gate(
                parties, args.janus, staff_host.strip("[]"), int(staff_port), staff_tls, book
            )
            log.info("call gate for staff browsers at %s", args.staff_listen)
            await asyncio.gather(server.serve_forever(), staff.serve_forever())
        await server.serve_forever()

    # A parent may have left SIGTERM or SIGINT blocked (a child inherits its mask):
    # then systemd's or a test's stop would do nothing.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
