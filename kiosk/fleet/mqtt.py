"""A connection to city hall's broker: the one module that imports paho-mqtt.

:func:`connect` dials (TCP, TLS with the box's certificate, MQTT's CONNECT and its
answer) and returns a :class:`Connection`, or raises :class:`BrokerError` saying why in
one line. Everything here blocks and runs on the fleet link's own thread
(:mod:`kiosk.fleet.link`), never on the GUI thread. paho's network loop is driven
here (its "external loop" API) so that the link's thread also wakes when the screen
has something to send: :meth:`Connection.serve` selects on paho's socket and the
link's wake socket together.

MQTT 3.1.1, clean sessions: nothing is queued for the box at the broker while it is
away. What matters survives anyway, because every message of the fleet channel is
retained (the last alert of each topic, the box's last status).
"""

import contextlib
import select
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, cast

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

QOS = 1
"""Every message of the fleet channel: at least once (the broker acknowledges it)."""


class BrokerError(Exception):
    """The broker cannot be reached, refused the box, or the connection was lost; the
    message says why (for one log line)."""


class Message(NamedTuple):
    """A message the broker delivered."""

    topic: str
    payload: bytes
    retained: bool
    """Sent because the box subscribed (the broker's stored copy), not as it was published."""


@dataclass(frozen=True)
class Dial:
    """How to reach the broker, and as whom."""

    host: str
    port: int
    client_id: str
    tls: ssl.SSLContext
    """The box's certificate shown; the broker checked against the fleet CA."""
    will: tuple[str, bytes]
    """Topic and payload the broker publishes (retained) if the connection dies."""
    keepalive_s: int = 30
    """A silent connection is pinged after this long; the broker drops one silent
    for 1.5 times as long (and sends the will)."""
    timeout_s: float = 10.0
    """The longest the TCP connection, the TLS handshake or the broker's answer may take."""


class Connection(Protocol):
    """One connection to the broker. Used on the link's thread only."""

    def publish(self, topic: str, payload: bytes) -> None:
        """Send *payload* retained, at least once (QoS 1)."""

    def subscribe(self, filters: list[str]) -> None: ...

    def serve(self, wake: socket.socket, timeout: float) -> list[Message]:
        """Exchange data until something arrives, *wake* becomes readable (the caller
        empties it) or *timeout* seconds pass; the messages delivered meanwhile.

        Raises :class:`BrokerError` when the connection is lost."""

    def unacknowledged(self) -> int:
        """Messages published that the broker has not acknowledged yet."""

    def disconnect(self) -> None:
        """Say goodbye (the broker then does not send the will) and close. Never raises."""


Connect = Callable[[Dial], Connection]
"""Dials the broker (blocks; raises :class:`BrokerError`)."""


def connect(dial: Dial) -> Connection:
    """A connection to the broker *dial* names, once it has accepted the box."""
    return _PahoConnection(dial)


class _PahoConnection:
    def __init__(self, dial: Dial) -> None:
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=dial.client_id,
            clean_session=True,
            protocol=MQTTProtocolVersion.MQTTv311,
            reconnect_on_failure=False,
        )
        self._tls = _Wrapping(dial.tls)
        client.tls_set_context(cast(ssl.SSLContext, self._tls))
        client.will_set(dial.will[0], dial.will[1], qos=QOS, retain=True)
        client.connect_timeout = dial.timeout_s
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_log = self._on_log
        self._client = client
        self._answer: str | None = None
        """The broker's answer to CONNECT: "" accepted, else its reason."""
        self._inbox: list[Message] = []
        self._sent: list[paho.MQTTMessageInfo] = []
        self._last_error = ""
        self._open = True
        self._dial(dial)

    # --- dialling ---------------------------------------------------------------

    def _dial(self, dial: Dial) -> None:
        where = f"{dial.host}:{dial.port}"
        try:
            self._client.connect(dial.host, dial.port, keepalive=dial.keepalive_s)
        except (OSError, ValueError) as err:
            self._tls.discard()
            raise BrokerError(f"{where}: {_dial_failure(err, dial)}") from None
        deadline = time.monotonic() + dial.timeout_s
        while self._answer is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self._close()
                raise BrokerError(f"{where}: no answer to CONNECT within {dial.timeout_s:.0f} s")
            try:
                self._pump(None, left)
            except BrokerError as err:
                raise BrokerError(f"{where}: {err}") from None
        if self._answer:
            self._close()
            raise BrokerError(f"{where}: broker refused the box ({self._answer})")

    def _on_connect(self, _client: Any, _data: Any, _flags: Any, code: Any, _props: Any) -> None:
        self._answer = str(code) if code.is_failure else ""

    def _on_message(self, _client: Any, _data: Any, message: paho.MQTTMessage) -> None:
        self._inbox.append(Message(message.topic, bytes(message.payload), bool(message.retain)))

    def _on_log(self, _client: Any, _data: Any, level: int, text: str) -> None:
        if level == paho.MQTT_LOG_ERR:
            self._last_error = text

    # --- the link's side --------------------------------------------------------

    def publish(self, topic: str, payload: bytes) -> None:
        info = self._client.publish(topic, payload, qos=QOS, retain=True)
        self._sent = [sent for sent in self._sent if not sent.is_published()]
        self._sent.append(info)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
            raise self._lost(info.rc)

    def subscribe(self, filters: list[str]) -> None:
        rc, _ = self._client.subscribe([(f, QOS) for f in filters])
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise self._lost(rc)

    def serve(self, wake: socket.socket, timeout: float) -> list[Message]:
        self._pump(wake, timeout)
        inbox, self._inbox = self._inbox, []
        return inbox

    def unacknowledged(self) -> int:
        self._sent = [sent for sent in self._sent if not sent.is_published()]
        return len(self._sent)

    def disconnect(self) -> None:
        if not self._open:
            return
        client = self._client
        try:
            client.disconnect()
        except (OSError, ValueError):
            self._close()
            return
        # DISCONNECT is written at once if the socket takes it; a little more time
        # for a full send buffer, but never long: the broker's will is the fallback.
        deadline = time.monotonic() + 1.0
        while client.want_write() and (sock := client.socket()) is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [sock], [], left)[1]:
                break
            try:
                client.loop_write()
            except (OSError, ValueError):
                break
        self._close()

    # --- internals ---------------------------------------------------------------

    def _pump(self, wake: socket.socket | None, timeout: float) -> None:
        """One round of paho's external loop: wait for the socket (or *wake*), read,
        write, keep alive."""
        client = self._client
        sock = client.socket()
        if sock is None or not self._open:
            raise self._lost(MQTTErrorCode.MQTT_ERR_NO_CONN)
        # TLS may hold decrypted bytes the socket no longer signals.
        buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        readers: list[Any] = [sock] if wake is None else [sock, wake]
        writers: list[Any] = [sock] if client.want_write() else []
        readable, writable, _ = select.select(readers, writers, [], 0 if buffered else timeout)
        if sock in readable or buffered:
            self._check(client.loop_read())
        if sock in writable:
            self._check(client.loop_write())
        self._check(client.loop_misc())

    def _check(self, rc: MQTTErrorCode) -> None:
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise self._lost(rc)

    def _lost(self, rc: MQTTErrorCode) -> BrokerError:
        self._close()
        why = paho.error_string(rc)
        return BrokerError(f"{why} ({self._last_error})" if self._last_error else why)

    def _close(self) -> None:
        """Close the socket without a word (the client is not used again)."""
        self._open = False
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def _dial_failure(error: OSError | ValueError, dial: Dial) -> str:
    """Why a dial failed, in a technician's words."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"broker's certificate not trusted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error})"
    if isinstance(error, TimeoutError):
        return f"no answer within {dial.timeout_s:.0f} s"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


class _Wrapping:
    """The box's TLS context as paho sees it, remembering the socket it wraps: paho
    leaves that socket open when the handshake fails, and :meth:`discard` closes it."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._wrapped: ssl.SSLSocket | None = None

    @property
    def check_hostname(self) -> bool:
        return self._context.check_hostname

    def wrap_socket(self, sock: socket.socket, **options: Any) -> ssl.SSLSocket:
        # Small messages (a receipt right after an alert) go out at once: with Nagle's
        # delay each waited ~40 ms for the broker's acknowledgement of the one before.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._wrapped = self._context.wrap_socket(sock, **options)
        return self._wrapped

    def discard(self) -> None:
        if self._wrapped is not None:
            with contextlib.suppress(OSError):
                self._wrapped.close()
