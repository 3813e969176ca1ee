"""A minimal MQTT 3.1.1 client on asyncio, for simulating many boxes from one process.

Only what the fleet benchmark needs: CONNECT (with a last will), SUBSCRIBE, PUBLISH at
QoS 0 or 1 both ways (PUBACK sent and awaited), PINGREQ, DISCONNECT. One
:class:`MqttLink` is one connection; hundreds share one event loop, each costing a
TLS transport and a small buffer, with no thread of its own (paho's ``connect``
does the TLS handshake blocking, one box at a time per thread). The box's real
link uses paho; this is the load generator only.

Every message received is handed to *on_message* with ``time.monotonic()`` taken
when its last byte came out of TLS: on Linux that clock is one system-wide clock,
so another process on this machine can compare it with its own readings.
"""

import asyncio
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 0x82, 0x90, 0xC0, 0xD0, 0xE0

OnMessage = Callable[[str, bytes, float], None]
"""(topic, payload, monotonic seconds when it arrived)."""


class MqttError(Exception):
    """The broker refused something or the connection ended."""


def _string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def _packet(header: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([header]) + bytes(encoded) + body


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


class MqttLink(asyncio.Protocol):
    """One MQTT connection. Open with :func:`open_link`; every method runs on the loop."""

    def __init__(self, on_message: OnMessage | None) -> None:
        self._on_message = on_message
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._waiting: dict[tuple[int, int], asyncio.Future[bytes]] = {}
        self._next_id = 0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 2:
            length, multiplier, at = 0, 1, 1
            while True:
                if at >= len(buffer):
                    return  # the length is not all here yet
                byte = buffer[at]
                length += (byte & 0x7F) * multiplier
                multiplier *= 128
                at += 1
                if not byte & 0x80:
                    break
            if len(buffer) < at + length:
                return
            header, body = buffer[0], bytes(buffer[at : at + length])
            del buffer[: at + length]
            self._packet(header, body, now)

    def connection_lost(self, exc: Exception | None) -> None:
        error = MqttError(f"connection lost: {exc}")
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        self._waiting.clear()
        if not self.closed.done():
            self.closed.set_result(None)

    # -- packets -----------------------------------------------------------------------

    def _packet(self, header: int, body: bytes, now: float) -> None:
        kind = header & 0xF0
        if kind == PUBLISH:
            qos = (header >> 1) & 3
            (size,) = struct.unpack_from("!H", body)
            topic = body[2 : 2 + size].decode()
            at = 2 + size
            if qos:
                (packet_id,) = struct.unpack_from("!H", body, at)
                at += 2
                self._send(_packet(PUBACK, struct.pack("!H", packet_id)))
            if self._on_message is not None:
                self._on_message(topic, body[at:], now)
        elif kind == CONNACK:
            self._settle((CONNACK, 0), body)
        elif kind in (PUBACK, SUBACK):
            (packet_id,) = struct.unpack_from("!H", body)
            self._settle((kind, packet_id), body[2:])
        elif kind == PINGRESP:
            self._settle((PINGRESP, 0), body)

    def _settle(self, key: tuple[int, int], body: bytes) -> None:
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(body)

    def _send(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            raise MqttError("not connected")
        self._transport.write(data)

    async def _ask(self, key: tuple[int, int], data: bytes) -> bytes:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        self._send(data)
        return await future

    def _packet_id(self) -> int:
        self._next_id = self._next_id % 65535 + 1
        return self._next_id

    # -- the client's side -------------------------------------------------------------

    async def connect(self, client_id: str, keepalive_s: int, will: Will | None) -> None:
        flags = 0x02  # clean session: alerts are retained, nothing is queued per box
        payload = _string(client_id)
        if will is not None:
            flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
            payload += _string(will.topic) + _string(will.payload)
        header = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s)
        answer = await self._ask((CONNACK, 0), _packet(CONNECT, header + payload))
        if answer[1] != 0:
            raise MqttError(f"connection refused (CONNACK code {answer[1]})")

    async def subscribe(self, filters: list[str], qos: int = 1) -> None:
        packet_id = self._packet_id()
        body = struct.pack("!H", packet_id) + b"".join(_string(f) + bytes([qos]) for f in filters)
        granted = await self._ask((SUBACK, packet_id), _packet(SUBSCRIBE, body))
        if any(code == 0x80 for code in granted):
            raise MqttError(f"subscription refused: {filters} -> {list(granted)}")

    async def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Send; at QoS 1, return once the broker has it (PUBACK)."""
        header = PUBLISH | (qos << 1) | (1 if retain else 0)
        if not qos:
            self._send(_packet(header, _string(topic) + payload))
            return
        packet_id = self._packet_id()
        body = _string(topic) + struct.pack("!H", packet_id) + payload
        await self._ask((PUBACK, packet_id), _packet(header, body))

    def send_publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """Send at QoS 1 without waiting for the broker's PUBACK (fire and count)."""
        body = _string(topic) + struct.pack("!H", self._packet_id()) + payload
        self._send(_packet(PUBLISH | 2 | (1 if retain else 0), body))

    async def ping(self) -> None:
        await self._ask((PINGRESP, 0), _packet(PINGREQ, b""))

    def close(self) -> None:
        """Say goodbye (no last will) and close; safe to call twice."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_packet(DISCONNECT, b""))
            self._transport.close()


async def open_link(
    host: str,
    port: int,
    context: ssl.SSLContext,
    client_id: str,
    on_message: OnMessage | None = None,
    keepalive_s: int = 300,
    will: Will | None = None,
) -> MqttLink:
    """A connected link (TCP, TLS with *context*'s certificate, CONNECT accepted)."""
    loop = asyncio.get_running_loop()
    _, link = await loop.create_connection(
        lambda: MqttLink(on_message), host, port, ssl=context, server_hostname=host
    )
    try:
        await link.connect(client_id, keepalive_s, will)
    except BaseException:
        link.close()
        raise
    return link
