"""City hall's connection to the fleet's broker, for one command at a time.

Blocking, for a command-line tool: paho's network loop runs on its own thread
(``loop_start``) and hands messages to the caller's thread through a queue. Logs in as
:data:`~kiosk_contract.fleet.CITY_HALL_USER` with the certificate in the identity folder.
"""

import logging
import queue
import secrets
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from kiosk_provisioning.broker.config import BrokerAddress, city_hall_login
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.problems import Problem, ProvisionError

log = logging.getLogger(__name__)

FENCE = "city-hall/fence"


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


class HallSession:
    """One connection as city hall. ``with HallSession.open(...) as hall:``; every
    method raises :class:`ProvisionError` in plain words when the broker does not
    answer within *timeout_s*."""

    def __init__(
        self, address: BrokerAddress, cert: Path, key: Path, ca: Path, timeout_s: float
    ) -> None:
        self.address = address
        self.timeout_s = timeout_s
        # Its own client id: on the tools' listener many may be connected at once.
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, f"city-hall-{secrets.token_hex(4)}", protocol=mqtt.MQTTv5
        )
        context = ssl.create_default_context(cafile=str(ca))
        context.load_cert_chain(cert, key)
        self._client.tls_set_context(context)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_ack
        self._client.on_publish = self._on_ack_publish
        self._messages: queue.Queue[Message] = queue.Queue()
        self._up = threading.Event()
        self._down = threading.Event()
        self._why = ""
        self._acks: set[int] = set()
        self._acked = threading.Condition()
        self._started = False

    @classmethod
    def open(cls, address: BrokerAddress, repo_identity: Path, timeout_s: float = 10.0) -> Self:
        """Connected as city hall (its certificate from the authority in *repo_identity*)."""
        authority = Authority.open(repo_identity)
        cert, key = city_hall_login(authority)
        session = cls(address, cert, key, authority.ca_path, timeout_s)
        session.connect()
        return session

    # -- paho's thread ---------------------------------------------------------------

    def _on_connect(self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if rc.is_failure:
            self._why = f"the broker refused city hall's login ({rc})"
            self._down.set()
        else:
            self._up.set()

    def _on_disconnect(
        self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object
    ) -> None:
        self._why = self._why or f"the broker closed the connection ({rc})"
        self._up.clear()
        self._down.set()

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        self._messages.put(Message(message.topic, bytes(message.payload), bool(message.retain)))

    def _on_ack(self, _c: object, _u: object, mid: int, _rc: object, _p: Properties) -> None:
        with self._acked:
            self._acks.add(mid)
            self._acked.notify_all()

    def _on_ack_publish(
        self, _c: object, _u: object, mid: int, _rc: ReasonCode, _p: Properties
    ) -> None:
        self._on_ack(_c, _u, mid, _rc, _p)

    # -- the caller's thread ---------------------------------------------------------

    def _problem(self, message: str) -> ProvisionError:
        return ProvisionError([Problem(self.address.url, message)])

    def connect(self) -> None:
        try:
            self._client.connect(self.address.host, self.address.port, keepalive=30)
        except ssl.SSLCertVerificationError as err:
            raise self._problem(
                f"the broker's certificate is not the fleet's ({err.verify_message})"
            ) from None
        except (OSError, ssl.SSLError) as err:
            raise self._problem(f"cannot reach the broker: {err}") from None
        self._client.loop_start()
        self._started = True
        deadline = time.monotonic() + self.timeout_s
        while not self._up.is_set():
            if self._down.is_set():
                self.close()
                raise self._problem(self._why)
            if time.monotonic() > deadline:
                self.close()
                raise self._problem(f"the broker did not answer within {self.timeout_s:g} s")
            self._down.wait(0.05)

    def _wait_ack(self, mid: int | None, what: str) -> None:
        deadline = time.monotonic() + self.timeout_s
        with self._acked:
            while mid not in self._acks:
                if self._down.is_set():
                    raise self._problem(self._why)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._problem(f"the broker did not confirm {what}")
                self._acked.wait(min(left, 0.1))
            self._acks.discard(mid)

    def subscribe(self, filters: list[str], qos: int = 0) -> None:
        """Subscribe to *filters* and wait for the broker to confirm."""
        result, mid = self._client.subscribe([(f, qos) for f in filters])
        if result != mqtt.MQTT_ERR_SUCCESS:
            raise self._problem(f"cannot subscribe: {mqtt.error_string(result)}")
        self._wait_ack(mid, "the subscription")

    def publish(
        self,
        topic: str,
        payload: bytes,
        retain: bool = True,
        qos: int = 1,
        lasts_s: int | None = None,
    ) -> None:
        """Publish and wait until the broker has it (QoS 1). With *lasts_s*, the broker
        forgets the message (retained too) after that many seconds (MQTT 5's message
        expiry): an alert is not handed to a box that connects after it expired."""
        properties = None
        if lasts_s is not None:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.MessageExpiryInterval = max(1, lasts_s)
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise self._problem(f"cannot publish {topic}: {mqtt.error_string(info.rc)}")
        if qos:
            self._wait_ack(info.mid, f"the message on {topic}")

    def retained(self, filters: list[str]) -> list[Message]:
        """Every retained message on *filters*, now, without waiting on a timer.

        mosquitto queues a subscription's retained messages while it handles the
        SUBSCRIBE, and sends one client's messages in the order it queued them (all QoS
        0 here, so none overtakes another). So a marker published after the broker
        confirmed the subscription comes back after the last of them."""
        fence = f"{FENCE}/{secrets.token_hex(8)}"
        self.subscribe([*filters, fence], qos=0)
        self.publish(fence, b"", retain=False, qos=0)
        found: list[Message] = []
        for message in self.messages(self.timeout_s):
            if message.topic == fence:
                return found
            found.append(message)
        raise self._problem(
            f"the broker did not send the retained messages within {self.timeout_s:g} s"
        )

    def messages(self, seconds: float) -> Iterator[Message]:
        """Messages as they come, for *seconds* at most (the caller may stop sooner)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._down.is_set() and self._messages.empty():
                raise self._problem(self._why)
            try:
                yield self._messages.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue

    def close(self) -> None:
        """Disconnect; twice is harmless."""
        if self._started:
            self._started = False
            self._client.disconnect()
            self._client.loop_stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
