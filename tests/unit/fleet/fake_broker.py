"""An in-memory broker for the fleet link's rules: retained messages, subscriptions
with ``+`` and ``#``, last wills, and a switch to take it down. Its connections are the
link's :class:`~kiosk.fleet.mqtt.Connection` (``FleetLink(connect=broker.connect)``);
the real broker's behaviour is tested with mosquitto in ``tests/fleet``.

Waiting: :meth:`FakeBroker.until` waits on a condition the broker signals at every
change, on a helper thread, so the test's event loop (the link's GUI loop) keeps
turning meanwhile.
"""

import asyncio
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.fleet.mqtt import BrokerError, Dial, Message

WAIT_S = 10.0


def matches(pattern: str, topic: str) -> bool:
    """MQTT's topic filter rules (``+`` one level, ``#`` the rest)."""
    want, have = pattern.split("/"), topic.split("/")
    for i, part in enumerate(want):
        if part == "#":
            return True
        if i >= len(have) or (part != "+" and part != have[i]):
            return False
    return len(want) == len(have)


@dataclass
class Published:
    topic: str
    payload: bytes
    by: str
    """The client id, or "will" for a last will the broker sent."""


@dataclass
class FakeConnection:
    broker: "FakeBroker"
    dial: Dial
    filters: list[str] = field(default_factory=list)
    inbox: list[Message] = field(default_factory=list)
    lost: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        self._signal_r, self._signal_w = socket.socketpair()

    def publish(self, topic: str, payload: bytes) -> None:
        self._check()
        self.broker.publish(topic, payload, by=self.dial.client_id)

    def subscribe(self, filters: list[str]) -> None:
        self._check()
        self.broker.subscribe(self, filters)

    def serve(self, wake: socket.socket, timeout: float) -> list[Message]:
        self._check()
        ready, _, _ = select.select([wake, self._signal_r], [], [], timeout)
        if self._signal_r in ready:
            self._signal_r.recv(4096)
        with self.broker.lock:
            inbox, self.inbox = self.inbox, []
        self._check()
        return inbox

    def unacknowledged(self) -> int:
        return 0

    def disconnect(self) -> None:
        self.broker.gone(self, cleanly=True)

    def deliver(self, message: Message) -> None:
        """Broker side (its lock held)."""
        self.inbox.append(message)
        self.signal()

    def signal(self) -> None:
        self._signal_w.send(b"\0")

    def close(self) -> None:
        self._signal_r.close()
        self._signal_w.close()

    def _check(self) -> None:
        if self.lost:
            raise BrokerError("connection lost (fake)")


class FakeBroker:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.up = True
        self.retained: dict[str, bytes] = {}
        self.published: list[Published] = []
        self.connections: list[FakeConnection] = []
        self.dials: list[Dial] = []
        self.goodbyes = 0
        """Connections ended with a DISCONNECT."""
        self._made: list[FakeConnection] = []

    def close(self) -> None:
        """Release every connection's sockets (after the test)."""
        for connection in self._made:
            connection.close()

    # --- the link's side ----------------------------------------------------------

    def connect(self, dial: Dial) -> FakeConnection:
        with self.lock:
            self.dials.append(dial)
            self.lock.notify_all()
            if not self.up:
                raise BrokerError(f"{dial.host}:{dial.port}: Connection refused (fake)")
            connection = FakeConnection(self, dial)
            self.connections.append(connection)
            self._made.append(connection)
            return connection

    def subscribe(self, connection: FakeConnection, filters: list[str]) -> None:
        with self.lock:
            connection.filters.extend(filters)
            for topic, payload in self.retained.items():
                if any(matches(f, topic) for f in filters):
                    connection.deliver(Message(topic, payload, retained=True))
            self.lock.notify_all()

    def gone(self, connection: FakeConnection, cleanly: bool) -> None:
        with self.lock:
            if connection not in self.connections:
                return
            self.connections.remove(connection)
            connection.lost = True
            connection.signal()
            if cleanly:
                self.goodbyes += 1
            else:
                topic, payload = connection.dial.will
                self._publish(topic, payload, "will", retain=True)
            self.lock.notify_all()

    # --- the test's side ------------------------------------------------------------

    def publish(
        self, topic: str, payload: bytes, by: str = "city-hall", retain: bool = True
    ) -> None:
        with self.lock:
            self._publish(topic, payload, by, retain)

    def _publish(self, topic: str, payload: bytes, by: str, retain: bool) -> None:
        self.published.append(Published(topic, payload, by))
        if retain:
            self.retained[topic] = payload
        for connection in self.connections:
            if any(matches(f, topic) for f in connection.filters):
                connection.deliver(Message(topic, payload, retained=False))
        self.lock.notify_all()

    def drop(self) -> None:
        """Every connection dies without a goodbye (the broker sends their wills)."""
        for connection in list(self.connections):
            self.gone(connection, cleanly=False)

    def go_down(self) -> None:
        with self.lock:
            self.up = False
        self.drop()

    def come_back(self) -> None:
        with self.lock:
            self.up = True
            self.lock.notify_all()

    def on(self, topic: str) -> list[bytes]:
        """Every payload published on *topic*, in order."""
        with self.lock:
            return [p.payload for p in self.published if p.topic == topic]

    async def until(self, what: Callable[[], bool]) -> None:
        """Until *what* holds (checked under the broker's lock at each change), at
        most :data:`WAIT_S`."""

        def wait() -> bool:
            with self.lock:
                return self.lock.wait_for(what, WAIT_S)

        assert await asyncio.to_thread(wait), "the fake broker did not see it happen"
