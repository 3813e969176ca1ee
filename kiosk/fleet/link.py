"""The box's link to city hall's broker: its status and presence out, alerts in.

A service (:mod:`kiosk.services`). The network runs on the link's own thread
(``kiosk-fleet``), so the screen never waits for the broker: the GUI thread only puts
messages in an outbox (one per topic, the latest wins: every message of the fleet
channel is retained state) and wakes the thread; the thread hands alerts and
connection news back with ``call_soon_threadsafe``.

On each connection the box says it is online (``Presence``; the broker keeps the
last will, offline, for a connection that dies), subscribes to the alerts addressed
to it, and sends its status (:class:`~kiosk.fleet.report.StatusSender` decides when
else) and the receipt of every alert the board knows. A connection that cannot be
had or is lost is tried again after a jittered delay (:mod:`kiosk.backoff`); the
failure is logged once and the recovery once, however long the broker stays away.

Alerts are verified on the link's thread: city hall's signature, expiry and
audience (one addressed elsewhere is refused even if signed). An accepted one goes
to :meth:`AlertBoard.offer <kiosk.fleet.board.AlertBoard.offer>` on the GUI thread,
which refuses what it has had already. Each refusal is one WARNING naming the topic
and the reason (the same bytes again on the same topic: DEBUG), and changes nothing
else. The broker sends its stored copy of every alert again on each connection: an
alert the board knows already, coming that way, is no refusal (DEBUG).
"""

import asyncio
import contextlib
import enum
import hashlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import msgspec

from kiosk.backoff import Backoff
from kiosk.fleet.board import AlertBoard, Known
from kiosk.fleet.mqtt import BrokerError, Connect, Connection, Dial, Message, connect
from kiosk.fleet.questions import QuestionBoard
from kiosk.fleet.report import GAP_S, StatusSender
from kiosk.work import hand_back
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import (
    Alert,
    AlertRefusedError,
    BoxStatus,
    Presence,
    Receipt,
    alert_subscriptions,
    open_alert,
    presence_topic,
    receipt_topic,
    status_topic,
)
from kiosk_contract.floor import Floor, Hand, floor_subscriptions, hand_topic, open_floor
from kiosk_contract.questions import (
    Answer,
    Question,
    answer_topic,
    open_question,
    question_subscriptions,
)

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
"""A silent connection is pinged after this many seconds; the broker sends the will
for one silent for 45 s (a box that lost power or its network)."""
DIAL_TIMEOUT_S = 10.0
"""The longest a TCP connection, TLS handshake or the broker's answer may take."""
SERVE_S = 5.0
"""The link's thread looks at the connection (keep-alive) at least this often."""
GOODBYE_S = 1.5
"""How long closing waits for the broker to acknowledge the goodbye (seconds)."""
CLOSE_S = 3.0
"""How long :meth:`FleetLink.close` waits for the thread (a dial in progress may
outlast it: the thread then ends by itself within the dial's timeout)."""
REFUSALS_KEPT = 1000
"""Refused messages remembered (so that the same one again is not logged again)."""

TlsContext = Callable[[], ssl.SSLContext | None]
"""The box's TLS context (its certificate, the fleet CA), made again at each
connection so that a renewed certificate is used; ``None`` while it has none."""


class StatusSource(Protocol):
    """What the box's status says (:class:`kiosk.fleet.report.BoxReport`). GUI thread."""

    def build(self, online_since: int = 0) -> BoxStatus: ...

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]: ...


class LinkState(enum.Enum):
    OFF = "off"
    """No fleet channel in the configuration (or not started)."""
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"
    """Between two attempts."""
    CLOSED = "closed"


@dataclass(frozen=True)
class Settings:
    """The link's part of the configuration."""

    host: str
    port: int
    centre: str
    district: str
    keys: tuple[bytes, ...]
    """City hall's alert keys (raw Ed25519 public keys)."""
    status_every_s: int
    rooms: tuple[int, ...] = ()
    """The meeting rooms the centre is in (their questions are for it)."""

    @property
    def where(self) -> tuple[str, int, str, str, tuple[bytes, ...], tuple[int, ...]]:
        """What a connection is made for: a change means a new connection. New alert
        keys too: the broker then hands over its kept alerts again, so one refused under
        the old keys (signed with a new key that came first) is checked again. New
        meeting rooms: other questions to subscribe to."""
        return (self.host, self.port, self.centre, self.district, self.keys, self.rooms)


class FloorSide(Protocol):
    """The box's side of its town meetings' floors (:class:`kiosk.calls.floor.FloorBoard`).
    Both on the GUI thread."""

    def offer(self, floor: Floor) -> str | None:
        """A verified floor; ``None`` if taken, else why not."""
        ...

    def hand_now(self, room: int) -> Hand:
        """The centre's hand in *room* as it is, to send again."""
        ...


def settings_of(config: KioskConfig) -> Settings | None:
    fleet = config.fleet
    if fleet is None:
        return None
    return Settings(
        fleet.host,
        fleet.port,
        config.centre.id,
        config.centre.district,
        tuple(fleet.public_keys()),
        fleet.status_every_s,
        tuple(sorted({room.number for room in config.calls.rooms})),
    )


def verify_alert(
    payload: bytes, keys: list[bytes], centre: str, district: str, now: float
) -> Alert:
    """The alert in *payload* if city hall signed it, it is valid now and addressed to
    *centre* (or its *district*, or everyone); else :class:`AlertRefusedError`."""
    alert = open_alert(payload, keys, now)
    if not alert.audience.includes(centre, district):
        names = ", ".join(alert.audience.names[:5])
        raise AlertRefusedError(
            f"alert {alert.id} (#{alert.seq}) is for {alert.audience.kind} {names}, not this centre"
        )
    return alert


class FleetLink:
    """The box's connection to city hall's broker. GUI thread, except where a method
    says otherwise.

    *tls* makes the box's TLS context; *status* builds the status report; *loop* is
    the GUI thread's asyncio loop. *connect*, *backoff* and *wall* (Unix seconds) are
    the tests' to replace; *gap_s* is the shortest time between two status reports
    for a change, *dial_timeout_s* the longest one attempt to connect may take.
    """

    def __init__(
        self,
        config: KioskConfig,
        tls: TlsContext,
        board: AlertBoard,
        status: StatusSource,
        loop: asyncio.AbstractEventLoop,
        connect: Connect = connect,
        backoff: Callable[[], Backoff] = Backoff,
        wall: Callable[[], float] = time.time,
        gap_s: float = GAP_S,
        dial_timeout_s: float = DIAL_TIMEOUT_S,
        questions: QuestionBoard | None = None,
        floor: "FloorSide | None" = None,
    ) -> None:
        """*questions*: takes the meeting questions for the centre's rooms (``None``:
        none are subscribed to); *floor* takes the floors of its rooms, verified, and
        has the centre's hands sent at each connection."""
        self._settings = settings_of(config)
        self._questions = questions
        self._floor = floor
        self._dial_timeout_s = dial_timeout_s
        self._tls = tls
        self._board = board
        self._status = status
        self._loop = loop
        self._connect = connect
        self._backoff = backoff
        self._wall = wall
        every = self._settings.status_every_s if self._settings else 120
        self._sender = StatusSender(self._build_status, self._send_status, loop, every, gap_s)
        self._online_since = 0
        self._generation = 0
        """One more for each new broker or centre (the thread then dials again)."""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._outbox: dict[str, bytes] = {}
        self._refusals: set[bytes] = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread: threading.Thread | None = None
        self._ended: asyncio.Future[None] | None = None
        self._thread_ended = True
        """The latest thread has finished (its sockets are the link's to close)."""
        self._orphaned = False
        """:meth:`close` stopped waiting for the thread: it closes the sockets itself."""
        self._state = LinkState.OFF
        self._failing = False
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    @property
    def state(self) -> LinkState:
        """Where the link is (any thread)."""
        return self._state

    # --- the service ------------------------------------------------------------

    def start(self) -> None:
        """Connect (if the configuration names a broker) and stay connected."""
        if self._closed or self._unsubscribe is not None:
            return
        self._unsubscribe = self._status.subscribe(
            lambda: hand_back(self._loop, self._sender.changed)
        )
        if self._settings is not None:
            self._spawn()

    def reconfigure(self, config: KioskConfig) -> None:
        """A new broker, centre or alert keys: a new connection (the old one says
        goodbye); a new interval: used from now on, the connection kept."""
        new, old = settings_of(config), self._settings
        self._settings = new
        if new is not None:
            self._sender.reconfigure(new.status_every_s)
        if _where(new) != _where(old):
            log.info("fleet link: broker, centre or alert keys changed; connecting again")
            self._generation += 1
            self._wake()
            if new is not None and self._unsubscribe is not None and not self._closed:
                self._spawn()  # the old thread says goodbye first, then ends
        self._sender.changed()  # the revision, at least

    async def close(self) -> None:
        """Say goodbye to the broker (offline), disconnect and end the thread (waiting
        at most :data:`CLOSE_S`). Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._board.attach(None)
            if self._questions is not None:
                self._questions.attach(None)
            self._sender.stop()
            if self._unsubscribe is not None:
                self._unsubscribe()
            self._stop.set()
            self._wake()
        ended = self._ended
        if self._orphaned:
            return
        if ended is not None:
            try:
                await asyncio.wait_for(asyncio.shield(ended), CLOSE_S)
            except TimeoutError:
                with self._lock:
                    self._orphaned = not self._thread_ended
                if self._orphaned:
                    # It ends within its dial's timeout, and closes the sockets itself.
                    log.info("fleet link: still dialling the broker; it stops when that ends")
                    return
        self._set_state(LinkState.CLOSED)
        self._wake_r.close()
        self._wake_w.close()

    # --- receipts (any thread) -----------------------------------------------------

    def report_receipt(self, known: Known) -> None:
        """Tell city hall how far an alert got (:meth:`AlertBoard.attach`). Any thread;
        never blocks: sent when connected (and all of them again on each connection)."""
        settings = self._settings
        if settings is None:
            return
        receipt = Receipt(alert=known.alert, seq=known.seq, state=known.phase.value, at=known.at)
        self._post(receipt_topic(settings.centre, known.alert), msgspec.json.encode(receipt))

    def forget_receipt(self, known: Known) -> None:
        """An alert expired: its receipt leaves the broker (an empty retained message), so
        receipts do not pile up there. Any thread; never blocks."""
        settings = self._settings
        if settings is not None:
            self._post(receipt_topic(settings.centre, known.alert), b"")

    def send_answer(self, answer: Answer) -> None:
        """This centre's answer to a meeting question (:meth:`QuestionBoard.attach`).
        Any thread; never blocks: sent when connected (the latest per question)."""
        settings = self._settings
        if settings is not None:
            self._post(answer_topic(settings.centre, answer.question), msgspec.json.encode(answer))

    def send_hand(self, hand: Hand) -> None:
        """This centre's hand in a meeting room (:meth:`FloorBoard.attach`). Any
        thread; never blocks: sent when connected (the latest per room)."""
        settings = self._settings
        if settings is not None:
            self._post(hand_topic(settings.centre, hand.room), msgspec.json.encode(hand))

    def forget_answer(self, question_id: str) -> None:
        """A question expired: this centre's answer leaves the broker (an empty retained
        message). Any thread; never blocks."""
        settings = self._settings
        if settings is not None:
            self._post(answer_topic(settings.centre, question_id), b"")

    # --- the GUI thread's side --------------------------------------------------------

    def _spawn(self) -> None:
        previous = self._thread
        self._thread_ended = False
        self._ended = self._loop.create_future()
        ended = self._ended
        self._thread = threading.Thread(
            target=self._run, args=(previous, ended), name="kiosk-fleet", daemon=True
        )
        self._thread.start()

    def _build_status(self) -> BoxStatus:
        return self._status.build(self._online_since)

    def _send_status(self, status: BoxStatus) -> None:
        self._post(status_topic(status.centre), msgspec.json.encode(status))

    def _connected(self, generation: int, since: int) -> None:
        """The thread connected: the status and every receipt go out."""
        if generation != self._generation or self._closed:
            return
        self._online_since = since
        self._sender.now()
        for known in self._board.receipts():
            self.report_receipt(known)
        settings = self._settings
        if self._floor is not None and settings is not None:
            for room in settings.rooms:
                self.send_hand(self._floor.hand_now(room))

    def _offer(self, alert: Alert, message: Message) -> None:
        """A verified alert, to the board (which refuses what it has had)."""
        if self._closed:
            return
        had = any(k.seq == alert.seq and k.alert == alert.id for k in self._board.receipts())
        why = self._board.offer(alert)
        if why is None:
            return
        if message.retained and had:
            log.debug("alert %s on %s again (the broker's copy): %s", alert.id, message.topic, why)
            return
        self._refused(message, why)

    # --- the link's thread ------------------------------------------------------------

    def _run(self, previous: threading.Thread | None, ended: "asyncio.Future[None]") -> None:
        try:
            if previous is not None:
                previous.join(CLOSE_S)
            backoff = self._backoff()
            # A thread ends when the link stops, loses its broker, or a newer one
            # (another broker or centre) takes over.
            while not self._stop.is_set() and self._thread is threading.current_thread():
                settings, generation = self._settings, self._generation
                if settings is None:
                    break
                try:
                    self._attempt(settings, generation, backoff)
                except Exception as err:  # noqa: BLE001 - the thread's supervision boundary:
                    # one attempt's fault (a bug, a reply misread) must not end the link
                    self._fault(err)
                    self._pause(backoff.next(), generation)
        finally:
            if self._settings is None and not self._stop.is_set():
                self._set_state(LinkState.OFF)
            hand_back(self._loop, _resolve, ended)
            with self._lock:
                latest = threading.current_thread() is self._thread
                self._thread_ended = self._thread_ended or latest
                orphaned = latest and self._orphaned
            if orphaned:  # close() gave up waiting for this thread
                self._set_state(LinkState.CLOSED)
                self._wake_r.close()
                self._wake_w.close()

    def _attempt(self, settings: Settings, generation: int, backoff: Backoff) -> None:
        """One connection: dial, serve until lost or told to stop, say goodbye."""
        context = self._tls()
        if context is None:
            self._failed("the box has no usable certificate")
            self._pause(backoff.next(), generation)
            return
        self._set_state(LinkState.CONNECTING)
        will = (presence_topic(settings.centre), msgspec.json.encode(Presence(online=False)))
        dial = Dial(
            settings.host, settings.port, settings.centre, context, will, KEEPALIVE_S,
            self._dial_timeout_s,
        )  # fmt: skip
        try:
            connection = self._connect(dial)
        except BrokerError as err:
            if self._stop.is_set():
                return  # closed while dialling: not a failure
            self._failed(str(err))
            self._pause(backoff.next(), generation)
            return
        backoff.connected()
        if self._stop.is_set():
            self._goodbye(connection, settings)
            return
        try:
            self._serve(connection, settings, generation)
        except BrokerError as err:
            self._failed(f"connection lost: {err}")
            self._pause(backoff.next(), generation)
            return
        except BaseException:
            connection.disconnect()  # a fault (see _run): the socket is not left open
            raise
        self._goodbye(connection, settings)

    def _serve(self, connection: Connection, settings: Settings, generation: int) -> None:
        """Until the link stops or the broker or centre changes (raises
        :class:`BrokerError` when the connection is lost)."""
        since = int(self._wall())
        with self._lock:
            self._outbox.clear()  # what was waiting is sent again, fresh, by _connected
        online = Presence(online=True, since=since)
        connection.publish(presence_topic(settings.centre), msgspec.json.encode(online))
        connection.subscribe(alert_subscriptions(settings.centre, settings.district))
        if self._questions is not None and settings.rooms:
            connection.subscribe(question_subscriptions(list(settings.rooms)))
        if self._floor is not None and settings.rooms:
            connection.subscribe(floor_subscriptions(list(settings.rooms)))
        self._set_state(LinkState.CONNECTED)
        hand_back(self._loop, self._connected, generation, since)
        while not self._stop.is_set() and self._generation == generation:
            self._flush(connection)
            for message in connection.serve(self._wake_r, SERVE_S):
                current = self._settings
                if current is None or self._generation != generation:
                    break  # this connection is on its way out: its messages no longer count
                self._receive(message, settings, current.keys)
            self._drain_wake()

    def _goodbye(self, connection: Connection, settings: Settings) -> None:
        """Offline, said by the box itself; then a clean disconnect (no will)."""
        try:
            self._flush(connection)
            bye = Presence(online=False, since=int(self._wall()))
            connection.publish(presence_topic(settings.centre), msgspec.json.encode(bye))
            deadline = time.monotonic() + GOODBYE_S
            while connection.unacknowledged() and (left := deadline - time.monotonic()) > 0:
                connection.serve(self._wake_r, left)
                self._drain_wake()
        except BrokerError as err:
            log.info("fleet link: goodbye not acknowledged (%s)", err)
        connection.disconnect()
        if self._stop.is_set():
            self._set_state(LinkState.CLOSED)

    def _receive(self, message: Message, settings: Settings, keys: tuple[bytes, ...]) -> None:
        """Verify one message (with the alert keys in force now)."""
        if message.topic.startswith("questions/"):
            self._receive_question(message, settings, keys)
            return
        if message.topic.startswith("floor/"):
            self._receive_floor(message, settings, keys)
            return
        if not message.payload:
            # City hall cleared the broker's copy (withdrawn or expired). Unsigned, so it
            # takes nothing off this screen: an alert shown stays until 확인 or expiry.
            log.info("alert on %s cleared from the broker by city hall", message.topic)
            return
        try:
            alert = verify_alert(
                message.payload, list(keys), settings.centre, settings.district, self._wall()
            )
        except AlertRefusedError as err:
            self._refused(message, str(err))
            return
        hand_back(self._loop, self._offer, alert, message)

    def _receive_question(
        self, message: Message, settings: Settings, keys: tuple[bytes, ...]
    ) -> None:
        """A meeting question: city hall's signature, unexpired, for one of this
        centre's rooms and on its own topic; else refused like an alert."""
        if not message.payload:
            return  # city hall cleared the broker's copy: unsigned, changes nothing here
        try:
            question = open_question(message.payload, list(keys), self._wall())
            if question.room not in settings.rooms or question.topic != message.topic:
                raise AlertRefusedError(
                    f"question {question.id} is for room {question.room}, not this centre's"
                )
        except (AlertRefusedError, ValueError) as err:
            self._refused(message, str(err))
            return
        hand_back(self._loop, self._offer_question, question, message)

    def _receive_floor(self, message: Message, settings: Settings, keys: tuple[bytes, ...]) -> None:
        """Who has the floor in a meeting room: city hall's signature, unexpired, one of
        this centre's rooms, on that room's topic; else refused like an alert."""
        if not message.payload:
            return  # city hall cleared the broker's copy: unsigned, changes nothing here
        try:
            floor = open_floor(message.payload, list(keys), self._wall())
            if floor.room not in settings.rooms or floor.topic != message.topic:
                raise AlertRefusedError(f"floor of room {floor.room} is not this centre's")
        except (AlertRefusedError, ValueError) as err:
            self._refused(message, str(err))
            return
        hand_back(self._loop, self._offer_floor, floor, message)

    def _offer_floor(self, floor: Floor, message: Message) -> None:
        if self._closed or self._floor is None:
            return
        why = self._floor.offer(floor)
        if why is not None:
            log.debug("floor on %s not taken: %s", message.topic, why)

    def _offer_question(self, question: Question, message: Message) -> None:
        if self._closed or self._questions is None:
            return
        why = self._questions.offer(question)
        if why is not None:
            log.debug("question on %s not taken: %s", message.topic, why)

    def _refused(self, message: Message, why: str) -> None:
        """One WARNING per refused message (the same bytes on the same topic again: DEBUG)."""
        digest = hashlib.sha256(message.topic.encode() + b"\0" + message.payload).digest()
        with self._lock:
            first = digest not in self._refusals
            if len(self._refusals) >= REFUSALS_KEPT:
                self._refusals.clear()
            self._refusals.add(digest)
        what = message.topic.split("/")[0].rstrip("s")
        what = what if what in ("question", "floor") else "alert"
        if first:
            log.warning("%s refused on %s: %s", what, message.topic, why)
        else:
            log.debug("%s refused on %s again: %s", what, message.topic, why)

    def _flush(self, connection: Connection) -> None:
        with self._lock:
            outbox, self._outbox = self._outbox, {}
        for topic, payload in outbox.items():
            connection.publish(topic, payload)

    def _pause(self, seconds: float, generation: int) -> None:
        """Wait *seconds* before the next attempt: less if stopped or redirected."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and self._generation == generation:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self._wake_r], [], [], left)
            if ready:
                self._drain_wake()

    def _failed(self, why: str) -> None:
        """Logged once per outage (the recovery once too, in :meth:`_set_state`)."""
        if not self._failing:
            self._failing = True
            self._set_state(LinkState.WAITING, f"{why}; trying again quietly", logging.WARNING)
        else:
            log.debug("fleet link: still failing: %s", why)
            self._set_state(LinkState.WAITING)

    def _fault(self, error: Exception) -> None:
        if not self._failing:
            log.error("fleet link: attempt failed", exc_info=error)
        self._failed(f"{type(error).__name__}: {error}")

    def _set_state(self, new: LinkState, why: str = "", level: int = logging.INFO) -> None:
        """The one place the state changes; logged ``old -> new`` (while failing, the
        attempts only at DEBUG)."""
        with self._lock:
            old, self._state = self._state, new
        if old is new:
            return
        if new is LinkState.CONNECTED and self._failing:
            self._failing = False
            why = why or "the broker answers again"
        elif self._failing and level < logging.WARNING:
            level = logging.DEBUG
        log.log(level, "fleet link %s -> %s%s", old.value, new.value, f": {why}" if why else "")

    # --- any thread ---------------------------------------------------------------------

    def _post(self, topic: str, payload: bytes) -> None:
        """Put a message in the outbox (the latest per topic) and wake the thread."""
        with self._lock:
            self._outbox.pop(topic, None)
            self._outbox[topic] = payload
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_r.recv(4096):
                pass


def _where(
    settings: Settings | None,
) -> tuple[str, int, str, str, tuple[bytes, ...], tuple[int, ...]] | None:
    return settings.where if settings is not None else None


def _resolve(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)
