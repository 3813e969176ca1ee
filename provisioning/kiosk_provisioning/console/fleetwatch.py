"""The fleet as the broker tells it, kept in memory for the console's pages.

One long-lived MQTT 5 subscription to ``fleet/#`` on city hall's tools listener,
logged in with city hall's own certificate (as ``kiosk-provision status``), on a
thread of its own (``fleet-watch``) that reconnects with a jittered backoff. The
pages read snapshots (:meth:`FleetWatch.snapshot`, :meth:`FleetWatch.receipts`,
:meth:`FleetWatch.room_floor`) from any thread; what they get is a copy, or immutable
(the rows).

It also subscribes to ``floor/#``: the town meetings' floors city hall signed (retained,
so a console started again knows who speaks and goes on counting from the broker's
sequence number), beside the centres' raised hands on ``fleet/<centre>/hands/<room>``
(retained too, so a console started again sees the hands still up).
"""

import base64
import logging
import random
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from kiosk_contract.fleet import AlertRefusedError, BoxStatus, Presence, Receipt
from kiosk_contract.floor import Floor, Hand, open_floor, read_hand
from kiosk_contract.questions import Answer, read_answer
from kiosk_provisioning.broker.alertkey import alert_public_key
from kiosk_provisioning.broker.alerts import latest_receipts
from kiosk_provisioning.broker.centres import BuiltCentre, built_configs, built_dir
from kiosk_provisioning.broker.config import BrokerAddress, city_hall_login
from kiosk_provisioning.broker.status import (
    MAX_REPORT_BYTES,
    CentreState,
    UnreadableReportError,
    centre_states,
    read_report,
)
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.directory import identity_folder
from kiosk_provisioning.problems import ProvisionError

log = logging.getLogger(__name__)

KEEPALIVE_S = 20
"""The broker notices a vanished console (and the console a vanished broker) within
about 1.5 times this."""
CONNECT_TIMEOUT_S = 3.0
FIRST_RETRY_S = 0.5
LAST_RETRY_S = 15.0
"""Retries wait a random time up to FIRST_RETRY_S, doubling after each failure up to
this: several consoles (and restarts) do not knock on the broker in step."""
BUILD_CHECK_S = 10.0
"""How often the watch thread looks whether ``build`` wrote the centres again."""


@dataclass(frozen=True)
class FleetSnapshot:
    """The fleet at one moment, for a page."""

    centres: list[CentreState]
    """Every built centre (and any box reporting that is not built), by district then
    centre; a centre never heard of is ``never connected``. Empty for the moment after
    :meth:`FleetWatch.start` that the watch thread takes to read the build."""
    connected: bool
    """Subscribed to the broker now."""
    lost_at: float | None
    """Unix seconds the connection was lost (or the first try failed), when not
    connected; ``None`` while connected."""
    version: int
    """Goes up whenever anything in :attr:`centres` may have changed."""


@dataclass(frozen=True)
class RaisedHand:
    """A centre's hand up in a meeting room, as the page lists it."""

    centre: str
    name: str
    at: int
    """When it went up, Unix seconds by the box's clock (shown, never trusted)."""


@dataclass(frozen=True)
class RoomFloor:
    """A meeting room's members, hands and floor at one moment, for a page."""

    number: int
    title: str
    floor: bool
    """A town meeting (``Room.floor``): centres watch until given the floor."""
    members: dict[str, str]
    """Centre id -> name, of every centre whose built configuration lists the room."""
    hands: list[RaisedHand]
    """Members' hands up and not yet given the floor, in the order they went up (the
    box's time, then arrival here)."""
    signed: Floor | None
    """The latest floor city hall signed for the room (sequence numbers count on from
    it), even when it has expired."""
    now: float
    """Unix seconds when this was taken."""

    @property
    def speakers(self) -> list[str]:
        """The centres on air now: the signed floor's, if it has not expired."""
        return on_air(self.signed, self.now)

    @property
    def shown(self) -> list[str]:
        """The centres whose camera the host looks at now (the audience on demand):
        the signed floor's, if it has not expired."""
        if self.signed is None or self.now >= self.signed.expires_at:
            return []
        return list(self.signed.shown)


def on_air(signed: Floor | None, now: float) -> list[str]:
    """The centres *signed* puts on air at *now* (none once it has expired)."""
    if signed is None or now >= signed.expires_at:
        return []
    return list(signed.speakers)


@dataclass(frozen=True)
class _Room:
    title: str
    floor: bool
    members: dict[str, str]


@dataclass(frozen=True)
class _Hand:
    hand: Hand
    arrived: int
    """The watch's count when it went up: names this raising of the hand (a box says
    its hand again at every connection, with a new ``n``: still the same raising), and
    keeps the order of hands with the same time."""
    up_at: int
    """When it went up (the box's ``at`` then, not of a later copy)."""


@dataclass
class _Fleet:
    """What the watch thread knows; guarded by :attr:`FleetWatch._lock`."""

    centres: list[BuiltCentre] = field(default_factory=list)
    revisions: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, BoxStatus] = field(default_factory=dict)
    presences: dict[str, Presence] = field(default_factory=dict)
    receipts: dict[str, dict[str, Receipt]] = field(default_factory=dict)
    """alert id -> centre -> its latest receipt."""
    rooms: dict[int, _Room] = field(default_factory=dict)
    """The meeting rooms of the build."""
    hands: dict[int, dict[str, _Hand]] = field(default_factory=dict)
    """room -> centre -> its latest hand (highest ``n``), up or down."""
    heard: dict[int, dict[str, int]] = field(default_factory=dict)
    """room -> centre -> the raising (:attr:`_Hand.arrived`) of its hand that was given
    the floor: the same hand still up after the floor was taken back is not listed
    again; one raised anew (after it went down) is."""
    floors: dict[int, Floor] = field(default_factory=dict)
    """room -> the floor with the highest sequence number city hall signed."""
    arrivals: int = 0
    version: int = 0
    changed: set[str] | None = None
    """Centres whose row must be made again (``None``: every one)."""

    def touch(self, centre: str | None) -> None:
        """*centre*'s row changed (``None``: every row)."""
        self.version += 1
        if centre is None:
            self.changed = None
        elif self.changed is not None:
            self.changed.add(centre)

    def rows(self, kept: dict[str, CentreState]) -> None:
        """Make *kept* (centre -> row) current: only the changed centres' rows again."""
        if self.changed is None:
            kept.clear()
            rows = centre_states(self.statuses, self.presences, self.centres, self.revisions)
            kept.update((row.centre, row) for row in rows)
        else:
            known = {centre.id: centre for centre in self.centres}
            for cid in self.changed:
                made = centre_states(
                    {cid: self.statuses[cid]} if cid in self.statuses else {},
                    {cid: self.presences[cid]} if cid in self.presences else {},
                    [known[cid]] if cid in known else [],
                    self.revisions,
                )
                if made:
                    kept[cid] = made[0]
                else:  # neither built nor reporting any more
                    kept.pop(cid, None)
        self.changed = set()


def _by_district(row: CentreState) -> tuple[str, str]:
    return row.district, row.centre


def _ssl_context(repo: Path) -> ssl.SSLContext:
    authority = Authority.open(identity_folder(repo))
    cert, key = city_hall_login(authority)
    context = ssl.create_default_context(cafile=str(authority.ca_path))
    context.load_cert_chain(cert, key)
    return context


class FleetWatch:
    """Subscribes to ``fleet/#`` on its own thread; pages read snapshots.

    Built with the repository (its built centres, its identity folder for city
    hall's certificate) and the tools listener's address; :meth:`start` once,
    :meth:`close` once (twice is harmless). While the broker is away the last state
    is kept, and :attr:`connected` says so. *context* makes the TLS context (default:
    city hall's certificate from the repository); *retry_s*: the first and the longest
    wait between tries (seconds), each a random time up to that bound; *build_check_s*:
    how often to look whether ``build`` wrote the centres again."""

    def __init__(
        self,
        repo: Path,
        broker: BrokerAddress,
        context: Callable[[Path], ssl.SSLContext] = _ssl_context,
        retry_s: tuple[float, float] = (FIRST_RETRY_S, LAST_RETRY_S),
        build_check_s: float = BUILD_CHECK_S,
    ) -> None:
        self._repo = repo
        self._broker = broker
        self._context = context
        self._retry_s = retry_s
        self._build_check_s = build_check_s
        self._tries = 0
        self._up = False
        """This try connected (the next retry waits as after a first failure)."""
        self._lock = threading.Lock()
        self._fleet = _Fleet()
        self._connected = False
        self._lost_at: float | None = None
        self._rows: dict[str, CentreState] = {}
        self._ordered: list[CentreState] = []
        self._ordered_version = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._built_mtime: float | None = None
        self._built_checked = 0.0
        self._floor_keys: list[bytes] | None = None
        self.on_answer: Callable[[str, Answer], object] | None = None
        """Takes a centre's answer to a meeting question (:func:`.questions.take_answer`),
        on the watch thread; ``None``: answers are ignored."""

    # -- any thread ---------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (never blocks; reconnects with backoff)."""
        if self._thread is not None or self._stop.is_set():
            return
        self._thread = threading.Thread(target=self._run, name="fleet-watch", daemon=True)
        self._thread.start()

    @property
    def connected(self) -> bool:
        """Subscribed to ``fleet/#`` now."""
        with self._lock:
            return self._connected

    @property
    def tries(self) -> int:
        """Connections tried so far (the first included)."""
        with self._lock:
            return self._tries

    def snapshot(self) -> FleetSnapshot:
        """The fleet now. Only the rows of centres that reported since are made again;
        a row that did not change is the same object as in the last snapshot."""
        with self._lock:
            fleet = self._fleet
            if self._ordered_version != fleet.version:
                fleet.rows(self._rows)
                self._ordered = sorted(self._rows.values(), key=_by_district)
                self._ordered_version = fleet.version
            return FleetSnapshot(
                list(self._ordered), self._connected, self._lost_at, self._ordered_version
            )

    def centres(self) -> list[CentreState]:
        """Every built centre with what its box last reported (offline if nothing)."""
        return self.snapshot().centres

    def receipts(self, alert_id: str) -> dict[str, Receipt]:
        """Each centre's latest receipt for *alert_id*."""
        with self._lock:
            return dict(self._fleet.receipts.get(alert_id, {}))

    def room_floor(self, number: int, now: float | None = None) -> RoomFloor | None:
        """Meeting room *number*'s members, hands and floor (``None``: no such room in
        the build); *now*: Unix seconds (default: the clock)."""
        when = time.time() if now is None else now
        with self._lock:
            fleet = self._fleet
            room = fleet.rooms.get(number)
            if room is None:
                return None
            signed = fleet.floors.get(number)
            speaking = set(on_air(signed, when))
            heard = fleet.heard.get(number, {})
            up = sorted(
                (kept.up_at, kept.arrived, centre)
                for centre, kept in fleet.hands.get(number, {}).items()
                if kept.hand.raised
                and centre in room.members
                and centre not in speaking
                and kept.arrived != heard.get(centre)
            )
        hands = [RaisedHand(centre, room.members[centre], at) for at, _, centre in up]
        return RoomFloor(number, room.title, room.floor, dict(room.members), hands, signed, when)

    def took_floor(self, floor: Floor) -> None:
        """*floor* was just signed and published (by :mod:`.floor`): it counts from now,
        before the broker's copy comes back; the hands of its speakers are answered."""
        with self._lock:
            self._keep_floor(floor)
            hands = self._fleet.hands.get(floor.room, {})
            heard = self._fleet.heard.setdefault(floor.room, {})
            for centre in floor.speakers:
                if centre in hands and hands[centre].hand.raised:
                    heard[centre] = hands[centre].arrived

    def close(self) -> None:
        """Stop the thread and disconnect (twice is harmless). Returns within about
        :data:`CONNECT_TIMEOUT_S` at worst (a connection attempt under way)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(CONNECT_TIMEOUT_S + 2)

    # -- the watch thread -----------------------------------------------------------------

    def _run(self) -> None:
        self._read_built()  # here: parsing a whole fleet's configurations takes a moment
        failures = 0
        while not self._stop.is_set():
            with self._lock:
                self._tries += 1
                self._up = False
            try:
                client = self._client()
                client.connect(self._broker.host, self._broker.port, keepalive=KEEPALIVE_S)
            except (OSError, ssl.SSLError, ValueError, ProvisionError) as err:
                # ValueError (IdentityError too): city hall's certificate unreadable.
                self._lost(f"cannot reach the broker: {err}")
            else:
                while not self._stop.is_set():
                    if client.loop(timeout=0.2) != mqtt.MQTT_ERR_SUCCESS:
                        break
                    self._check_built()
                if self._stop.is_set():
                    client.disconnect()
                    client.loop(timeout=0.2)  # writes the DISCONNECT
                else:
                    self._lost("the broker closed the connection")
            if self._stop.is_set():
                return
            with self._lock:
                failures = 1 if self._up else failures + 1
            first, last = self._retry_s
            self._stop.wait(random.uniform(first / 2, min(last, first * 2 ** min(failures, 10))))
            self._check_built()

    def _client(self) -> mqtt.Client:
        # Its own client id: on the tools' listener many may be connected at once.
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            f"city-hall-console-{secrets.token_hex(4)}",
            protocol=mqtt.MQTTv5,
        )
        client.connect_timeout = CONNECT_TIMEOUT_S
        client.tls_set_context(self._context(self._repo))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: ReasonCode, _p: object
    ) -> None:
        if rc.is_failure:
            self._lost(f"the broker refused city hall's login ({rc})")
            client.disconnect()
            return
        client.subscribe([("fleet/#", 1), ("floor/#", 1)])
        with self._lock:
            was_lost, self._connected, self._lost_at = self._lost_at, True, None
            self._up = True
        if was_lost is not None:
            log.info("fleet broker %s: connected again", self._broker.url)
        else:
            log.info("fleet broker %s: connected", self._broker.url)

    def _on_disconnect(
        self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object
    ) -> None:
        if not self._stop.is_set():
            self._lost(f"the broker closed the connection ({rc})")

    def _lost(self, why: str) -> None:
        """Logged once per loss: later failures to reconnect are not."""
        with self._lock:
            self._connected = False
            first = self._lost_at is None
            if first:
                self._lost_at = time.time()
        if first:
            log.warning(
                "fleet broker %s: %s; the console shows the last state until it is back",
                self._broker.url,
                why,
            )

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        topic, payload = message.topic, bytes(message.payload)
        parts = topic.split("/")
        if len(parts) == 4 and parts[2] == "receipts":
            self._take_receipt(topic, parts[1], parts[3], payload)
            return
        if len(parts) == 4 and parts[2] == "answers":
            self._take_answer(topic, payload)
            return
        if len(parts) == 4 and parts[2] == "hands":
            self._take_hand(topic, parts[1], parts[3], payload)
            return
        if parts[0] == "floor":
            self._take_floor(topic, payload)
            return
        try:
            found = read_report(topic, payload)
        except UnreadableReportError as err:
            log.warning("%s: unreadable, ignored (%s)", topic, err)
            return
        with self._lock:
            fleet = self._fleet
            if found is None:
                if len(parts) != 3 or payload or parts[2] not in ("status", "presence"):
                    return
                # A retained report taken away (empty payload).
                taken: dict[str, BoxStatus] | dict[str, Presence]
                taken = fleet.statuses if parts[2] == "status" else fleet.presences
                taken.pop(parts[1], None)
            elif isinstance(found[1], BoxStatus):
                fleet.statuses[found[0]] = found[1]
            else:
                fleet.presences[found[0]] = found[1]
            fleet.touch(parts[1])

    def _take_receipt(self, topic: str, centre: str, alert_id: str, payload: bytes) -> None:
        if not payload:  # taken off the broker (the alert expired): forgotten here too
            with self._lock:
                kept = self._fleet.receipts.get(alert_id, {})
                kept.pop(centre, None)
                if not kept:
                    self._fleet.receipts.pop(alert_id, None)
            return
        found = latest_receipts({topic: payload}) if len(payload) <= MAX_REPORT_BYTES else {}
        receipt = found.get(centre)
        if receipt is None or receipt.alert != alert_id:
            log.warning("%s: unreadable receipt, ignored", topic)
            return
        with self._lock:
            self._fleet.receipts.setdefault(alert_id, {})[centre] = receipt

    def _take_answer(self, topic: str, payload: bytes) -> None:
        """A centre's answer to a meeting question, to :attr:`on_answer` (issue 15)."""
        take = self.on_answer
        if take is None or not payload:
            return
        try:
            centre, answer = read_answer(topic, payload)
        except ValueError as err:
            log.warning("%s: unreadable answer, ignored (%s)", topic, err)
            return
        try:
            take(centre, answer)
        except Exception:  # the watch thread's boundary: a database fault with one
            # answer must not end the console's subscription
            log.exception("%s: the answer could not be recorded", topic)

    def _take_hand(self, topic: str, centre: str, room: str, payload: bytes) -> None:
        """A centre's hand (issue 17): kept per room, the latest (by ``n``) of each
        member; an empty payload (taken off the broker) forgets it."""
        if not payload:
            with self._lock:
                if room.isdigit():
                    self._fleet.hands.get(int(room), {}).pop(centre, None)
            return
        try:
            centre, hand = read_hand(topic, payload)
        except ValueError as err:
            log.warning("%s: unreadable hand, ignored (%s)", topic, err)
            return
        with self._lock:
            fleet = self._fleet
            found = fleet.rooms.get(hand.room)
            if found is None or centre not in found.members:
                member = False
            else:
                member = True
                kept = fleet.hands.setdefault(hand.room, {})
                old = kept.get(centre)
                if old is not None and old.hand.raised and hand.raised and hand.n > old.hand.n:
                    # Still the same hand up (said again): it keeps its place in the line.
                    kept[centre] = _Hand(hand, old.arrived, old.up_at)
                elif old is None or hand.n > old.hand.n:
                    fleet.arrivals += 1
                    kept[centre] = _Hand(hand, fleet.arrivals, hand.at)
        if not member:
            log.warning("%s: %s is not in room %d, its hand ignored", topic, centre, hand.room)

    def _take_floor(self, topic: str, payload: bytes) -> None:
        """A floor city hall signed, as the broker keeps it (retained): sequence
        numbers go on from the highest. An empty payload (expired, or taken off the
        broker) changes nothing: the last one known expires here too."""
        if not payload:
            return
        try:
            floor = open_floor(payload, self._keys(), time.time())
        except (AlertRefusedError, ProvisionError) as err:
            log.warning("%s: floor refused (%s)", topic, err)
            return
        if floor.topic != topic:
            log.warning("%s: the floor of room %d, ignored", topic, floor.room)
            return
        with self._lock:
            self._keep_floor(floor)

    def _keep_floor(self, floor: Floor) -> None:
        """Under :attr:`_lock`: *floor* if it is newer than the one kept."""
        kept = self._fleet.floors.get(floor.room)
        if kept is None or floor.seq > kept.seq:
            self._fleet.floors[floor.room] = floor

    def _keys(self) -> list[bytes]:
        """City hall's alert key's public half (read once), that floors are signed with."""
        if self._floor_keys is None:
            self._floor_keys = [base64.b64decode(alert_public_key(self._repo))]
        return self._floor_keys

    def _check_built(self) -> None:
        now = time.monotonic()
        if now - self._built_checked >= self._build_check_s:
            self._read_built()

    def _read_built(self) -> None:
        """The centres of the last build, again if ``build`` wrote them since."""
        self._built_checked = time.monotonic()
        try:
            mtime = built_dir(self._repo).stat().st_mtime
        except FileNotFoundError:
            mtime = 0.0
        if mtime == self._built_mtime:
            return
        try:
            configs = built_configs(self._repo)
        except ProvisionError as err:
            log.warning("built centres not read again, the last ones kept: %s", err)
            self._built_mtime = mtime
            return
        self._built_mtime = mtime
        rooms: dict[int, _Room] = {}
        for config in configs:
            for room in config.calls.rooms:
                found = rooms.setdefault(room.number, _Room(room.title, room.floor, {}))
                if room.floor and not found.floor:  # one centre's configuration says so
                    found = rooms[room.number] = _Room(found.title, True, found.members)
                found.members[config.centre.id] = config.centre.name
        with self._lock:
            self._fleet.rooms = rooms
            self._fleet.centres = [
                BuiltCentre(c.centre.id, c.centre.name, c.centre.district) for c in configs
            ]
            self._fleet.revisions = {c.centre.id: c.revision for c in configs}
            self._fleet.touch(None)
