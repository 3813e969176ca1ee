"""Simulated boxes for the fleet benchmark: their identities, and the worker process
that holds a few hundred of them on one event loop.

Identities come from the real fleet CA (:class:`Authority`): each box has its own
P-256 key and a client certificate whose CN is its centre id, recorded in the
authority's registry as an enrolment records it. The one-time-code round trip is
skipped (two scrypt hashes per box, ~3 minutes for 2,000): :func:`box_identities`
signs through the authority's own signing step, in one registry transaction, and
keeps everything in a cache folder, so a later run with as many boxes or fewer
issues nothing.

A worker (:func:`run_worker`, a process of its own) is driven by its parent over a
pipe; see :class:`Command` for what it is told and what it answers. Each box
connects with its certificate and a last will (presence offline), subscribes to
its :func:`alert_subscriptions`, and publishes its presence and a
:class:`BoxStatus`, both retained, as the box's link does on connect. Then it
records, for every alert, the system-wide ``time.monotonic()`` at which it had the
alert: as received, or once :func:`open_alert` accepted it and the audience check
passed (``verify``), then optionally sending its "delivered" receipt (``receipt``).
"""

import asyncio
import contextlib
import dataclasses
import os
import random
import shutil
import ssl
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.mqtt_lite import MqttError, MqttLink, Will, open_link
from kiosk_contract.fleet import (
    AlertRefusedError,
    BoxStatus,
    DeviceReport,
    Presence,
    Receipt,
    alert_subscriptions,
    open_alert,
    presence_topic,
    receipt_topic,
    status_topic,
)
from kiosk_provisioning.broker.centres import built_configs, built_dir
from kiosk_provisioning.build import build
from kiosk_provisioning.identity.authority import Authority
from tests.provision.fleets import put_example_media

EXAMPLE_FLEET = Path(__file__).resolve().parent.parent / "provisioning" / "examples" / "fleet"
DISTRICTS = sorted(path.stem for path in (EXAMPLE_FLEET / "districts").glob("*.json"))
"""The example city's districts (읍면동); the boxes are dealt over them in turn."""
KEEPALIVE_S = 30
"""As the box's link (kiosk.fleet.mqtt.Dial): every box pings about this often."""
CONNECT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class SimBox:
    """One simulated box: its centre, district and identity files (key.pem, cert.pem)."""

    centre: str
    district: str
    folder: Path
    revision: int = 1
    """Its configuration's revision as city hall built it (the status reports it)."""

    def context(self, ca: Path) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=ca)
        context.load_cert_chain(self.folder / "cert.pem", self.folder / "key.pem")
        return context


def centre_name(index: int) -> str:
    return f"sim-{index:04d}"


def district_name(index: int) -> str:
    return DISTRICTS[index % len(DISTRICTS)]


def _write_identity(folder: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "key.pem").write_bytes(pem)
    (folder / "key.pem").chmod(0o600)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def issue(authority: Authority, names: list[str], folder: Path) -> None:
    """A key and a certificate from *authority* for each of *names* (CN = the name),
    written to ``folder/<name>/``, all in one registry transaction.

    Uses the authority's private signing step: the step an enrolment ends with, minus
    the one-time code (see the module's docstring)."""
    with authority._db() as db:
        for name in names:
            key = ec.generate_private_key(ec.SECP256R1())
            request = (
                x509.CertificateSigningRequestBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .sign(key, hashes.SHA256())
            )
            _write_identity(folder / name, key, authority._sign(db, name, request))


def box_identities(authority: Authority, folder: Path, count: int) -> list[SimBox]:
    """*count* boxes with their keys and certificates from *authority* in *folder*,
    issuing only those not there yet."""
    boxes = [
        SimBox(centre_name(i), district_name(i), folder / centre_name(i)) for i in range(count)
    ]
    missing = [box.centre for box in boxes if not (box.folder / "cert.pem").exists()]
    if missing:
        print(f"issuing {len(missing)} box certificates into {folder} ...", flush=True)
        issue(authority, missing, folder)
    return boxes


def built_fleet(repo: Path, boxes: list[SimBox]) -> list[SimBox]:
    """City hall's repository at *repo* with every one of *boxes* built
    (``REPO/build/centres``, by ``kiosk-provision build``'s own code, from the example
    fleet's settings and an inventory of the boxes), as ``status`` reads it; built
    again only when the set of centres differs. The boxes, each with the revision
    built for it (so that ``status`` sees them up to date)."""
    built = {path.stem for path in built_dir(repo).glob("*.json")}
    if built != {box.centre for box in boxes}:
        _build(repo, boxes)
    revisions = {config.centre.id: config.revision for config in built_configs(repo)}
    return [dataclasses.replace(box, revision=revisions[box.centre]) for box in boxes]


def _build(repo: Path, boxes: list[SimBox]) -> None:
    print(f"building {len(boxes)} centres' configurations into {repo} ...", flush=True)
    fleet = repo / "fleet"
    shutil.rmtree(fleet, ignore_errors=True)
    shutil.copytree(EXAMPLE_FLEET, fleet)
    inventory = repo / "centres.csv"
    rows = [f"{box.centre},{box.district} {box.centre} 경로당,{box.district}," for box in boxes]
    inventory.write_text("id,이름,읍면동,음량\n" + "\n".join(rows) + "\n")
    put_example_media(repo)  # the example's library and notices name them
    build(repo, fleet, inventory)


# -- the worker process ---------------------------------------------------------------


class Command(msgspec.Struct, frozen=True, array_like=True):
    """From the parent: ``connect`` (answer ``connected`` with each box's times),
    ``mode`` (how to take the next alerts; answer ``ok``), ``report`` (answer
    ``receipts``, each alert's moments, and forget them), ``close``.

    Unprompted, the worker sends ``got <alert> <count>`` once every one of its boxes
    has an alert."""

    kind: str
    go: float = 0.0
    """``connect``: the shared monotonic moment the storm starts at."""
    in_flight: int = 0
    """``connect``: at most this many connections being opened at once."""
    verify: bool = False
    receipt: bool = False


class Worker:
    """Boxes on one loop, driven by the parent's :class:`Command` s."""

    def __init__(
        self,
        pipe: Connection,
        boxes: list[SimBox],
        host: str,
        port: int,
        ca: Path,
        keys: list[bytes],
    ) -> None:
        self.pipe = pipe
        self.boxes = boxes
        self.host, self.port, self.ca, self.keys = host, port, ca, keys
        self.links: dict[str, MqttLink] = {}
        self.contexts: list[ssl.SSLContext] = []
        self.verify = False
        self.receipt = False
        self.moments: dict[str, list[float]] = {}
        self.refused: list[str] = []
        self.stop = asyncio.Event()

    def answer(self, *message: Any) -> None:
        self.pipe.send(message)

    def on_command(self) -> None:
        command = msgspec.msgpack.decode(self.pipe.recv_bytes(), type=Command)
        if command.kind == "connect":
            asyncio.get_running_loop().create_task(self.connect_all(command.go, command.in_flight))
        elif command.kind == "mode":
            self.verify, self.receipt = command.verify, command.receipt
            self.answer("ok")
        elif command.kind == "report":
            self.answer("receipts", self.moments, self.refused)
            self.moments, self.refused = {}, []
        elif command.kind == "close":
            self.stop.set()

    def alert_handler(self, box: SimBox) -> Any:
        def on_message(topic: str, payload: bytes, now: float) -> None:
            alert_id = topic.rsplit("/", 1)[-1]
            if self.verify:
                try:
                    alert = open_alert(payload, self.keys, time.time())
                except AlertRefusedError as err:
                    self.refused.append(f"{box.centre}: {err}")
                    return
                if not alert.audience.includes(box.centre, box.district):
                    self.refused.append(f"{box.centre}: {alert.id} not for it")
                    return
                now = time.monotonic()
                if self.receipt:
                    made = Receipt(
                        alert=alert.id, seq=alert.seq, state="delivered", at=int(time.time())
                    )
                    self.links[box.centre].send_publish(
                        receipt_topic(box.centre, alert.id), msgspec.json.encode(made), retain=True
                    )
            got = self.moments.setdefault(alert_id, [])
            got.append(now)
            if len(got) == len(self.boxes):
                self.answer("got", alert_id, len(got))

        return on_message

    async def connect_one(self, box: SimBox, context: ssl.SSLContext) -> tuple[float, float, int]:
        """Connect, subscribe, say online and publish the status; retried with jitter
        as the box's link retries. Returns (connected, ready, attempts)."""
        attempts = 0
        offline = msgspec.json.encode(Presence(online=False))
        while True:
            attempts += 1
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    link = await open_link(
                        self.host,
                        self.port,
                        context,
                        box.centre,
                        self.alert_handler(box),
                        KEEPALIVE_S,
                        Will(presence_topic(box.centre), offline),
                    )
                break
            except (OSError, MqttError, TimeoutError, ssl.SSLError):
                await asyncio.sleep(random.uniform(0, min(30.0, 0.25 * 2**attempts)))
        connected = time.monotonic()
        self.links[box.centre] = link
        await link.subscribe(alert_subscriptions(box.centre, box.district))
        now = int(time.time())
        online = Presence(online=True, since=now)
        await link.publish(presence_topic(box.centre), msgspec.json.encode(online), retain=True)
        status = BoxStatus(
            centre=box.centre,
            district=box.district,
            name=f"{box.district} {box.centre}",
            version="0.0.0-bench",
            revision=box.revision,
            camera=DeviceReport(present=1, chosen="USB Camera"),
            microphone=DeviceReport(present=1, chosen="USB Camera Microphone"),
            speaker=DeviceReport(present=1, chosen="Built-in Audio"),
            disk_free=20_000_000_000,
            online_since=now,
            at=now,
        )
        await link.publish(status_topic(box.centre), msgspec.json.encode(status), retain=True)
        return connected, time.monotonic(), attempts

    async def connect_all(self, go: float, in_flight: int) -> None:
        contexts = self.contexts
        gate = asyncio.Semaphore(in_flight)

        async def one(box: SimBox, context: ssl.SSLContext) -> tuple[float, float, int]:
            async with gate:
                return await self.connect_one(box, context)

        await asyncio.sleep(max(0.0, go - time.monotonic()))
        pairs = zip(self.boxes, contexts, strict=True)
        results = await asyncio.gather(*(one(box, context) for box, context in pairs))
        self.answer("connected", results)

    async def keep_alive(self) -> None:
        """A PINGREQ from every box about every 0.6 keepalive, spread over the interval
        (the broker drops a box silent for 1.5 keepalive)."""
        while True:
            if not self.links:
                await asyncio.sleep(1.0)
            for link in list(self.links.values()):
                await asyncio.sleep(0.6 * KEEPALIVE_S / max(1, len(self.boxes)))
                with contextlib.suppress(MqttError, TimeoutError):
                    await asyncio.wait_for(link.ping(), 30)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        # Before "ready": loading a few hundred keys takes a while, and is no part of
        # the storm.
        self.contexts = [box.context(self.ca) for box in self.boxes]
        loop.add_reader(self.pipe.fileno(), self.on_command)
        pinging = loop.create_task(self.keep_alive())
        self.answer("ready", os.getpid())
        await self.stop.wait()
        pinging.cancel()
        for link in self.links.values():
            link.close()
        await asyncio.sleep(0.5)


def run_worker(
    pipe: Connection, boxes: list[SimBox], host: str, port: int, ca: Path, keys: list[bytes]
) -> None:
    """A worker process' entry point."""
    asyncio.run(Worker(pipe, boxes, host, port, ca, keys).run())
