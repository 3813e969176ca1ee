"""Town meeting shapes at scale (issue 17): what Janus spends per watching centre when
every centre subscribes to city hall's host in the VideoRoom (today's shape), against
the host's feed forwarded (VideoRoom ``rtp_forward``) into one Streaming mountpoint
that every centre watches (the shape the issue proposes), with 0 → *--steps* watchers.

Janus 1.1.2 (Debian) runs in its own network namespace with city hall's configuration
(:mod:`kiosk_provisioning.janus_config`: token auth, a private room with signed join
tokens) plus the Streaming plugin with one ``rtp`` mountpoint (*--threads* helper
threads). The host is a WebRTC publisher sending a 640×480, 15 frames a second VP8
picture (~600 kbit/s, a key frame every 2 s) and an Opus tone, made once by ffmpeg and
sent as they are; the watchers are WebRTC receivers that never decode. Both are one
small Go program on Pion (``bench/receivers``, built here from Debian's
``golang-go`` and ``golang-github-pion-webrtc.v3-dev``): a Python (aiortc) end decodes
every picture and handles each packet in Python, which this 2-core machine cannot do
for hundreds of watchers beside Janus. Signalling is Janus' WebSocket API, from here.

For each shape, a fresh Janus; watchers are added in steps; at each step, once every
watcher receives video, for *--window-s*:

- Janus' CPU (user + system from /proc, % of one core), its threads and resident memory;
  the step's cost per watcher (CPU above the publisher-only step, divided by watchers);
- what the watchers got: packets, packets missing from each stream's sequence (loss),
  the longest silence of any watcher's video (a frozen picture) and how many silences
  were longer than a second;
- the receivers' own CPU (to show they were not what limited the step);
- joins: how long the step's watchers took to join (offer, answer, start, first video).

Usage (root): .venv/bin/python bench/meeting_shapes.py [--steps 50,100,200,300]
    [--window-s 30] [--threads 2] [--network 2]
    [--event-loops N] [--save-as NAME]
Writes bench/results/meeting_shapes.json (or NAME.json).
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from bench.proc import cpu_seconds, threads_and_rss  # noqa: E402
from kiosk.calls.janus import Handle, JanusSession, Json  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from kiosk_demo.server import JanusServer  # noqa: E402
from kiosk_provisioning.gate import signed_token  # noqa: E402
from kiosk_provisioning.identity.tokens import janus_token  # noqa: E402
from kiosk_provisioning.janus_config import JANUS_LIB, JanusSetup, Room  # noqa: E402

ROOM = 1001
MOUNTPOINT = 1
VIDEO_PORT, AUDIO_PORT = 5004, 5006
VIDEO_PT, AUDIO_PT = 96, 111
PER_SESSION = 50
"""Watchers per Janus session (handles of one WebSocket): Janus' media cost is per
handle; fewer sockets keep this process light."""
JOINING_AT_ONCE = 10
SOURCE = ROOT / "bench" / "receivers" / "main.go"


def build_receivers(folder: Path) -> Path:
    """Build the Go receivers against Debian's Pion (GOPATH mode: Debian ships Pion's
    webrtc without the ``/v3`` folder its import path has, so a private GOPATH of links
    adds it)."""
    gopath = folder / "gopath"
    src = gopath / "src"
    pion = src / "github.com" / "pion"
    (pion / "webrtc").mkdir(parents=True)
    shared = Path("/usr/share/gocode/src")
    for entry in shared.iterdir():
        if entry.name != "github.com":
            (src / entry.name).symlink_to(entry)
    for entry in (shared / "github.com").iterdir():
        if entry.name != "pion":
            (src / "github.com" / entry.name).symlink_to(entry)
    for entry in (shared / "github.com" / "pion").iterdir():
        if entry.name != "webrtc":
            (pion / entry.name).symlink_to(entry)
    (pion / "webrtc" / "v3").symlink_to(shared / "github.com" / "pion" / "webrtc")
    package = src / "receivers"
    package.mkdir()
    shutil.copy(SOURCE, package / "main.go")
    binary = folder / "receivers"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(gopath),
        "GOCACHE": str(folder / "cache"),
    }
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=package, env=env, check=True)
    return binary


def make_media(folder: Path) -> tuple[Path, Path]:
    """The host's picture (VP8 in IVF) and voice (Opus in Ogg), 60 s, looped by the sender."""
    ivf, ogg = folder / "host.ivf", folder / "host.ogg"
    ffmpeg = ["ffmpeg", "-loglevel", "error", "-y"]
    subprocess.run(
        [*ffmpeg, "-f", "lavfi", "-i", "testsrc=size=640x480:rate=15", "-t", "60",
         "-c:v", "libvpx", "-b:v", "600k", "-g", "30", "-deadline", "realtime", "-cpu-used", "8",
         str(ivf)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*ffmpeg, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "60",
         "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-page_duration", "20000",
         str(ogg)],
        check=True,
    )  # fmt: skip
    return ivf, ogg


def add_streaming(folder: Path, threads: int, admin_key: str) -> None:
    """The Streaming plugin beside city hall's plugins, with the meeting's mountpoint."""
    link = folder / "plugins" / "libjanus_streaming.so"
    link.symlink_to(JANUS_LIB / "plugins" / "libjanus_streaming.so")
    (folder / "janus.plugin.streaming.jcfg").write_text(
        f"""general: {{
	admin_key = "{admin_key}"
}}
meeting: {{
	type = "rtp"
	id = {MOUNTPOINT}
	description = "town meeting"
	is_private = true
	secret = "{secrets.token_hex(16)}"
	threads = {threads}
	media = (
		{{ type = "video", mid = "v", port = {VIDEO_PORT}, pt = {VIDEO_PT}, codec = "vp8" }},
		{{ type = "audio", mid = "a", port = {AUDIO_PORT}, pt = {AUDIO_PT}, codec = "opus" }}
	)
}}
"""
    )


class Receivers:
    """The Go program: one JSON line each way."""

    def __init__(self, binary: Path, interface: str) -> None:
        self.binary, self.interface = binary, interface
        self.process: asyncio.subprocess.Process | None = None
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            str(self.binary), "-interface", self.interface,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=1 << 22,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            said = json.loads(line)
            key = said.get("id") if "id" in said else next(iter(said))
            future = self._waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(said)

    async def ask(self, request: Json, key: Any) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        await self.process.stdin.drain()
        said: dict[str, Any] = await asyncio.wait_for(future, 30)
        if "error" in said:
            raise RuntimeError(f"receivers: {said['error']}")
        return said

    async def report(self) -> dict[str, Any]:
        report: dict[str, Any] = (await self.ask({"cmd": "report"}, "report"))["report"]
        return report

    async def reset(self) -> None:
        await self.ask({"cmd": "reset"}, "reset")

    def cpu_s(self) -> float:
        assert self.process is not None
        return cpu_seconds(self.process.pid)

    async def close(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        if self._reader is not None:
            self._reader.cancel()


class Meeting:
    """One Janus for one shape: the host publishing, and watchers added in steps."""

    def __init__(self, shape: str, server: JanusServer, receivers: Receivers, setup: JanusSetup,
                 room: Room) -> None:  # fmt: skip
        self.shape, self.server, self.receivers = shape, server, receivers
        self.setup, self.room = setup, room
        self.sessions: list[JanusSession] = []
        self.handles: list[Handle] = []
        self.host_feed = 0
        self._next_id = 1

    def token(self) -> str:
        plugins = ["janus.plugin.videoroom", "janus.plugin.streaming"]
        return janus_token(self.setup.token_secret, 3600, plugins)

    def room_token(self) -> str:
        return signed_token(
            self.setup.token_secret, "janus.plugin.videoroom", [f"room={ROOM}"], 3600
        )

    async def session(self) -> JanusSession:
        made = await JanusSession.open(self.server.url, token=self.token())
        self.sessions.append(made)
        return made

    async def publish_host(self, ivf: Path, ogg: Path) -> None:
        handle = await (await self.session()).attach("janus.plugin.videoroom")
        joined = await handle.send({"request": "join", "ptype": "publisher", "room": ROOM,
                                    "display": "host", "token": self.room_token()})  # fmt: skip
        self.host_feed = int(joined.data["id"])
        said = await self.receivers.ask({"id": 0, "publish": {"ivf": str(ivf), "ogg": str(ogg)}}, 0)
        reply = await handle.send({"request": "publish", "audio": True, "video": True},
                                  {"type": "offer", "sdp": said["offer"]})  # fmt: skip
        assert reply.jsep is not None, reply.data
        await self.receivers.ask({"id": 0, "answer": reply.jsep["sdp"]}, 0)
        self.handles.append(handle)
        if self.shape == "streaming":
            await self.forward(handle)

    async def forward(self, handle: Handle) -> None:
        """The host's audio (mid 0) and video (mid 1) into the mountpoint, once Janus has
        the feed (it must be up to forward)."""
        body = {
            "request": "rtp_forward", "room": ROOM, "publisher_id": self.host_feed,
            "host": self.server.network.server_address, "host_family": "ipv4",
            "secret": self.room.secret, "admin_key": self.setup.admin_secret,
            "streams": [{"mid": "0", "port": AUDIO_PORT, "pt": AUDIO_PT},
                        {"mid": "1", "port": VIDEO_PORT, "pt": VIDEO_PT}],
        }  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            reply = await handle.send(body)
            if reply.data.get("forwarders") or reply.data.get("rtp_stream"):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"rtp_forward refused: {reply.data}")
            await asyncio.sleep(0.5)

    async def watcher(self, session: JanusSession, shape: str = "") -> tuple[int, float]:
        """One more watching centre (in *shape*, by default the meeting's): its
        receiver's id, and seconds from its first request to its answer given."""
        shape = shape or self.shape
        watcher_id = self._next_id
        self._next_id += 1
        started = time.monotonic()
        handle = await session.attach(
            "janus.plugin.videoroom" if shape == "videoroom" else "janus.plugin.streaming"
        )
        if shape == "videoroom":
            body: Json = {
                "request": "join",
                "ptype": "subscriber",
                "room": ROOM,
                "streams": [{"feed": self.host_feed}],
                "token": self.room_token(),
            }
        else:
            body = {"request": "watch", "id": MOUNTPOINT}
        reply = await handle.send(body)
        assert reply.jsep is not None, reply.data
        said = await self.receivers.ask({"id": watcher_id, "offer": reply.jsep["sdp"]}, watcher_id)
        await handle.send({"request": "start"}, {"type": "answer", "sdp": said["answer"]})
        self.handles.append(handle)
        return watcher_id, time.monotonic() - started

    async def grow_to(self, count: int) -> list[float]:
        """Add watchers until *count*, *JOINING_AT_ONCE* at a time."""
        gate = asyncio.Semaphore(JOINING_AT_ONCE)
        have = len(self.handles) - 1

        async def one(index: int) -> float:
            async with gate:
                session_index = index // PER_SESSION
                while len(self.sessions) <= session_index + 1:  # the host has session 0
                    await self.session()
                _, seconds = await self.watcher(self.sessions[session_index + 1])
                return seconds

        return list(await asyncio.gather(*(one(i) for i in range(have, count))))

    async def hop_delay(self, trace_s: float) -> dict[str, Any]:
        """How much later a centre watching the mountpoint sees the host's picture than
        one subscribed in the VideoRoom: the cost in delay of the forward (VideoRoom ->
        RTP -> Streaming), the same as an origin -> edge hop's minus the network's."""
        session = await self.session()
        direct, _ = await self.watcher(session, "videoroom")
        forwarded, _ = await self.watcher(session, "streaming")
        await all_receiving(self.receivers, 2, of=(direct, forwarded))
        for traced in (direct, forwarded):
            await self.receivers.ask({"id": traced, "cmd": "trace"}, traced)
        await asyncio.sleep(trace_s)
        found = await self.receivers.ask({"cmd": "delays", "a": direct, "b": forwarded}, "delays")
        delays: dict[str, Any] = found["delays"]
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in delays.items()}

    async def close(self) -> None:
        for session in self.sessions:
            with contextlib.suppress(Exception):
                await session.close()


async def all_receiving(
    receivers: Receivers, count: int, limit_s: float = 90, of: tuple[int, ...] = ()
) -> Json:
    """Wait until *count* watchers (or the watchers *of*) receive video (every 2 s a
    fresh tally)."""
    deadline = time.monotonic() + limit_s
    while True:
        await receivers.reset()
        await asyncio.sleep(2)
        seen = await receivers.report()
        got = seen["with_video"] if not of else sum(1 for i in of if i in seen["video_ids"])
        if got >= count or time.monotonic() > deadline:
            return seen


async def measure_shape(
    shape: str,
    args: argparse.Namespace,
    binary: Path,
    media: tuple[Path, Path],
    network: PrivateNetwork,
    folder: Path,
) -> dict[str, Any]:
    room = Room(ROOM, "town meeting", publishers=6, bitrate=700_000)
    setup = JanusSetup(
        rooms=(room,),
        interfaces=(network.inner,),
        debug_level=3,
        session_timeout_s=120,
        event_loops=args.event_loops,  # 0: Janus' default, a thread per handle
    )
    server = JanusServer(network, folder / shape, setup)
    add_streaming(server.folder, args.threads, setup.admin_secret)
    receivers = Receivers(binary, network.outer)
    await receivers.start()
    server.start()
    meeting = Meeting(shape, server, receivers, setup, room)
    steps: list[dict[str, Any]] = []
    try:
        await meeting.publish_host(*media)
        pid = server.pid
        assert pid is not None
        for count in [0, *args.steps]:
            joining = time.monotonic()
            joins = await meeting.grow_to(count)
            joined_s = time.monotonic() - joining
            ready = await all_receiving(receivers, count)
            await receivers.reset()
            janus_before, mine_before, t0 = cpu_seconds(pid), receivers.cpu_s(), time.monotonic()
            await asyncio.sleep(args.window_s if count else min(args.window_s, 30.0))
            elapsed = time.monotonic() - t0
            janus_cpu = (cpu_seconds(pid) - janus_before) / elapsed * 100
            receivers_cpu = (receivers.cpu_s() - mine_before) / elapsed * 100
            seen = await receivers.report()
            threads, rss = threads_and_rss(pid)
            expected = seen["packets"] + seen["lost"]
            step = {
                "watchers": count,
                "receiving_video_before_window": ready["with_video"],
                "janus_cpu_pct_of_core": round(janus_cpu, 1),
                "janus_threads": threads,
                "janus_rss_mib": rss,
                "receivers_cpu_pct_of_core": round(receivers_cpu, 1),
                "packets": seen["packets"],
                "lost": seen["lost"],
                "loss_pct": round(100 * seen["lost"] / expected, 3) if expected else None,
                "freezes_over_1s": seen["freezes"],
                "video_gap_ms_p95": round(seen["video_gap_ms_p95"]),
                "video_gap_ms_max": round(seen["video_gap_ms_max"]),
                "join_s_median": round(sorted(joins)[len(joins) // 2], 3) if joins else None,
                "join_s_max": round(max(joins), 3) if joins else None,
                "joins_took_s": round(joined_s, 1),
            }
            if steps:
                base = steps[0]["janus_cpu_pct_of_core"]
                step["janus_cpu_pct_per_watcher"] = round((janus_cpu - base) / count, 3)
            steps.append(step)
            print(shape, json.dumps(step), flush=True)
        hop = await meeting.hop_delay(args.trace_s) if shape == "streaming" else None
    finally:
        await meeting.close()
        await receivers.close()
        server.stop()
    figures: dict[str, Any] = {"shape": shape, "steps": steps}
    if hop is not None:
        figures["forward_added_delay_ms"] = {"while_watchers": args.steps[-1], **hop}
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name, PrivateNetwork(args.network) as network:
        folder = Path(name)
        binary = build_receivers(folder / "go")
        media = make_media(folder)
        shapes = [await measure_shape(shape, args, binary, media, network, folder)
                  for shape in args.shapes]  # fmt: skip
    return {
        "what": "Janus 1.1.2 CPU per watching centre: VideoRoom subscribers vs one Streaming "
        "mountpoint fed by rtp_forward; watchers do not decode (Pion); 640x480 15 fps VP8 "
        "~600 kbit/s + Opus 32 kbit/s",
        "machine": f"{os.cpu_count()} cores",
        "window_s": args.window_s,
        "streaming_threads": args.threads,
        "janus_event_loops": args.event_loops or "one thread per handle (Janus' default)",
        "shapes": shapes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")],
                        default=[50, 100, 200, 300])  # fmt: skip
    parser.add_argument("--window-s", type=float, default=30.0)
    parser.add_argument("--trace-s", type=float, default=20.0, help="the hop's delay trace")
    parser.add_argument("--threads", type=int, default=2, help="the mountpoint's helper threads")
    parser.add_argument(
        "--event-loops", type=int, default=0, help="Janus' event_loops (0: a thread per handle)"
    )
    parser.add_argument("--save-as", default="meeting_shapes", help="bench/results/<name>.json")
    parser.add_argument("--shapes", type=lambda s: s.split(","), default=["videoroom", "streaming"])
    parser.add_argument("--network", type=int, default=2, help="PrivateNetwork index")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    save(args.save_as, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
