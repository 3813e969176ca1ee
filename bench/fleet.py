"""The fleet channel under a whole city (issue 14): 2,000 boxes on one mosquitto.

One real mosquitto on this machine, started by the tests' :class:`tests.broker.Broker`
with city hall's own configuration (``kiosk_provisioning.broker.config``: TLS, client
certificates from the fleet CA as logins, the access list with a block per centre,
persistence). *--boxes* simulated boxes, each with its own key and client certificate
from the real fleet CA (:mod:`bench.fleet_boxes`; the CA in ``CACHE/identity``, the
boxes in ``CACHE/boxes``, issued once and reused), are spread over *--workers*
processes, each holding its share as minimal asyncio MQTT clients
(:mod:`bench.mqtt_lite`) on one event loop. Each box subscribes to its
``alert_subscriptions(centre, district)`` (the example city's 23 districts) and
publishes its presence and a ``BoxStatus``, retained, as the box's link does on
connect. City hall's publisher logs in with city hall's certificate (CN
``city-hall.fleet``) on the tools' listener. *--cache* is also city hall's repository
for ``status``: every box's centre built there (``REPO/build/centres``) by the
build's own code from the example fleet.

Figures:

- **connect storm**: every box starts connecting at one moment (at most
  *--in-flight* handshakes open per worker; a failed attempt is retried after a
  jittered backoff, counted in ``retries``): from then to the last box connected
  (CONNACK) and to the last box ready (subscribed, presence and status acknowledged
  by the broker), with the broker's and the workers' CPU over that time;
- **alert published -> received by all**: *--alerts* rounds, each publishing one
  signed alert (``alerts/all/<id>``, QoS 1, retained) per way of taking it, the ways
  interleaved so that a busy moment of the shared machine falls on all of them:

  - ``received``: the moment the box's client had the whole message;
  - ``verified``: the moment ``open_alert`` accepted it (signature, expiry) and the
    audience check passed, each box verifying on its own;
  - ``verified_receipt``: the same, each box then sending its "delivered" receipt
    (retained, QoS 1), which city hall's publisher is subscribed to: also from
    publish to the last receipt back at city hall;
  - ``verified_voice``: as ``verified``, the alert carrying a recorded voice of
    *--voice-kb* (random bytes, as incompressible as Opus; 32 KB is about 10 s of
    speech at 24 kbit/s): the broker then sends 2,000 times that.

  Per box and alert: p50, p99 and max over every (box, alert); per alert: the time
  until the last box had it (median and max over the alerts). Clock: CLOCK_MONOTONIC,
  one system-wide clock on Linux: the publisher reads it just before writing the
  PUBLISH, each worker when the message's last byte came out of TLS (or once it was
  verified), in its own process; no clock in the payload.
  ``open_alert_us``: one ``open_alert`` alone (median of 200, this machine), what a
  real box adds to ``received`` on its own CPU, where a worker verifies for its few
  hundred boxes in turn (so ``verified`` here is an upper bound).
- **broker**: mosquitto's CPU (user + system from ``/proc/<pid>/stat``) during the
  storm, per alert (from publish to all received), and its resident memory idle
  with every box connected and at its peak (VmRSS, VmHWM); the workers' CPU the same
  way (simulating the fleet costs CPU on the same 2 cores, which the broker lacks).
- **status**: ``kiosk-provision status`` over the whole fleet, run as a technician
  runs it (``kiosk-provision status CACHE --broker <the tools' listener>``, a
  subprocess, from start to exit, *--status-runs* times), once every status is
  retained, the boxes still connected: reading every built centre, the retained
  reports, and printing the table.

CPU comes in ticks of 10 ms: per alert it is a mean over the alerts of each way.

Needs ``ulimit -n`` above the box count plus some (raised here up to the hard limit).

Usage: .venv/bin/python bench/fleet.py [--boxes 2000] [--workers 4] [--alerts 10]
Writes bench/results/fleet.json.
"""

import argparse
import asyncio
import multiprocessing
import os
import platform
import resource
import ssl
import statistics
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from bench.fleet_boxes import (  # noqa: E402
    Command,
    SimBox,
    box_identities,
    built_fleet,
    run_worker,
)
from bench.mqtt_lite import MqttLink, open_link  # noqa: E402
from bench.proc import cpu_seconds  # noqa: E402
from kiosk_contract.fleet import Alert, Audience, Level, open_alert, sign_alert  # noqa: E402

WAYS = ("received", "verified", "verified_receipt", "verified_voice")
ALERT_LIMIT_S = 30.0
"""Longest wait for every box to have one alert."""
DEFAULT_CACHE = Path.home() / ".cache" / "kiosk-bench" / "fleet"


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of *pid* now and at its peak, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values["VmRSS"], "peak_rss_mb": values["VmHWM"]}


def broker_pid(conf: Path) -> int:
    """The pid of the mosquitto started with *conf*."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                words = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue  # gone meanwhile
            if words[0].endswith(b"mosquitto") and str(conf).encode() in words:
                return int(proc.name)
    raise RuntimeError(f"no mosquitto running with {conf}")


# -- the workers --------------------------------------------------------------------


class WorkerHandle:
    """One worker process as the parent's loop sees it: commands out, answers queued."""

    def __init__(self, pipe: Connection, process: multiprocessing.process.BaseProcess) -> None:
        self.pipe = pipe
        self.process = process
        self.answers: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.got: asyncio.Queue[str] = asyncio.Queue()
        self.pid = 0

    def listen(self) -> None:
        asyncio.get_running_loop().add_reader(self.pipe.fileno(), self._read)

    def _read(self) -> None:
        while self.pipe.poll():
            try:
                message = self.pipe.recv()
            except EOFError:
                asyncio.get_running_loop().remove_reader(self.pipe.fileno())
                return
            if message[0] == "got":
                self.got.put_nowait(message[1])
            else:
                self.answers.put_nowait(message)

    def send(self, command: Command) -> None:
        self.pipe.send_bytes(msgspec.msgpack.encode(command))

    async def answer(self, kind: str, limit_s: float = 600.0) -> tuple[Any, ...]:
        async with asyncio.timeout(limit_s):
            message = await self.answers.get()
        if message[0] != kind:
            raise RuntimeError(f"worker answered {message[0]!r}, expected {kind!r}")
        return message


def spread(values: list[float]) -> dict[str, float]:
    """p50, p99 and max of *values* (seconds), in ms."""
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    return {
        "p50_ms": round(1000 * at(0.5), 1),
        "p99_ms": round(1000 * at(0.99), 1),
        "max_ms": round(1000 * ordered[-1], 1),
        "n": len(ordered),
    }


class Sampler:
    """CPU seconds of the broker and of the workers between two moments."""

    def __init__(self, broker: int, workers: list[int]) -> None:
        self.broker, self.workers = broker, workers

    def read(self) -> tuple[float, float, float]:
        return (
            time.monotonic(),
            cpu_seconds(self.broker),
            sum(cpu_seconds(pid) for pid in self.workers),
        )

    @staticmethod
    def between(
        start: tuple[float, float, float], end: tuple[float, float, float]
    ) -> dict[str, float]:
        wall = end[0] - start[0]
        return {
            "wall_s": round(wall, 3),
            "broker_cpu_s": round(end[1] - start[1], 2),
            "broker_cpu_pct": round(100 * (end[1] - start[1]) / wall, 1),
            "clients_cpu_s": round(end[2] - start[2], 2),
            "clients_cpu_pct": round(100 * (end[2] - start[2]) / wall, 1),
        }


class CityHall:
    """City hall's publisher, counting the receipts that come back."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.seq = 0
        self.receipts: dict[str, list[float]] = {}
        self.link: MqttLink | None = None
        self.envelopes: dict[str, bytes] = {}

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def on_message(self, topic: str, payload: bytes, now: float) -> None:
        self.receipts.setdefault(topic.rsplit("/", 1)[-1], []).append(now)

    async def publish(self, alert_id: str, voice: bytes | None = None) -> float:
        """Publish one alert for everyone (with *voice*, a recording's bytes); the
        monotonic moment it was handed to TLS."""
        assert self.link is not None
        self.seq += 1
        now = int(time.time())
        alert = Alert(
            id=alert_id,
            seq=self.seq,
            level=Level.EMERGENCY,
            text="태풍 경보: 오늘 오후 경로당 운영을 중단합니다. 집에 계십시오.",
            text_en="Typhoon warning: centres close this afternoon. Stay at home.",
            audience=Audience(kind="all"),
            issued_at=now,
            expires_at=now + 3600,
            voice=voice,
        )
        envelope = sign_alert(alert, self.key.sign)
        self.envelopes[alert_id] = envelope
        sent = time.monotonic()
        await self.link.publish(alert.topics()[0], envelope, qos=1, retain=True)
        return sent


@dataclass(frozen=True)
class Target:
    """The broker under test, as the boxes and city hall reach it."""

    host: str
    port: int
    """The fleet's listener (boxes)."""
    tools_port: int
    """City hall's tools' listener (on 127.0.0.1, client ids of their own)."""
    ca: Path
    city_hall: ssl.SSLContext
    """City hall's login (its certificate, CN ``city-hall.fleet``)."""
    pid: int
    repo: Path
    """City hall's repository (the fleet CA, city hall's login, the built centres)."""

    @property
    def tools_url(self) -> str:
        return f"mqtts://{self.host}:{self.tools_port}"


async def bench(args: argparse.Namespace, boxes: list[SimBox], broker: Target) -> dict[str, Any]:
    city = CityHall()
    context = multiprocessing.get_context("spawn")
    workers: list[WorkerHandle] = []
    share = -(-len(boxes) // args.workers)
    for first in range(0, len(boxes), share):
        ours, theirs = context.Pipe()
        process = context.Process(
            target=run_worker,
            args=(
                theirs,
                boxes[first : first + share],
                broker.host,
                broker.port,
                broker.ca,
                [city.public_key],
            ),
            daemon=True,
        )
        process.start()
        theirs.close()
        workers.append(WorkerHandle(ours, process))
    try:
        for worker in workers:
            worker.listen()
        for worker in workers:
            worker.pid = (await worker.answer("ready", 60))[1]
        sampler = Sampler(broker.pid, [w.pid for w in workers])
        figures: dict[str, Any] = {}

        # The storm.
        before = sampler.read()
        go = time.monotonic() + 0.2
        for worker in workers:
            worker.send(Command("connect", go=go, in_flight=args.in_flight))
        results = [r for w in workers for r in (await w.answer("connected"))[1]]
        after = sampler.read()
        connected = [c - go for c, _, _ in results]
        ready = [r - go for _, r, _ in results]
        storm = Sampler.between(before, after)
        storm.update(
            all_connected_s=round(max(connected), 2),
            all_ready_s=round(max(ready), 2),
            ready_p50_s=round(statistics.median(ready), 2),
            retries=sum(a - 1 for _, _, a in results),
            boxes=len(results),
        )
        figures["connect_storm"] = storm
        print(f"connect storm: {storm}", flush=True)
        await asyncio.sleep(2.0)
        figures["broker_idle_all_connected"] = memory_mb(broker.pid)

        # City hall, then the alerts.
        city.link = await open_link(
            broker.host, broker.tools_port, broker.city_hall, "city-hall-bench", city.on_message
        )
        await city.link.subscribe(["fleet/+/receipts/+"])
        sent: dict[str, tuple[str, float]] = {}
        ways = WAYS if args.voice_kb else WAYS[:-1]
        per_alert: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
        started = sampler.read()
        for round_ in range(args.alerts):
            for way in ways:
                for worker in workers:
                    worker.send(
                        Command("mode", verify=way != "received", receipt=way == "verified_receipt")
                    )
                for worker in workers:
                    await worker.answer("ok", 30)
                alert_id = f"bench-{round_}-{way.replace('_', '-')}"
                start = sampler.read()
                voice = os.urandom(args.voice_kb * 1024) if way == "verified_voice" else None
                sent[alert_id] = (way, await city.publish(alert_id, voice))
                for worker in workers:
                    try:
                        async with asyncio.timeout(ALERT_LIMIT_S):
                            while await worker.got.get() != alert_id:
                                pass
                    except TimeoutError:
                        break  # counted below: not every box has it
                if way == "verified_receipt":
                    deadline = time.monotonic() + ALERT_LIMIT_S
                    while len(city.receipts.get(alert_id, [])) < len(boxes):
                        if time.monotonic() > deadline:
                            break
                        await asyncio.sleep(0.01)
                per_alert[way].append(Sampler.between(start, sampler.read()))
                await asyncio.sleep(args.gap_s)
        figures["alerts_phase"] = Sampler.between(started, sampler.read())

        moments: dict[str, list[float]] = {}
        refused: list[str] = []
        for worker in workers:
            worker.send(Command("report"))
            _, theirs, their_refusals = await worker.answer("receipts")
            refused.extend(their_refusals)
            for alert_id, times in theirs.items():
                moments.setdefault(alert_id, []).extend(times)
        for way in ways:
            delays = [
                t - at
                for alert_id, (w, at) in sent.items()
                if w == way
                for t in moments.get(alert_id, [])
            ]
            all_in = [
                max(moments[a]) - at
                for a, (w, at) in sent.items()
                if w == way and len(moments.get(a, [])) == len(boxes)
            ]
            entry: dict[str, Any] = {
                "per_box": spread(delays),
                "all_received_ms": {
                    "median": round(1000 * statistics.median(all_in), 1) if all_in else None,
                    "max": round(1000 * max(all_in), 1) if all_in else None,
                },
                "alerts": sum(1 for w, _ in sent.values() if w == way),
                "alerts_not_received_by_all": sum(
                    1
                    for a, (w, _) in sent.items()
                    if w == way and len(moments.get(a, [])) < len(boxes)
                ),
                "broker_cpu_s_per_alert": round(
                    statistics.fmean(p["broker_cpu_s"] for p in per_alert[way]), 3
                ),
                "clients_cpu_s_per_alert": round(
                    statistics.fmean(p["clients_cpu_s"] for p in per_alert[way]), 3
                ),
            }
            if way == "verified_receipt":
                back = [
                    max(city.receipts[a]) - at
                    for a, (w, at) in sent.items()
                    if w == way and len(city.receipts.get(a, [])) >= len(boxes)
                ]
                entry["all_receipts_at_city_hall_ms"] = {
                    "median": round(1000 * statistics.median(back), 1) if back else None,
                    "max": round(1000 * max(back), 1) if back else None,
                    "alerts_with_every_receipt": len(back),
                }
            figures[way] = entry
        figures["open_alert_us"] = {
            way: one_verification(
                city.envelopes[f"bench-0-{way.replace('_', '-')}"], city.public_key
            )
            for way in ("verified", "verified_voice")
            if way in ways
        }
        figures["refused"] = refused[:10]
        figures["refused_count"] = len(refused)
        figures["broker_end"] = memory_mb(broker.pid)
        figures["status"] = await fleet_status(broker, len(boxes), args.status_runs)
        city.link.close()
        return figures
    finally:
        for worker in workers:
            with suppress(OSError):
                worker.send(Command("close"))
        for worker in workers:
            worker.process.join(10)
            if worker.process.is_alive():
                worker.process.kill()


def one_verification(envelope: bytes, key: bytes, times: int = 200) -> float:
    """Median time of one ``open_alert`` of *envelope* here, in µs: what one box pays
    (on this machine's CPU) where the simulation pays it for a whole worker in turn."""
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        open_alert(envelope, [key], time.time())
        spent.append(time.perf_counter() - start)
    return round(1e6 * statistics.median(spent), 1)


async def fleet_status(broker: Target, boxes: int, runs: int) -> dict[str, Any]:
    """Wall time of the status command over the whole fleet, *runs* times (the
    boxes still connected, every status retained)."""
    tool = Path(sys.executable).parent / "kiosk-provision"
    command = [str(tool), "status", str(broker.repo), "--broker", broker.tools_url]
    times: list[float] = []
    last = ""
    for _ in range(runs):
        start = time.monotonic()
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        times.append(time.monotonic() - start)
        last = out.decode().strip().rsplit("\n", 1)[-1]
        if process.returncode != 0:
            raise RuntimeError(f"status failed ({process.returncode}): {last}")
    print(f"status: {last}", flush=True)
    return {
        "command": "kiosk-provision status REPO --broker mqtts://127.0.0.1:TOOLS_PORT",
        "wall_s": [round(t, 2) for t in times],
        "median_s": round(statistics.median(times), 2),
        "said": last,
        "boxes": boxes,
    }


def table(results: dict[str, Any]) -> str:
    """The figures that matter, one line each."""
    storm, end = results["connect_storm"], results["broker_end"]
    lines = [
        f"{results['boxes']} boxes in {results['workers']} processes, "
        f"{results['alert_rounds']} alerts per way",
        f"connect storm: all connected {storm['all_connected_s']} s, all ready "
        f"{storm['all_ready_s']} s (median {storm['ready_p50_s']} s), {storm['retries']} retries; "
        f"broker CPU {storm['broker_cpu_s']} s, clients {storm['clients_cpu_s']} s",
        f"{'alert -> box (ms)':<20}{'p50':>8}{'p99':>8}{'max':>8}{'all, median':>13}"
        f"{'all, max':>10}{'broker CPU/alert':>18}{'clients CPU/alert':>19}",
    ]
    for way in (way for way in WAYS if way in results):
        entry = results[way]
        box, every = entry["per_box"], entry["all_received_ms"]
        lines.append(
            f"{way:<20}{box['p50_ms']:>8}{box['p99_ms']:>8}{box['max_ms']:>8}"
            f"{every['median']!s:>13}{every['max']!s:>10}"
            f"{entry['broker_cpu_s_per_alert']:>16} s{entry['clients_cpu_s_per_alert']:>17} s"
        )
    back = results["verified_receipt"]["all_receipts_at_city_hall_ms"]
    lines.append(
        f"every receipt back at city hall: median {back['median']} ms, max {back['max']} ms"
    )
    one = ", ".join(f"{way} {us} µs" for way, us in results["open_alert_us"].items())
    lines.append(f"one open_alert alone: {one}")
    idle = results["broker_idle_all_connected"]
    lines.append(
        f"broker memory: {idle['rss_mb']} MB with every box connected, peak {end['peak_rss_mb']} MB"
    )
    status = results["status"]
    lines.append(f"status over the fleet: median {status['median_s']} s ({status['said']})")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boxes", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4, help="processes holding the boxes")
    parser.add_argument("--alerts", type=int, default=10, help="rounds; one alert per way each")
    parser.add_argument(
        "--in-flight", type=int, default=100, help="connections opening at once, per worker"
    )
    parser.add_argument("--gap-s", type=float, default=1.0, help="pause after each alert")
    parser.add_argument(
        "--voice-kb", type=int, default=32, help="the voice alerts' recording (0: none)"
    )
    parser.add_argument("--status-runs", type=int, default=3, help="times the status command runs")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="the fleet CA and box identities"
    )
    parser.add_argument(
        "--name", default="fleet", help="results file name (bench/results/NAME.json)"
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, args.boxes + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < args.boxes + 256:
        print(f"fleet: ulimit -n is {wanted}; {args.boxes} boxes need more", file=sys.stderr)
        return 2
    # Imported here: the workers (spawned, so importing this module) need none of it.
    from kiosk_provisioning.broker.config import city_hall_login
    from tests.broker import Broker
    from tests.calls.identities import CityHallIdentity

    started = time.monotonic()
    identity = CityHallIdentity(args.cache, {})  # the fleet CA in CACHE/identity
    boxes = box_identities(identity.authority, args.cache / "boxes", args.boxes)
    boxes = built_fleet(args.cache, boxes)  # CACHE is city hall's repository for status
    print(f"{len(boxes)} identities ready in {time.monotonic() - started:.1f} s", flush=True)
    city_hall = ssl.create_default_context(cafile=identity.authority.ca_path)
    city_hall.load_cert_chain(*city_hall_login(identity.authority))
    districts = {box.centre: box.district for box in boxes}
    with tempfile.TemporaryDirectory() as name, Broker(Path(name), identity, districts) as broker:
        pid = broker_pid(broker.conf)
        target = Target(
            broker.host, broker.port, broker.tools_port, broker.ca, city_hall, pid, args.cache
        )
        figures = asyncio.run(bench(args, boxes, target))
    results = {
        "boxes": args.boxes,
        "workers": args.workers,
        "alert_rounds": args.alerts,
        **figures,
        "machine": f"{platform.node()} {os.cpu_count()} cores, python {platform.python_version()}",
    }
    path = save(args.name, results, show=False)
    print(table(results))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
