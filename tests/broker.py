"""A real mosquitto for the fleet channel, configured by city hall's own writer
(:mod:`kiosk_provisioning.broker.config`), and MQTT clients that log in as an enrolled
box or as city hall, for tests and benchmarks.

    identity = CityHallIdentity(tmp_path / "repo", {"c-1": ()})
    box = identity.enrol("c-1", tmp_path / "box")
    with Broker(tmp_path / "broker", identity, {"c-1": "운봉읍"}) as broker:
        hall = broker.city_hall().connect()
        hall.subscribe("fleet/+/status")
        with broker.box(box).connect() as peer:
            peer.publish("fleet/c-1/status", b"{}", retain=True)
        assert hall.next().topic == "fleet/c-1/status"
        hall.close()

Everything here blocks with a deadline (:data:`WAIT_S`) and raises ``AssertionError``
saying what did not happen; nothing waits a fixed time.
"""

import contextlib
import functools
import getpass
import itertools
import os
import queue
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from kiosk_provisioning.broker.config import (
    BrokerFiles,
    city_hall_login,
    render_conf,
    write_acl,
)
from tests.calls.identities import BoxFiles, CityHallIdentity
from tests.webserver import free_port

MOSQUITTO = "/usr/sbin/mosquitto"
WAIT_S = 15.0
"""How long any wait here lasts before it fails the test."""


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool
    qos: int


class Peer:
    """One MQTT client (paho, its network loop on paho's thread) with blocking calls for
    tests. Messages arrive in :meth:`next` in the order the broker sent them.
    Use :meth:`Broker.box` or :meth:`Broker.city_hall` to make one; :meth:`close` (or
    ``with``) ends it, twice is harmless."""

    def __init__(self, client: mqtt.Client, host: str, port: int) -> None:
        self.client = client
        """The paho client, for what this class does not cover (a will, say: set it
        before :meth:`connect`)."""
        self._host, self._port = host, port
        self._messages: queue.Queue[Message] = queue.Queue()
        self._connected = threading.Event()
        self._gone = threading.Event()
        self._refusal: str | None = None
        self._acks: dict[int, threading.Event] = {}
        self._granted: dict[int, list[int]] = {}
        self._lock = threading.Lock()
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        # Only the network thread may touch the TLS socket. Without paho's own thread
        # (loop_start), paho writes a packet at once from whichever thread publishes or
        # subscribes, while this peer's network thread reads the same SSL object: now and
        # then the connection broke ("Protocol error" or "unexpected eof" at mosquitto,
        # "The connection was lost" here). With this callback set, paho queues the packet
        # and wakes the network thread, which writes it, as with loop_start.
        client.on_socket_register_write = _written_by_the_network_thread
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- paho's thread ---------------------------------------------------------------

    def _on_connect(self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if rc.is_failure:
            self._refusal = str(rc)
            self._gone.set()
        else:
            self._connected.set()

    def _on_disconnect(
        self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object
    ) -> None:
        self._refusal = self._refusal or f"disconnected: {rc}"
        self._connected.clear()
        self._gone.set()

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        self._messages.put(
            Message(message.topic, bytes(message.payload), bool(message.retain), message.qos)
        )

    def _on_subscribe(
        self, _c: object, _u: object, mid: int, codes: list[ReasonCode], _p: Properties
    ) -> None:
        with self._lock:
            self._granted[mid] = [code.value for code in codes]
            self._event(mid).set()

    def _on_publish(
        self, _c: object, _u: object, mid: int, _rc: ReasonCode, _p: Properties
    ) -> None:
        with self._lock:
            self._event(mid).set()

    def _event(self, mid: int) -> threading.Event:
        return self._acks.setdefault(mid, threading.Event())

    def _network(self) -> None:
        """paho's network loop, on this peer's own thread, without reconnecting: a
        connection the broker ends stays ended (a test makes a new peer)."""
        while not self._stop.is_set():
            if self.client.loop(timeout=0.05) != mqtt.MQTT_ERR_SUCCESS:
                self._gone.set()
                return

    # -- the test's thread -----------------------------------------------------------

    def connect(self) -> Self:
        """Connect and wait for the broker's CONNACK; ``AssertionError`` if refused (a
        TLS handshake the broker refuses shows as an ``ssl.SSLError`` or
        ``ConnectionError``: see :meth:`try_connect`)."""
        refusal = self.try_connect()
        assert refusal is None, f"the broker refused the connection: {refusal}"
        return self

    def try_connect(self) -> str | None:
        """Connect; ``None`` once the broker accepted, else why it did not (the TLS
        error, or the CONNACK's reason, or the disconnection that followed)."""
        self._connected.clear()
        self._gone.clear()
        self._refusal = None
        try:
            self.client.connect(self._host, self._port, keepalive=30)
        except (OSError, ssl.SSLError) as err:
            return f"{type(err).__name__}: {err}"
        self._stop.clear()
        self._thread = threading.Thread(target=self._network, name="mqtt-peer", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + WAIT_S
        while not (self._connected.is_set() or self._gone.is_set()):
            assert time.monotonic() < deadline, "no CONNACK from the broker"
            self._gone.wait(0.05)
        if self._gone.is_set():
            return self._refusal or "disconnected"
        return None

    def wait_closed(self) -> str:
        """Wait until the broker ends the connection; why it ended."""
        assert self._gone.wait(WAIT_S), "the broker kept the connection"
        return self._refusal or "disconnected"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def subscribe(self, *filters: str, qos: int = 1) -> list[int]:
        """Subscribe and wait for the SUBACK; the granted QoS per filter (128: refused)."""
        result, mid = self.client.subscribe([(f, qos) for f in filters])
        assert result == mqtt.MQTT_ERR_SUCCESS and mid is not None, mqtt.error_string(result)
        self._wait(mid, "SUBACK")
        with self._lock:
            return self._granted.pop(mid)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Publish and, for QoS 1, wait for the broker's PUBACK. mosquitto acknowledges
        a publication it refuses by its access list just the same, and drops it."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, mqtt.error_string(info.rc)
        if qos:
            self._wait(info.mid, "PUBACK")
        else:
            info.wait_for_publish(WAIT_S)

    def _wait(self, mid: int, what: str) -> None:
        with self._lock:
            event = self._event(mid)
        assert event.wait(WAIT_S), f"no {what} from the broker"
        with self._lock:
            del self._acks[mid]

    def next(self, timeout: float = WAIT_S) -> Message:
        """The next message the broker sent; ``AssertionError`` if none comes in time."""
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout} s") from None

    def until(self, topic: str, timeout: float = WAIT_S) -> list[Message]:
        """Every message up to and including the first on *topic*: with a message sent
        after the one a test expects *not* to arrive (on a topic the peer may read, by
        the same publisher, at the same QoS), the broker's order shows it never will."""
        seen: list[Message] = []
        deadline = time.monotonic() + timeout
        while not seen or seen[-1].topic != topic:
            seen.append(self.next(max(0.0, deadline - time.monotonic())))
        return seen

    def pending(self) -> list[Message]:
        """The messages received and not yet taken, without waiting."""
        taken: list[Message] = []
        with contextlib.suppress(queue.Empty):
            while True:
                taken.append(self._messages.get_nowait())
        return taken

    def drop(self) -> None:
        """End the connection with no goodbye, as a box that loses power or network:
        the broker sends its last will. Returns once the peer has stopped."""
        sock = self.client.socket()
        assert isinstance(sock, socket.socket), "not connected"
        self._stop.set()
        if self._thread is not None:
            self._thread.join(WAIT_S)
            self._thread = None
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        self._connected.clear()

    def close(self) -> None:
        """Disconnect (a clean DISCONNECT: no last will) and stop the network thread."""
        if self._thread is not None:
            if self.connected:
                self.client.disconnect()
                # paho closes the socket once DISCONNECT is written, on the network thread.
                self._gone.wait(WAIT_S)
            self._stop.set()
            self._thread.join(WAIT_S)
            self._thread = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _written_by_the_network_thread(_client: object, _userdata: object, _sock: object) -> None:
    """Nothing to do: :meth:`Peer._network`'s ``loop`` writes what paho queued."""


def tls_client(
    cert: Path | None,
    key: Path | None,
    ca: Path,
    protocol: MQTTProtocolVersion = mqtt.MQTTv311,
    clean: bool = True,
    client_id: str = "",
) -> mqtt.Client:
    """A paho client (callback API 2) that checks the broker against *ca* and shows
    *cert*/*key* (none: no certificate). The broker names the client after its login.
    *clean*: a fresh session at every connection (else the broker keeps subscriptions
    and QoS 1 messages for it while it is away). *client_id*: what it calls itself
    (the fleet's listener replaces it with the login)."""
    if protocol == mqtt.MQTTv5:
        # MQTT 5 asks for a clean start at connect, not here.
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id, protocol=protocol)
        client.connect = functools.partial(client.connect, clean_start=clean)  # type: ignore[method-assign]
    else:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id, clean_session=clean, protocol=protocol
        )
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None and key is not None:
        context.load_cert_chain(cert, key)
    client.tls_set_context(context)
    return client


class Broker:
    """mosquitto as city hall runs it, in *folder*, on 127.0.0.1 and a free port: the
    configuration :func:`~kiosk_provisioning.broker.config.render_conf` writes, a
    server certificate, the CA and revocation list of *identity*'s authority, and the
    access list for *districts* (centre id -> district; :meth:`set_fleet` changes it).

    ``with Broker(...) as broker`` starts it and stops it; :meth:`start`, :meth:`stop`,
    :meth:`kill`, :meth:`restart` and :meth:`reload` for tests of a broker going away.
    Retained messages persist across a restart (not across :meth:`kill` since the last
    autosave, as in the field)."""

    def __init__(
        self,
        folder: Path,
        identity: CityHallIdentity,
        districts: Mapping[str, str] | None = None,
        port: int = 0,
    ) -> None:
        self.folder = folder
        self.identity = identity
        self.host = "127.0.0.1"
        self.port = port or free_port()
        """The fleet's listener (boxes: :attr:`url`)."""
        self.tools_port = free_port()
        """City hall's tools' listener (:attr:`tools_url`)."""
        authority = identity.authority
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = authority.issue_server_cert([self.host, "localhost"], folder)
        self.files = BrokerFiles(
            ca=authority.ca_path,
            cert=cert,
            key=key,
            crl=authority.crl_path,
            acl=folder / "acl",
            state=folder / "state",
        )
        self.files.state.mkdir(exist_ok=True)
        write_acl(self.files.acl, districts or {})
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            render_conf(self.files, self.port, self.host, getpass.getuser(), self.tools_port)
        )
        self.log_path = folder / "mosquitto.log"
        self._names = itertools.count(1)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``mqtts://127.0.0.1:PORT``, as a centre's ``fleet.broker``."""
        return f"mqtts://{self.host}:{self.port}"

    @property
    def tools_url(self) -> str:
        """Where city hall's tools connect (``kiosk-provision status --broker``)."""
        return f"mqtts://{self.host}:{self.tools_port}"

    @property
    def ca(self) -> Path:
        """The fleet CA (the broker's certificate is checked against it)."""
        return self.files.ca

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        """What mosquitto logged so far (all its runs in this folder)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        """Start mosquitto and return once it completes a TLS handshake."""
        assert not self.running, "already running"
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + WAIT_S
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(*city_hall_login(self.identity.authority))
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=2) as sock,
                context.wrap_socket(sock, server_hostname=self.host) as tls,
            ):
                tls.unwrap()  # a clean close: no "unexpected eof" in mosquitto's log
                return
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._process.kill()
                raise AssertionError(f"mosquitto did not start:\n{self.log()[-3000:]}")
            time.sleep(0.02)  # polling the port, with a deadline

    def stop(self) -> None:
        """SIGTERM (mosquitto saves its retained messages) and wait. Twice is harmless."""
        if self._process is not None:
            self._process.terminate()
            self._wait_exit()

    def kill(self) -> None:
        """SIGKILL: the broker vanishes as in a crash (no save, no goodbye)."""
        if self._process is not None:
            self._process.kill()
            self._wait_exit()

    def _wait_exit(self) -> None:
        assert self._process is not None
        try:
            self._process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise AssertionError("mosquitto did not stop") from None
        finally:
            self._process = None

    def restart(self) -> None:
        """Stop (saving) and start again, on the same port."""
        self.stop()
        self.start()

    def reload(self) -> None:
        """SIGHUP, as ``systemctl reload kiosk-broker``: mosquitto reads its access list
        and revocation list again. Returns once it has (new connections meet them;
        connections already open keep going)."""
        assert self._process is not None and self.running, "not running"
        before = self.log().count("Reloading config")
        os.kill(self._process.pid, signal.SIGHUP)
        deadline = time.monotonic() + WAIT_S
        # mosquitto logs this, then reloads in the same turn of its single-threaded loop
        # before it handles any client again: a handshake after it meets the new files.
        while self.log().count("Reloading config") <= before:
            assert time.monotonic() < deadline, f"mosquitto did not reload:\n{self.log()[-2000:]}"
            time.sleep(0.02)  # polling its log, with a deadline

    def set_fleet(self, districts: Mapping[str, str]) -> None:
        """Write the access list for *districts* and :meth:`reload` if running."""
        write_acl(self.files.acl, districts)
        if self.running:
            self.reload()

    def box(
        self,
        box: BoxFiles,
        protocol: MQTTProtocolVersion = mqtt.MQTTv311,
        clean: bool = True,
        client_id: str = "",
    ) -> Peer:
        """A client that logs in as the enrolled *box* (its own key and certificate)."""
        client = tls_client(box.cert, box.key, box.ca, protocol, clean, client_id)
        return Peer(client, self.host, self.port)

    def city_hall(self, protocol: MQTTProtocolVersion = mqtt.MQTTv311) -> Peer:
        """A client that logs in as city hall's tools (``city-hall.fleet``), on their
        own listener (where many may be connected at once)."""
        cert, key = city_hall_login(self.identity.authority)
        name = f"city-hall-test-{next(self._names)}"
        return Peer(
            tls_client(cert, key, self.ca, protocol, client_id=name), self.host, self.tools_port
        )

    def stranger(self, cert: Path | None = None, key: Path | None = None) -> Peer:
        """A client with *cert*/*key* (none: no certificate) that trusts the broker."""
        return Peer(tls_client(cert, key, self.ca), self.host, self.port)

    def __enter__(self) -> "Broker":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def peers(*made: Peer) -> Iterator[tuple[Peer, ...]]:
    """Close every one of *made* at the end of the block."""
    try:
        yield made
    finally:
        for peer in made:
            peer.close()
