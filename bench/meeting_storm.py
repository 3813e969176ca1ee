"""Town meeting join storm through the call gate (issue 17): *--boxes* centres join a
town meeting at once, each as its box does it, and how long until every one sees the
host; what the storm costs Janus and the gate, and what each watching centre costs
them after.

Janus 1.1.2 (Debian) runs in its own network namespace with city hall's configuration
(:mod:`kiosk_provisioning.janus_config`: token auth, signed room tokens, ``event_loops``
one per core, its log level; the meeting's room takes city hall's town meeting
senders), and city hall's call gate (:mod:`kiosk_provisioning.gate`) in front of it,
as in the tests (:class:`tests.calls.identities.CityHallIdentity`). The directory marks
the room a town meeting (``floor``) and the floor names nobody, so the gate's floor
rules are in force (checked before the storm: a box turning its camera on there is
refused). Every box is enrolled before the run, its own key and certificate from the
run's fleet CA.

The host is city hall staff (a pass with host rights, through the gate) publishing a
640×480, 15 frames a second VP8 picture (~600 kbit/s) and an Opus tone from the small
Go/Pion program of ``bench/meeting_shapes.py`` (``bench/receivers``, built here from
Debian's packages), which also answers for every box's watching connection and never
decodes. Each box, in this one process, does what a kiosk does to watch a town
meeting (:meth:`kiosk.calls.group.GroupCall.open` with nothing to send, hearing
only feeds with sound): a real TLS WebSocket to the gate showing its certificate,
a session, the VideoRoom joined as a participant that sends nothing, then the
host's feed subscribed (Janus' offer, the Go receiver's answer, ``start``). A failed
attempt is tried again after the kiosk's backoff, as a box would. All boxes start at
once (or uniformly over *--spread-s*). Then, for *--steady-s*, the meeting as it goes
on.

- From the storm's start until every box receives video (must be ≤ 30 s); per box,
  from its first connect to its first video packet (median, p95, max; the video is
  looked for every 0.1 s), and each step's share (connect, join and Janus' offer,
  the answer, ``start``, first video);
- joins refused or failed, and why; what the gate refused or cut (its log), Janus'
  errors (its log), connection attempts dropped at a full listening queue (the
  namespace's ``ListenDrops``, overflows included: the client tries again a second
  later; the gate listens with a queue of ``gate.BACKLOG`` (asyncio's own is 100),
  Janus with 4096; the kernel caps both at ``net.core.somaxconn``);
- Janus', the gate's, the receivers' and this process's CPU (user + system from
  /proc, % of one core) each second of the storm, and over the steady window; the
  gate is one asyncio process, so 100 % is all it can do;
- Janus' and the gate's threads and resident memory before the storm (the host
  alone) and in the steady window, and the difference per watching box;
- in the steady window, what the boxes received: packets, loss, the longest silence
  of any box's video, silences over a second.

Usage (root): .venv/bin/python bench/meeting_storm.py [--boxes 300] [--spread-s 0]
    [--steady-s 30] [--network 40]
Writes bench/results/meeting_storm.json.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import ssl
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from bench.meeting_shapes import Receivers, build_receivers, make_media  # noqa: E402
from bench.proc import cpu_seconds, threads_and_rss  # noqa: E402
from kiosk.backoff import Backoff  # noqa: E402
from kiosk.calls.connection import Connection, FrameListener, IceServer, Received  # noqa: E402
from kiosk.calls.group import GroupCall  # noqa: E402
from kiosk.calls.janus import JanusError, JanusSession  # noqa: E402
from kiosk.calls.videoroom import PLUGIN as VIDEOROOM  # noqa: E402
from kiosk_contract.floor import Floor  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from kiosk_demo.server import GateServer, JanusServer  # noqa: E402
from kiosk_provisioning.identity.directory import write_floor  # noqa: E402
from kiosk_provisioning.janus import MEETING_SENDERS  # noqa: E402
from tests.calls.identities import STAFF_NAMES, BoxFiles, CityHallIdentity  # noqa: E402

ROOM = 1001
LIMIT_S = 30.0
"""Every box must receive video this long after the storm's start."""
GIVE_UP_S = 120.0
"""Boxes still without video this long after the start are counted as failed."""
LOOK_S = 0.1
"""How often the receivers are asked which boxes have video."""
SETTLE_S = 3.0
"""Between the last box's first video and the steady window."""
HOST = STAFF_NAMES[-1]
"""The host's display in the room (a name its staff pass gives)."""


def centre_name(index: int) -> str:
    """The centre (and call name) of box *index*."""
    return f"storm-{index:03d}"


class MeetingServer:
    """City hall's call server for one town meeting: Janus with the meeting's room (a
    floor in the directory, the floor naming nobody) and the gate in front of it, in
    *network*; the boxes of *boxes* centres enrolled (:attr:`boxes`)."""

    def __init__(self, network: PrivateNetwork, folder: Path, boxes: int) -> None:
        centres = {centre_name(i): (ROOM,) for i in range(boxes)}
        self.identity = CityHallIdentity(folder / "repo", centres)
        directory = self.identity.folder / "directory.json"
        document = json.loads(directory.read_text())
        document["rooms"][str(ROOM)]["floor"] = True
        directory.write_text(json.dumps(document))
        now = int(time.time())
        write_floor(
            self.identity.folder,
            Floor(room=ROOM, seq=now, issued_at=now, expires_at=now + 3 * 3600),
        )
        setup = self.identity.janus_setup({ROOM: "town meeting"}, interfaces=(network.inner,))
        setup = replace(
            setup, rooms=tuple(replace(r, publishers=MEETING_SENDERS) for r in setup.rooms)
        )
        self.janus = JanusServer(network, folder / "janus", setup)
        self.gate = GateServer(network, self.janus, self.identity.repo, folder / "gate")
        self.boxes: list[BoxFiles] = [
            self.identity.enrol(name, folder / "boxes" / name) for name in centres
        ]

    async def host_session(self) -> JanusSession:
        """A session of city hall's host (a staff pass with host rights for the room)."""
        token = self.identity.staff_pass(rooms=(ROOM,), host=True)
        return await JanusSession.open(self.gate.url, tls=self.identity.server_check(), token=token)

    def __enter__(self) -> "MeetingServer":
        self.janus.start()
        try:
            self.gate.start()
        except BaseException:
            self.janus.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.stop()
        self.janus.stop()


@dataclass
class Join:
    """One box's way into the meeting: moments (monotonic) of its attempt that worked."""

    index: int
    first_connect: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)
    """``connect`` (attempt began), ``connected`` (session made), ``offered`` (joined,
    the host subscribed, Janus' offer in), ``answered``, ``started``, ``video``."""
    attempts: int = 0
    failures: list[str] = field(default_factory=list)
    group: GroupCall | None = None
    session: JanusSession | None = None
    receiver: int = 0


class GoWatcher:
    """A box's watching connection, made by the Go receivers (:class:`Connection` as a
    GroupCall that only watches uses it: answer, start, close)."""

    def __init__(self, receivers: Receivers, receiver: int, join: Join, label: str) -> None:
        self.label = label
        self.closed = False
        self.received: dict[str, Received] = {}
        self._receivers = receivers
        self._receiver = receiver
        self._join = join

    def send(self, *tracks: object) -> None:
        raise NotImplementedError("a watching box sends nothing")

    async def offer(self) -> dict[str, str]:
        raise NotImplementedError("a watching box offers nothing")

    async def answer(self, remote: dict[str, str]) -> dict[str, str]:
        self._join.marks["offered"] = time.monotonic()
        said = await self._receivers.ask(
            {"id": self._receiver, "offer": remote["sdp"]}, self._receiver
        )
        self._join.marks["answered"] = time.monotonic()
        return {"type": "answer", "sdp": str(said["answer"])}

    async def accept(self, remote: dict[str, str]) -> None:
        raise NotImplementedError("a watching box offers nothing")

    def picture(self) -> None:
        return None

    def sound(self) -> None:
        return None

    def silence(self) -> float:
        return 0.0

    def route(self) -> str | None:
        return None

    def mark_start(self) -> None:
        self._join.marks["started"] = time.monotonic()
        self._join.receiver = self._receiver

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(RuntimeError, TimeoutError):
            await self._receivers.ask({"id": self._receiver, "cmd": "close"}, self._receiver)


class Storm:
    """*boxes* joining the meeting whose host shows as *host*, watched by *receivers*."""

    def __init__(
        self,
        server: MeetingServer,
        receivers: Receivers,
        contexts: Sequence[ssl.SSLContext],
        host: str,
    ) -> None:
        self.server, self.receivers, self.contexts, self.host = server, receivers, contexts, host
        self.joins = [Join(i) for i in range(len(contexts))]
        self._next_receiver = 1000
        self._deadline = 0.0

    async def run(self, spread_s: float) -> float:
        """Start every box's join (over *spread_s*); return the storm's start once every
        box has video, or :data:`GIVE_UP_S` passed."""
        start = time.monotonic()
        self._deadline = start + GIVE_UP_S
        tasks = []
        for join in self.joins:
            tasks.append(asyncio.create_task(self.join(join)))
            if spread_s:
                await asyncio.sleep(spread_s / len(self.joins))
        looking = asyncio.create_task(self.look_for_video())
        await asyncio.gather(*tasks)
        await looking
        return start

    async def join(self, join: Join) -> None:
        """What a kiosk does to watch the meeting, again after its backoff if it fails."""
        backoff = Backoff()
        name = centre_name(join.index)
        while time.monotonic() < self._deadline:
            join.attempts += 1
            join.marks = {"connect": time.monotonic()}
            join.first_connect = join.first_connect or join.marks["connect"]
            receiver = self._next_receiver
            self._next_receiver += 1
            step = "connect"
            try:
                session = await JanusSession.open(
                    self.server.gate.url, tls=self.contexts[join.index]
                )
                join.session = session
                join.marks["connected"] = time.monotonic()
                step = "join"

                def watcher(
                    ice_servers: Sequence[IceServer],
                    on_frame: FrameListener | None = None,
                    *,
                    label: str = "",
                    receiver: int = receiver,
                ) -> Connection:
                    return GoWatcher(self.receivers, receiver, join, label)

                group = GroupCall(
                    session, ROOM, name, [], self.host, new_peer=watcher, heard_only=True
                )
                join.group = group
                await group.open(None)
                if not group.watched:
                    raise RuntimeError("the host's feed was not among the room's publishers")
                return
            # A box's failure is counted and tried again; it never ends the storm.
            except Exception as err:  # noqa: BLE001
                step = "answer" if "offered" in join.marks else step
                join.failures.append(f"{step}: {type(err).__name__}: {err}")
                await self.drop(join)
                await asyncio.sleep(backoff.next())

    async def drop(self, join: Join) -> None:
        """Close what one box has open (its group, its session)."""
        group, session = join.group, join.session
        join.group = join.session = None
        join.receiver = 0
        with contextlib.suppress(Exception):
            if group is not None:
                await group.close()
        with contextlib.suppress(Exception):
            if session is not None:
                await session.close()

    async def look_for_video(self) -> None:
        """Note each box's first video, until all have it or the give-up moment."""
        while time.monotonic() < self._deadline:
            seen = await self.receivers.report()
            now = time.monotonic()
            with_video = set(seen["video_ids"])
            for join in self.joins:
                if join.receiver in with_video and "video" not in join.marks:
                    join.marks["video"] = now
            if all("video" in join.marks for join in self.joins):
                return
            await asyncio.sleep(LOOK_S)

    async def close(self) -> None:
        await asyncio.gather(*(self.drop(join) for join in self.joins))


class CpuSampler:
    """CPU of each of *pids* (name -> pid), second by second, % of one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.series: dict[str, list[float]] = {name: [] for name in pids}

    async def run(self) -> None:
        last = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        at = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for name, pid in self.pids.items():
                used = cpu_seconds(pid)
                self.series[name].append(round(100 * (used - last[name]) / (now - at), 1))
                last[name] = used
            at = now


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max": round(ordered[-1], 2),
    }


def peak_mean(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"peak": max(values), "mean": round(statistics.fmean(values), 1)}


def listen_drops(pid: int) -> int:
    """Connection attempts (SYNs) the namespace of *pid* dropped at a listening socket
    so far (``ListenDrops``: every ``ListenOverflows`` is counted there too)."""
    lines = [ln.split() for ln in Path(f"/proc/{pid}/net/netstat").read_text().splitlines()]
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names[0] == "TcpExt:":
            found = dict(zip(names[1:], values[1:], strict=True))
            return int(found["ListenDrops"])
    return 0


def log_size(path: Path) -> int:
    with contextlib.suppress(FileNotFoundError):
        return path.stat().st_size
    return 0


def log_lines(path: Path, mark: str, since: int = 0, limit: int = 8) -> dict[str, int]:
    """The lines of *path* (from byte *since* on) holding *mark*, grouped with names
    and numbers masked."""
    counts: Counter[str] = Counter()
    with contextlib.suppress(FileNotFoundError), path.open("rb") as log:
        log.seek(since)
        for line in log.read().decode(errors="replace").splitlines():
            # Janus says it at every start: the optional JSON logger has no file.
            if mark in line and "Error reading configuration file" not in line:
                text = line.split(mark, 1)[1].strip()
                counts[re.sub(r"\d+", "N", text)[:160]] += 1
    return dict(counts.most_common(limit))


async def floor_in_force(server: MeetingServer, box: BoxFiles) -> str:
    """What the gate answers a box that turns its camera on in the meeting without the
    floor (it must refuse, naming the floor)."""
    session = await JanusSession.open(server.gate.url, tls=box.context())
    try:
        handle = await session.attach(VIDEOROOM)
        await handle.send({"request": "join", "ptype": "publisher", "room": ROOM})
        try:
            await handle.send({"request": "configure", "video": True})
        except JanusError as err:
            if "floor" not in str(err):
                raise
            return str(err)
        raise RuntimeError("the gate let a box send in a town meeting without the floor")
    finally:
        await session.close()


async def steady_window(
    receivers: Receivers, pids: dict[str, int], window_s: float
) -> dict[str, Any]:
    await receivers.reset()
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    start = time.monotonic()
    await asyncio.sleep(window_s)
    elapsed = time.monotonic() - start
    cpu = {
        name: round(100 * (cpu_seconds(pid) - before[name]) / elapsed, 1)
        for name, pid in pids.items()
    }
    seen = await receivers.report()
    expected = seen["packets"] + seen["lost"]
    return {
        "window_s": round(elapsed, 1),
        "cpu_pct_of_core": cpu,
        "boxes_with_video": seen["with_video"],
        "boxes_with_sound": seen["with_audio"],
        "packets": seen["packets"],
        "lost": seen["lost"],
        "loss_pct": round(100 * seen["lost"] / expected, 3) if expected else None,
        "freezes_over_1s": seen["freezes"],
        "video_gap_ms_max": round(seen["video_gap_ms_max"]),
    }


def footprint(pid: int) -> dict[str, float]:
    threads, rss = threads_and_rss(pid)
    return {"threads": threads, "rss_mib": rss}


async def publish_host(
    session: JanusSession, receivers: Receivers, media: tuple[Path, Path]
) -> None:
    """The host in the room, sending (once Janus has its media up)."""
    handle = await session.attach(VIDEOROOM)
    await handle.send({"request": "join", "ptype": "publisher", "room": ROOM, "display": HOST})
    ivf, ogg = media
    said = await receivers.ask({"id": 0, "publish": {"ivf": str(ivf), "ogg": str(ogg)}}, 0)
    reply = await handle.send(
        {"request": "publish", "audio": True, "video": True},
        {"type": "offer", "sdp": said["offer"]},
    )
    if reply.jsep is None:
        raise RuntimeError(f"the host's publish was refused: {reply.data}")
    await receivers.ask({"id": 0, "answer": reply.jsep["sdp"]}, 0)
    async with asyncio.timeout(20):
        while (await handle.events.get()).kind != "webrtcup":
            pass


async def storm(
    args: argparse.Namespace, server: MeetingServer, binary: Path, media: tuple[Path, Path]
) -> dict[str, Any]:
    janus_pid, gate_pid = server.janus.pid, server.gate.pid
    assert janus_pid is not None and gate_pid is not None
    receivers = Receivers(binary, server.janus.network.outer)
    await receivers.start()
    assert receivers.process is not None
    pids = {
        "janus": janus_pid,
        "gate": gate_pid,
        "client": os.getpid(),
        "receivers": receivers.process.pid,
    }
    host_session = await server.host_session()
    try:
        await publish_host(host_session, receivers, media)
        await asyncio.sleep(2.0)  # the host's first key frame
        refused = await floor_in_force(server, server.boxes[0])
        contexts = [box.context() for box in server.boxes]
        logs = {"gate": log_size(server.gate.log_path), "janus": log_size(server.janus.log_path)}
        before = {"janus": footprint(janus_pid), "gate": footprint(gate_pid)}
        drops_before = listen_drops(gate_pid)
        sampler = CpuSampler(pids)
        sampling = asyncio.create_task(sampler.run())
        meeting = Storm(server, receivers, contexts, HOST)
        print(f"storm: {args.boxes} boxes, spread over {args.spread_s:.0f} s ...", flush=True)
        start = await meeting.run(args.spread_s)
        sampling.cancel()
        drops = listen_drops(gate_pid) - drops_before
        joins = meeting.joins
        seen = [j.marks["video"] - j.first_connect for j in joins if "video" in j.marks]
        all_in = len(seen) == len(joins)
        last_video = max((j.marks["video"] for j in joins if "video" in j.marks), default=start)
        print(
            f"{len(seen)} of {len(joins)} boxes with video, the last "
            f"{last_video - start:.1f} s after the start",
            flush=True,
        )
        await asyncio.sleep(SETTLE_S)
        steady = await steady_window(receivers, pids, args.steady_s)
        after = {"janus": footprint(janus_pid), "gate": footprint(gate_pid)}
        watching = max(1, len(seen))

        def phase(a: str, b: str) -> dict[str, float] | None:
            return spread([j.marks[b] - j.marks[a] for j in joins if a in j.marks and b in j.marks])

        failures = Counter(
            re.sub(r"storm-\d+", "storm-N", f)[:200] for j in joins for f in j.failures
        )
        figures: dict[str, Any] = {
            "boxes": len(joins),
            "spread_s": args.spread_s,
            "all_receiving_video_s": round(last_video - start, 2) if all_in else None,
            "within_30_s": all_in and last_video - start <= LIMIT_S,
            "boxes_with_video": len(seen),
            "join_s": spread(seen),
            "join_steps_s": {
                "connect (TLS, WebSocket, create)": phase("connect", "connected"),
                "join, subscribe, Janus' offer": phase("connected", "offered"),
                "answer (Go receiver)": phase("offered", "answered"),
                "start": phase("answered", "started"),
                "first video after start": phase("started", "video"),
            },
            "attempts": sum(j.attempts for j in joins),
            "boxes_that_tried_again": sum(1 for j in joins if j.attempts > 1),
            "failures": dict(failures.most_common(10)),
            "started_without_video": sum(
                1 for j in joins if "started" in j.marks and "video" not in j.marks
            ),
            "listen_drops": drops,
            "floor_in_force": refused,
            "gate_warnings": log_lines(server.gate.log_path, " WARNING ", logs["gate"]),
            "janus_errors": log_lines(server.janus.log_path, "[ERR]", logs["janus"]),
            "storm_cpu_pct_of_core": {
                name: peak_mean(series) for name, series in sampler.series.items()
            },
            "steady": steady,
            "footprint": {
                name: {
                    "before": before[name],
                    "after": after[name],
                    "per_box": {
                        "threads": round(
                            (after[name]["threads"] - before[name]["threads"]) / watching, 3
                        ),
                        "rss_kib": round(
                            (after[name]["rss_mib"] - before[name]["rss_mib"]) * 1024 / watching, 1
                        ),
                    },
                }
                for name in ("janus", "gate")
            },
            "storm_cpu_series_per_s": sampler.series,
        }
        await meeting.close()
    finally:
        with contextlib.suppress(Exception):
            await host_session.close()
        await receivers.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boxes", type=int, default=300)
    parser.add_argument(
        "--spread-s",
        type=float,
        default=0.0,
        help="the boxes start uniformly over this long (0: all at once)",
    )
    parser.add_argument("--steady-s", type=float, default=30.0)
    parser.add_argument("--network", type=int, default=40, help="PrivateNetwork index")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("meeting_storm: needs root (Janus in a network namespace)", file=sys.stderr)
        return 2
    with PrivateNetwork(args.network) as network, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        binary = build_receivers(folder / "go")
        media = make_media(folder)
        print(f"enrolling {args.boxes} boxes ...", flush=True)
        with MeetingServer(network, folder, args.boxes) as server:
            figures = asyncio.run(storm(args, server, binary, media))
    results = {
        "what": "a town meeting join storm through the call gate: boxes with their own "
        "certificates (wss, mTLS) join as watchers (GroupCall.open(None)) and subscribe to "
        "the host (640x480 15 fps VP8 ~600 kbit/s + Opus); receivers do not decode (Pion)",
        "machine": f"{os.cpu_count()} cores",
        "command": " ".join([".venv/bin/python", "bench/meeting_storm.py", *sys.argv[1:]]),
        **figures,
    }
    save("meeting_storm", results, show=False)
    print(
        json.dumps(
            {k: v for k, v in results.items() if k != "storm_cpu_series_per_s"},
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"written to {ROOT / 'bench' / 'results' / 'meeting_storm.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
