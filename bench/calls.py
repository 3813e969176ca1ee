"""Calls benchmark: how fast a call starts and how fast it heals, on a real Janus.

Janus runs in its own network namespace behind city hall's call gate, as in the
tests (:class:`tests.calls.identities.CallServer`): the centre's box shows its
certificate from the run's own fleet CA, the host, staff and the browser their
staff passes. A city-hall host sits in the town-meeting room (itself a call desk,
so it rejoins by itself too).

- press "join" -> first remote video frame decoded, the kiosk's desk (registered,
  idle) against the raw floor: a bare aiortc client doing the same signalling on a
  fresh session opened as the box opens it (JanusSession + GroupCall); press
  "call" -> first frame with a staff desk answering at once.
- Janus killed: loss noticed (the desk says "reconnecting"); Janus started again:
  back in the room with new frames arriving.
- cable cut for 5 s: audio and video frames arriving again after the link returns.
- cable cut for 40 s: back in the room with new frames after the link returns.
- Chromium + janus.js (city hall's browser) joining the same room: its script
  starting (session, attach, join, subscribe) -> first frame of the host.
- UDP dropped on the link: a desk configured with city hall's TURN server
  (coturn, TCP) presses "join" -> first frame, every connection relayed.

Usage (root): .venv/bin/python bench/calls.py [--rounds 20] [--long-rounds 3] [--network 0]
Writes bench/results/calls.json.
"""

import argparse
import asyncio
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from kiosk.calls.desk import CallDesk, CallView, Phase, TurnLogin  # noqa: E402
from kiosk.calls.group import GroupCall  # noqa: E402
from kiosk.calls.line import OpenSession  # noqa: E402
from kiosk.calls.local import StandInMedia  # noqa: E402
from kiosk.calls.peer import Connection  # noqa: E402
from kiosk_contract.config.calls import Calls, Contact, IceServer  # noqa: E402
from kiosk_contract.config.calls import Room as RoomConfig  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from kiosk_demo.staff import StaffDesk  # noqa: E402
from kiosk_demo.turn import TurnServer  # noqa: E402
from tests.calls.chromium import StaffBrowser  # noqa: E402
from tests.calls.identities import CallServer  # noqa: E402

ROOM = 1001
POLL_S = 0.002
CENTRE = "centre-1"
BEHIND_UDP_BLOCK = "centre-2"
"""The centre whose network drops UDP (its own box)."""
HOST = "cityhall-host"
VIEWER = "city-hall-viewer"
"""The browser's name (and display) in the room."""


def calls_for(url: str, name: str, ice: tuple[IceServer, ...] = ()) -> Calls:
    return Calls(
        server=url,
        call_name=name,
        ice_servers=list(ice),
        contacts=[Contact(id="city-hall", name="cityhall-welfare", label="시청")],
        rooms=[RoomConfig(id="meeting", number=ROOM, title="회의", host="cityhall-host")],
    )


def desk_for(
    url: str,
    name: str,
    colour: tuple[int, int, int],
    open_session: OpenSession,
    ice: tuple[IceServer, ...] = (),
    turn_login: TurnLogin | None = None,
) -> CallDesk:
    """*name*'s desk at *url*, opening its sessions with *open_session* (its
    certificate or staff pass shown)."""
    return CallDesk(
        calls_for(url, name, ice),
        name,
        StandInMedia(colour, 440),
        dt.datetime.now,
        open_session=open_session,
        turn_login=turn_login,
    )


async def until(check: Any, limit: float = 60.0) -> float:
    """Poll *check* until true; returns when (monotonic). Raises after *limit* s."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(POLL_S)
    return time.monotonic()


async def phase(desk: CallDesk, *phases: Phase) -> float:
    """When the desk next enters one of *phases* (monotonic)."""
    if desk.view.phase in phases:
        return time.monotonic()
    reached: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def listen(view: CallView) -> None:
        if view.phase in phases and not reached.done():
            reached.set_result(time.monotonic())

    stop = desk.subscribe(listen)
    try:
        return await reached
    finally:
        stop()


def host_peer(desk: CallDesk) -> Connection | None:
    group = desk.group
    shown = group.shown() if group else []
    return shown[0].peer if shown else None


def arrived_after(desk: CallDesk, kind: str, moment: float) -> bool:
    peer = host_peer(desk)
    got = peer.received.get(kind) if peer else None
    return bool(got and got.last_at > moment)


def first_picture(group: GroupCall) -> bool:
    return any(w.peer.picture() is not None for w in group.watched.values())


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_s": round(statistics.median(ordered), 3),
        "p95_s": round(p95, 3),
        "max_s": round(ordered[-1], 3),
        "n": len(ordered),
    }


async def join_times(server: CallServer, centre: CallDesk, rounds: int) -> dict[str, Any]:
    """The floor opens a fresh session as the centre's box does (TLS handshake with
    its certificate included), while the centre's desk is out of the room."""
    url, open_session = server.url, server.box_session()
    kiosk, floor = [], []
    for _ in range(rounds):
        start = time.monotonic()
        centre.join("meeting")
        kiosk.append(await until(lambda: bool(centre.remote_frames())) - start)
        centre.hang_up()
        await phase(centre, Phase.IDLE)
        start = time.monotonic()
        session = await open_session(url, None)
        group = GroupCall(session, ROOM, CENTRE, [], None)
        await group.open(StandInMedia((9, 9, 9), 440).tracks())
        floor.append(await until(lambda g=group: first_picture(g)) - start)
        await group.close()
        await session.close()
    return {
        "kiosk": summary(kiosk),
        "floor": summary(floor),
        "ratio_median": round(statistics.median(kiosk) / statistics.median(floor), 2),
    }


async def call_times(server: CallServer, centre: CallDesk, rounds: int) -> dict[str, Any]:
    staff = await StaffDesk.open(
        server.url,
        "cityhall-welfare",
        lambda: StandInMedia((40, 60, 200), 1000).tracks(),
        open_session=server.staff_session(("cityhall-welfare",)),
    )
    times = []
    for _ in range(rounds):
        start = time.monotonic()
        centre.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
        times.append(await until(lambda: bool(centre.remote_frames())) - start)
        centre.hang_up()
        await staff.next("hangup")
        await staff.hang_up()
        await phase(centre, Phase.IDLE)
    await staff.close()
    return summary(times)


async def kill_times(janus: CallServer, centre: CallDesk, rounds: int) -> dict[str, Any]:
    """Janus itself killed and started again (the gate in front of it stays up)."""
    detect, back = [], []
    for _ in range(rounds):
        killed = time.monotonic()
        janus.kill()
        detect.append(await phase(centre, Phase.RECONNECTING) - killed)
        janus.start()
        up = time.monotonic()
        await phase(centre, Phase.IN_ROOM)
        back.append(await until(lambda t=up: arrived_after(centre, "video", t)) - up)
    return {"loss_detected": summary(detect), "back_after_restart": summary(back)}


async def cut_times(
    network: PrivateNetwork, centre: CallDesk, rounds: int, seconds: float
) -> dict[str, Any]:
    audio, video = [], []
    for _ in range(rounds):
        network.cut()
        await asyncio.sleep(seconds)  # the outage itself
        network.mend()
        mended = time.monotonic()
        await phase(centre, Phase.IN_ROOM)
        audio.append(await until(lambda t=mended: arrived_after(centre, "audio", t)) - mended)
        video.append(await until(lambda t=mended: arrived_after(centre, "video", t)) - mended)
        await asyncio.sleep(2)  # steady again before the next cut
    return {"cut_s": seconds, "audio_back": summary(audio), "video_back": summary(video)}


async def browser_times(browser: StaffBrowser, rounds: int) -> dict[str, Any]:
    times = []
    for _ in range(rounds):
        with browser.showing(me=VIEWER, room=str(ROOM)):
            first = await browser.next(lambda r: r["event"] == "first-frame" and r["from"] == HOST)
            times.append(first["at"] / 1000)
    return summary(times)


async def turn_times(
    server: CallServer, network: PrivateNetwork, turn: TurnServer, rounds: int
) -> dict[str, Any]:
    """UDP blocked; city hall's host is a browser beside Janus (untouched by the block).
    The relay is configured without a login: the desk asks for one before each
    session, as a box asks city hall's identity service (GET /v1/turn)."""

    async def login() -> tuple[str, str]:
        return turn.login(BEHIND_UDP_BLOCK, 600)

    box = server.identity.enrol(BEHIND_UDP_BLOCK, turn.folder / "box")
    relay = IceServer(urls=turn.url)
    centre = desk_for(
        server.url, BEHIND_UDP_BLOCK, (200, 40, 40), server.box_session(box), (relay,), login
    )
    centre.start()
    await phase(centre, Phase.IDLE)
    token = server.identity.staff_pass((HOST,), rooms=(ROOM,), host=True)
    door = server.staff_door
    browser = StaffBrowser(
        network, door, turn.folder / "browser", (40, 60, 200), 1000, token=token, trust=door.cert
    )
    times, routes = [], set()
    network.drop_udp()
    try:
        with browser.showing(me=HOST, room=str(ROOM)):
            await browser.next(lambda r: r["event"] == "webrtc" and r["up"])
            for _ in range(rounds):
                start = time.monotonic()
                centre.join("meeting")
                times.append(await until(lambda: bool(centre.remote_frames())) - start)
                peer = host_peer(centre)
                routes.add(peer.route() if peer else None)
                centre.hang_up()
                await phase(centre, Phase.IDLE)
    finally:
        network.drop_udp(False)
        browser.close()
        await centre.close()
    return {"join_to_first_frame": summary(times), "routes": sorted(map(str, routes))}


async def measure(
    janus: CallServer, network: PrivateNetwork, rounds: int, long_rounds: int, folder: Path
) -> dict[str, Any]:
    url = janus.url
    host_session = janus.staff_session((HOST,), rooms=(ROOM,), host=True)
    host = desk_for(url, HOST, (40, 60, 200), host_session)
    centre = desk_for(url, CENTRE, (200, 40, 40), janus.box_session())
    host.start()
    centre.start()
    await phase(host, Phase.IDLE)
    await phase(centre, Phase.IDLE)
    host.join("meeting")
    await phase(host, Phase.IN_ROOM)
    try:
        return await _stages(janus, network, rounds, long_rounds, folder, host, centre)
    finally:
        await centre.close()
        await host.close()


def stage(name: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {name}", file=sys.stderr, flush=True)


async def _stages(
    janus: CallServer,
    network: PrivateNetwork,
    rounds: int,
    long_rounds: int,
    folder: Path,
    host: CallDesk,
    centre: CallDesk,
) -> dict[str, Any]:
    stage("join -> first frame: kiosk and floor")
    results: dict[str, Any] = {"join_to_first_frame": await join_times(janus, centre, rounds)}
    stage("join -> first frame: Chromium + janus.js")
    # Chromium reaches the gate's staff listener (TLS asking for no certificate),
    # with a staff pass.
    token = janus.identity.staff_pass((VIEWER,), rooms=(ROOM,), host=True)
    door = janus.staff_door
    browser = StaffBrowser(
        network, door, folder / "browser", (40, 160, 60), 700, token=token, trust=door.cert
    )
    try:
        results["browser_join_to_first_frame"] = await browser_times(browser, rounds)
    finally:
        browser.close()
    kiosk = results["join_to_first_frame"]["kiosk"]["median_s"]
    results["join_to_first_frame"]["browser_ratio_median"] = round(
        kiosk / results["browser_join_to_first_frame"]["median_s"], 2
    )
    stage("call -> first frame")
    results["call_to_first_frame"] = await call_times(janus, centre, rounds)
    centre.join("meeting")
    await until(lambda: bool(centre.remote_frames()))
    stage("Janus killed and restarted")
    results["janus_killed"] = await kill_times(janus, centre, rounds)
    stage("5 s cable cuts")
    results["cut_5s"] = await cut_times(network, centre, rounds, 5)
    stage("40 s cable cuts")
    results["cut_40s"] = await cut_times(network, centre, long_rounds, 40)
    await centre.close()
    await host.close()
    stage("UDP dropped: through TURN")
    secret = janus.identity.authority.turn_secret
    with TurnServer(network, folder / "turn", secret) as turn:
        results["udp_dropped_turn"] = await turn_times(janus, network, turn, rounds)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--long-rounds", type=int, default=3)
    parser.add_argument("--network", type=int, default=0, help="PrivateNetwork index")
    options = parser.parse_args()
    with PrivateNetwork(options.network) as network, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        centres = {CENTRE: (ROOM,), BEHIND_UDP_BLOCK: (ROOM,)}
        with CallServer(network, folder, centres, {ROOM: "회의"}, CENTRE) as janus:
            results = asyncio.run(
                measure(janus, network, options.rounds, options.long_rounds, folder)
            )
    results["machine"] = (
        f"{platform.node()} {platform.machine()} python {platform.python_version()}"
    )
    save("calls", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
