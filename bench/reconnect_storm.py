"""Reconnection storm: Janus restarted under 500 call lines, old backoff against new.

Janus runs in its own network namespace behind city hall's call gate (as in the
tests: :class:`tests.calls.identities.CallServer`). In this one process, *--lines*
call lines register through the gate, each as a box of its own centre (its own
key and certificate from the run's fleet CA, enrolled before the run): the
kiosk's real line code (CallLine, the real JanusSession over a real TLS WebSocket
showing the certificate, made anew at each connection as ``identified`` does, the
VideoCall registration, the backoff), without any media. Once all are registered
and have stayed up for *--steady-s* (longer than the backoff's 30 s, so that its
count has started over), Janus is killed (SIGKILL), kept down for *--down-s*, and
started again. From the kill on:

- every line registered again, and how long after Janus was back (must be < 60 s);
- connection attempts and requests (create, attach, register) per second, counted
  at the client side: what Janus (or, while it is down, its host) sees; peak
  (busiest second) and mean (over the outage and the recovery);
- Janus' CPU from /proc/<pid>/stat (user + system, % of one core), per second,
  and the gate's (which stays up: it refuses while Janus is down, and checks
  every certificate again when the lines come back);
- this process's CPU, to show the client side was not what limited the recovery.

Run twice: with the line's backoff before issue 18 (0.25 s doubling to 2 s, each
±20 %, the count starting over at every connect) and with the new one (full jitter,
0.25 s doubling to a 30 s cap, starting over only after 30 s up).

The outage is 30 s by default: long enough for both backoffs to reach their steady
rate (its last 10 s), short enough for a restart that went wrong once.

Usage (root): .venv/bin/python bench/reconnect_storm.py [--lines 500] [--down-s 30] [--network 1]
Writes bench/results/reconnect_storm.json.
"""

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from bench.proc import cpu_seconds  # noqa: E402
from kiosk.backoff import Backoff  # noqa: E402
from kiosk.calls.janus import JanusError, JanusSession, Json  # noqa: E402
from kiosk.calls.line import CallLine, LineSettings, OpenSession, identified  # noqa: E402
from kiosk.calls.videocall import CallEvent  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from tests.calls.identities import BoxFiles, CallServer  # noqa: E402

SPREAD_S = 10.0
"""The lines' first start is spread over this long (boxes do not boot in step)."""
AFTER_S = 5.0
"""How long the counting goes on after the last line is back."""
LIMIT_S = 60.0
"""Every line must be registered again this long after Janus is back."""
RECONNECTING = ("create", "attach", "register")


class OldBackoff(Backoff):
    """The call line's backoff before issue 18: 0.25 s doubling up to 2 s, each delay
    ±20 %, the count starting over at every connect."""

    def __init__(self) -> None:
        super().__init__(first=0.25, cap=2.0)
        self._delay = 0.25
        self._jitter = random.Random()

    def connected(self) -> None:
        self._delay = 0.25

    def next(self) -> float:
        delay, self._delay = self._delay, min(2.0, self._delay * 2)
        return delay * self._jitter.uniform(0.8, 1.2)


class Counts:
    """Moments (monotonic) of every connection attempt and request, by kind."""

    def __init__(self) -> None:
        self.moments: dict[str, list[float]] = {}

    def add(self, kind: str) -> None:
        self.moments.setdefault(kind, []).append(time.monotonic())

    def per_second(self, kinds: tuple[str, ...], start: float, end: float) -> list[int]:
        bins = [0] * max(1, int(end - start) + 1)
        for kind in kinds:
            for moment in self.moments.get(kind, []):
                if start <= moment < end:
                    bins[int(moment - start)] += 1
        return bins


COUNTS = Counts()


class CountedSession(JanusSession):
    """The real session, counting each request it sends by kind."""

    async def request(self, message: Json, until_ack: bool = False) -> Json:
        kind = str(message.get("janus"))
        if kind == "message":
            kind = str((message.get("body") or {}).get("request"))
        COUNTS.add(kind)
        try:
            return await super().request(message, until_ack)
        except JanusError as err:
            COUNTS.add(f"{kind} failed: {err}")
            raise


def counted_box(box: BoxFiles) -> OpenSession:
    """Sessions opened as *box* opens them (its certificate shown), counted."""
    open_identified = identified(box.context, CountedSession.open)

    async def open_counted(url: str, api_secret: str | None = None) -> JanusSession:
        COUNTS.add("connect")
        try:
            return await open_identified(url, api_secret)
        except JanusError as err:
            COUNTS.add(f"connect failed: {str(err).split(':')[-1].strip()}")
            raise

    return open_counted


def line_name(index: int) -> str:
    """The centre (and call name) of line *index*."""
    return f"storm-{index:03d}"


class Fleet:
    """Which lines are registered, and when each came up."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.up: set[int] = set()
        self.came_up: list[list[float]] = [[] for _ in range(size)]
        self.changed = asyncio.Event()

    def listener(self, index: int) -> "LineWatch":
        return LineWatch(self, index)

    def all_up_since(self, moment: float) -> bool:
        return all(ups and ups[-1] >= moment for ups in self.came_up) and len(self.up) == self.size

    async def wait_all_up(self, since: float, limit: float) -> bool:
        deadline = time.monotonic() + limit
        while not self.all_up_since(since):
            self.changed.clear()
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await self.changed.wait()
            except TimeoutError:
                return False
        return True


class LineWatch:
    def __init__(self, fleet: Fleet, index: int) -> None:
        self.fleet = fleet
        self.index = index

    def line_up(self) -> None:
        self.fleet.up.add(self.index)
        self.fleet.came_up[self.index].append(time.monotonic())
        self.fleet.changed.set()

    def line_down(self) -> None:
        self.fleet.up.discard(self.index)
        self.fleet.changed.set()

    def line_event(self, event: CallEvent) -> None:
        pass


class CpuSampler:
    """Janus', the gate's and this process's CPU, second by second (% of one core)."""

    def __init__(self, server: CallServer) -> None:
        self.janus = server.janus
        self.gate = server.gate
        self.janus_pct: list[float] = []
        self.gate_pct: list[float] = []
        self.own_pct: list[float] = []

    async def run(self) -> None:
        pid = self.janus.pid
        last_janus = cpu_seconds(pid) if pid else 0.0
        last_own = cpu_seconds(os.getpid())
        gate = self.gate.pid
        assert gate is not None
        last_gate = cpu_seconds(gate)
        while True:
            await asyncio.sleep(1.0)
            own = cpu_seconds(os.getpid())
            self.own_pct.append(round(100 * (own - last_own), 1))
            last_own = own
            used_by_gate = cpu_seconds(gate)
            self.gate_pct.append(round(100 * (used_by_gate - last_gate), 1))
            last_gate = used_by_gate
            now_pid = self.janus.pid
            try:
                used = cpu_seconds(now_pid) if now_pid else 0.0
            except FileNotFoundError:  # killed between the two reads
                used, now_pid = 0.0, None
            if now_pid != pid:  # killed or started again: count from zero
                pid, last_janus = now_pid, 0.0
            self.janus_pct.append(round(100 * max(0.0, used - last_janus), 1))
            last_janus = used


def peak_mean(values: list[int] | list[float]) -> dict[str, float]:
    return {"peak": max(values), "mean": round(statistics.fmean(values), 1)}


async def storm(
    server: CallServer,
    boxes: list[BoxFiles],
    down_s: float,
    steady_s: float,
    backoff: Callable[[], Backoff],
) -> dict[str, Any]:
    janus, lines = server.janus, len(boxes)
    fleet = Fleet(lines)
    settings = [LineSettings(server.url, "", line_name(i)) for i in range(lines)]
    line_set = [
        CallLine(s, fleet.listener(i), counted_box(boxes[i]), backoff=backoff)
        for i, s in enumerate(settings)
    ]
    for line in line_set:
        line.start()
        await asyncio.sleep(SPREAD_S / lines)
    if not await fleet.wait_all_up(0.0, 120):
        raise RuntimeError(f"only {len(fleet.up)} of {lines} lines registered at the start")
    await asyncio.sleep(steady_s)
    loop = asyncio.get_running_loop()
    sampler = CpuSampler(server)
    sampling = asyncio.create_task(sampler.run())
    killed = time.monotonic()
    await loop.run_in_executor(None, janus.kill)
    await asyncio.sleep(down_s)
    # From the moment Janus is started: lines may register before start() has seen
    # its port open and returned.
    back = time.monotonic()
    await loop.run_in_executor(None, janus.start)
    all_back = await fleet.wait_all_up(killed, LIMIT_S)
    recovered = time.monotonic()
    await asyncio.sleep(AFTER_S)
    sampling.cancel()
    end = recovered + AFTER_S
    after_back = [ups[-1] - back for ups in fleet.came_up if ups and ups[-1] >= killed]
    connects = COUNTS.per_second(("connect",), killed, end)
    requests = COUNTS.per_second(RECONNECTING, killed, end)
    outage = int(back - killed)
    figures: dict[str, Any] = {
        "lines": lines,
        "janus_down_s": round(back - killed, 1),
        "registered_again": len(after_back),
        "all_within_60_s": all_back and len(after_back) == lines and max(after_back) <= LIMIT_S,
        "back_after_janus_s": {
            "median": round(statistics.median(after_back), 2),
            "p95": round(sorted(after_back)[int(0.95 * (len(after_back) - 1))], 2),
            "max": round(max(after_back), 2),
        },
        "connects_per_s_while_down": peak_mean(connects[:outage] or [0]),
        "connects_per_s_last_10_s_down": peak_mean(connects[max(0, outage - 10) : outage] or [0]),
        "connects_per_s": peak_mean(connects),
        "requests_per_s": peak_mean(requests),
        "requests_per_s_after_janus_back": peak_mean(requests[outage:] or [0]),
        "janus_cpu_pct_after_back": peak_mean(sampler.janus_pct[outage:] or [0.0]),
        "gate_cpu_pct_while_down": peak_mean(sampler.gate_pct[:outage] or [0.0]),
        "gate_cpu_pct_after_back": peak_mean(sampler.gate_pct[outage:] or [0.0]),
        "client_cpu_pct": peak_mean(sampler.own_pct or [0.0]),
        "failures_after_janus_back": {
            kind: sum(1 for moment in moments if back <= moment < end)
            for kind, moments in sorted(COUNTS.moments.items())
            if "failed" in kind and any(back <= moment < end for moment in moments)
        },
        "requests_total": sum(requests),
        "connects_total": sum(connects),
        "series_per_s": {
            "connects": connects,
            "requests": requests,
            "janus_cpu_pct": sampler.janus_pct,
            "gate_cpu_pct": sampler.gate_pct,
        },
    }
    await asyncio.gather(*(line.close() for line in line_set))
    COUNTS.moments.clear()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--down-s", type=float, default=30.0)
    parser.add_argument("--steady-s", type=float, default=35.0)
    parser.add_argument("--only", choices=("old", "new"), help="run one backoff only")
    parser.add_argument("--network", type=int, default=1, help="PrivateNetwork index")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("reconnect_storm: needs root (Janus in a network namespace)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.ERROR)
    results: dict[str, Any] = {}
    with PrivateNetwork(args.network) as network, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        centres = {line_name(i): () for i in range(args.lines)}
        # Janus at city hall's log level; every line's box enrolled before the run.
        server = CallServer(network, folder, centres, {}, line_name(0))
        boxes = [server.box]
        for i in range(1, args.lines):
            boxes.append(server.identity.enrol(line_name(i), folder / "boxes" / line_name(i)))
        with server:
            variants: tuple[tuple[str, Callable[[], Backoff]], ...] = (
                ("old", OldBackoff),
                ("new", Backoff),
            )
            for name, backoff in variants:
                if args.only not in (None, name):
                    continue
                print(f"{name} backoff: {args.lines} lines, Janus down {args.down_s:.0f} s ...")
                results[name] = asyncio.run(
                    storm(server, boxes, args.down_s, args.steady_s, backoff)
                )
                summary = {k: v for k, v in results[name].items() if k != "series_per_s"}
                print(summary)
    save("reconnect_storm", results, show=False)
    print(f"written to {ROOT / 'bench' / 'results' / 'reconnect_storm.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
