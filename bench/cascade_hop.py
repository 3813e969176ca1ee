"""What one origin -> edge hop of the meeting relay costs (issue 17): the host publishes
on the origin; the relay (:mod:`kiosk_provisioning.cascade`) makes it a remote publisher
on the edge; one watcher subscribes on each. The same video payloads (Janus forwards
them unchanged) are timed at both watchers: how much later the edge's gets them (p50,
p95, max) is what the hop adds. Meanwhile: each Janus' CPU and the relay's (this
process, which does nothing else while it measures).

Origin and edge are Janus 1.1.2 with city hall's configuration (token auth, a private
room with a secret and signed join tokens, ``lock_rtp_forward``) in two network
namespaces, routed to each other through this one (forwarding on those two links
only, as in tests/calls/test_cascade.py). Publisher and watchers are the Go receivers
of ``bench/meeting_shapes.py`` (Pion, no decoding; built here from Debian's
``golang-go`` and ``golang-github-pion-webrtc.v3-dev``), the host's picture 640x480,
15 fps VP8 ~600 kbit/s and Opus.

Usage (root): .venv/bin/python bench/cascade_hop.py [--trace-s 30] [--rounds 3]
    [--networks 22,23]
Writes bench/results/cascade_hop.json.
"""

import argparse
import asyncio
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from bench.meeting_shapes import (  # noqa: E402
    ROOM,
    Meeting,
    Receivers,
    all_receiving,
    build_receivers,
    make_media,
)
from bench.proc import cpu_seconds  # noqa: E402
from kiosk.calls.janus import JanusError, JanusSession  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from kiosk_demo.server import JanusServer  # noqa: E402
from kiosk_provisioning.cascade import Cascade, MeetingRelay, RelayServer  # noqa: E402
from kiosk_provisioning.janus_config import JanusSetup, Room  # noqa: E402

NO_SUCH_FEED = 428
EDGE_IDS = 1000
"""The edge's watchers' ids in the receivers (the origin's count from 1)."""


def routed(origin: PrivateNetwork, edge: PrivateNetwork) -> None:
    """Each namespace reaches the other's /30 through ours (forwarding on these two
    links only; neither namespace has any other route)."""
    for net, other in ((origin, edge), (edge, origin)):
        subprocess.run(
            net.command(["ip", "route", "add", other.subnet, "via", net.kiosk_address]), check=True
        )
        subprocess.run(
            ["sysctl", "-q", "-w", f"net.ipv4.conf.{net.outer}.forwarding=1"], check=True
        )


async def remote_feed(session: JanusSession, display: str, deadline_s: float = 20) -> int:
    """The id of the remote publisher *display* in the edge's room (the relay's copy)."""
    handle = await session.attach("janus.plugin.videoroom")
    deadline = time.monotonic() + deadline_s
    while True:
        listed = await handle.send({"request": "listparticipants", "room": ROOM})
        for entry in listed.data.get("participants", []):
            if entry.get("remote") and entry.get("display") == display:
                return int(entry["id"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"no remote publisher {display!r} on the edge: {listed.data}")
        await asyncio.sleep(0.1)  # polled: the relay says nothing to the edge's clients


async def watching(meeting: Meeting, deadline_s: float = 20) -> int:
    """A watcher of the host on *meeting*'s server, once Janus has the host's feed up
    (until its media flows, Janus answers "no such feed")."""
    session = await meeting.session()
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            watcher, _ = await meeting.watcher(session)
            return watcher
        except JanusError as err:
            if err.code != NO_SUCH_FEED or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)  # polled: nothing tells a client the feed is up


def relay_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(args: argparse.Namespace) -> dict[str, Any]:
    token_secret, room_secret = secrets.token_hex(32), secrets.token_hex(16)
    room = Room(ROOM, "town meeting", publishers=6, bitrate=700_000, secret=room_secret)
    first, second = args.networks
    with (
        tempfile.TemporaryDirectory() as name,
        PrivateNetwork(first) as origin_net,
        PrivateNetwork(second) as edge_net,
    ):
        folder = Path(name)
        routed(origin_net, edge_net)
        binary = build_receivers(folder / "go")
        media = make_media(folder)
        setups = {
            net: JanusSetup(
                rooms=(room,), interfaces=(net.inner,), token_secret=token_secret, debug_level=3
            )
            for net in (origin_net, edge_net)
        }
        origin = JanusServer(origin_net, folder / "origin", setups[origin_net])
        edge = JanusServer(edge_net, folder / "edge", setups[edge_net])
        receivers = Receivers(binary, "")  # ICE on both links
        await receivers.start()
        origin.start()
        edge.start()
        cascade = Cascade(
            (
                RelayServer("origin", origin.url, setups[origin_net].admin_secret),
                RelayServer("edge", edge.url, setups[edge_net].admin_secret),
            ),
            {ROOM: room_secret},
            token_secret,
        )
        relay = MeetingRelay(cascade)
        at_origin = Meeting("videoroom", origin, receivers, setups[origin_net], room)
        at_edge = Meeting("videoroom", edge, receivers, setups[edge_net], room)
        at_edge._next_id = EDGE_IDS  # one receivers process serves both
        rounds: list[dict[str, Any]] = []
        try:
            await at_origin.publish_host(*media)
            near_id = await watching(at_origin)
            await all_receiving(receivers, 1, of=(near_id,))
            # The origin without the hop first: the host and its one watcher.
            assert origin.pid is not None
            spent, began = cpu_seconds(origin.pid), time.monotonic()
            await asyncio.sleep(args.trace_s)
            alone = (cpu_seconds(origin.pid) - spent) / (time.monotonic() - began) * 100
            started = time.monotonic()
            relay.start()
            at_edge.host_feed = await remote_feed(await at_edge.session(), "host")
            relayed_s = time.monotonic() - started
            far_id = await watching(at_edge)
            await all_receiving(receivers, 2, of=(near_id, far_id))
            for _ in range(args.rounds):
                await receivers.reset()
                for traced in (near_id, far_id):
                    await receivers.ask({"id": traced, "cmd": "trace"}, traced)
                pids = {"origin": origin.pid, "edge": edge.pid}
                before = {k: cpu_seconds(p) for k, p in pids.items() if p is not None}
                mine, began = relay_cpu_s(), time.monotonic()
                await asyncio.sleep(args.trace_s)
                elapsed = time.monotonic() - began
                cpu = {
                    f"janus_{k}_cpu_pct": round((cpu_seconds(p) - before[k]) / elapsed * 100, 1)
                    for k, p in pids.items()
                    if p is not None
                }
                found = await receivers.ask({"cmd": "delays", "a": near_id, "b": far_id}, "delays")
                delays = {
                    k: round(v, 2) if isinstance(v, float) else v
                    for k, v in found["delays"].items()
                }
                seen = await receivers.report()
                step = {
                    "edge_later_ms": delays,
                    **cpu,
                    "relay_process_cpu_pct": round((relay_cpu_s() - mine) / elapsed * 100, 2),
                    "lost_packets": seen["lost"],
                    "freezes_over_1s": seen["freezes"],
                }
                print(step, flush=True)
                rounds.append(step)
        finally:
            await relay.close()
            await at_edge.close()
            await at_origin.close()
            await receivers.close()
            edge.stop()
            origin.stop()

    def median(key: str) -> float:
        return round(float(statistics.median(r["edge_later_ms"][key] for r in rounds)), 2)

    return {
        "what": "one origin -> edge hop of the meeting relay (Janus 1.1.2 remote publishers, "
        "plain RTP between two namespaces through this host): how much later a watcher on the "
        "edge gets the host's video payloads than one on the origin; 640x480 15 fps VP8 "
        "~600 kbit/s + Opus",
        "machine": f"{os.cpu_count()} cores",
        "trace_s": args.trace_s,
        "host_relayed_s": round(relayed_s, 2),
        "janus_origin_cpu_pct_without_hop": round(alone, 1),
        "edge_later_ms_p50_median": median("ms_p50"),
        "edge_later_ms_p95_median": median("ms_p95"),
        "rounds": rounds,
    }


def main() -> int:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trace-s", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--networks",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[22, 23],
        help="the two PrivateNetwork indexes (origin, edge)",
    )
    args = parser.parse_args()
    save("cascade_hop", asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
