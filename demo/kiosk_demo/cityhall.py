"""The demo's city hall: a call server and a staff member, on this machine.

``python -m kiosk_demo.cityhall`` (as root) starts Janus in its own network
namespace (city hall at 198.18.0.2, this machine at 198.18.0.1; see
:mod:`kiosk_demo.network`), registers the welfare office as
``cityhall-welfare``, answers every call from the demo centre with a test picture
and a spoken greeting, and hosts the town meeting (room 1001) with the same.
``kill -USR1 <pid>`` makes city hall call the demo centre. Ctrl+C (or SIGTERM)
removes the namespace again.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamTrack

from kiosk.calls.group import GroupCall
from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.tracks import BarsTrack
from kiosk.paths import default_assets
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.server import JanusServer
from kiosk_demo.staff import StaffDesk
from kiosk_provisioning.janus_config import JanusSetup, Room

log = logging.getLogger("kiosk_demo.cityhall")
CLOSE_S = 8.0

STAFF = "cityhall-welfare"
HOST = "cityhall-host"
CENTRE = "demo-centre"
ROOM = 1001


def greeting_tracks() -> tuple[MediaStreamTrack, MediaStreamTrack]:
    """The spoken greeting (repeated) and the colour bars, fresh for one connection."""
    player = MediaPlayer(str(default_assets() / "demo" / "cityhall-greeting.wav"), loop=True)
    assert player.audio is not None
    return player.audio, BarsTrack((0, 0, 0))


async def serve(url: str, stop: asyncio.Event, ring: asyncio.Event) -> None:
    """Answer the centre's calls, host the meeting, call the centre when asked."""
    desk = await StaffDesk.open(url, STAFF, greeting_tracks)
    host_session = await JanusSession.open(url)
    host = GroupCall(host_session, ROOM, HOST, [], None)
    await host.open(greeting_tracks())
    hosting = asyncio.create_task(host.run(2, 3600, lambda shaky: None))
    log.info("city hall is ready: %s answers calls, %s hosts room %d", STAFF, HOST, ROOM)
    tasks = [asyncio.create_task(follow(desk)), asyncio.create_task(call_when_asked(desk, ring))]
    try:
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        hosting.cancel()
        try:
            # Bounded: a server that stopped answering must not keep city hall (and
            # its network namespace) alive; Janus is stopped after this either way.
            async with asyncio.timeout(CLOSE_S):
                with contextlib.suppress(asyncio.CancelledError):
                    await hosting
                await host.close()
                await host_session.close()
                await desk.close()
        except TimeoutError:
            log.warning("closing took over %.0f s; stopping anyway", CLOSE_S)


async def follow(desk: StaffDesk) -> None:
    """Answer every call; take the centre's answer to ours; tidy up after a hang-up."""
    while True:
        event = await desk.events.get()
        if event.name == "incomingcall":
            log.info("answering a call from %s", event.peer)
            await desk.answer(event)
        elif event.name == "accepted" and event.jsep is not None and desk.peer is not None:
            log.info("%s answered", CENTRE)
            await desk.peer.accept(event.jsep)
        elif event.name == "hangup":
            log.info("the call ended (%s)", event.reason)
            await desk.hang_up()
        elif event.name == "lost":
            return


async def call_when_asked(desk: StaffDesk, ring: asyncio.Event) -> None:
    while True:
        await ring.wait()
        ring.clear()
        log.info("calling %s", CENTRE)
        with contextlib.suppress(JanusError):
            await desk.call(CENTRE)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="city hall: %(message)s")
    logging.getLogger("aioice").setLevel(logging.WARNING)
    if os.geteuid() != 0:
        print(
            "city hall: the demo's call server needs root (it runs in its own network "
            "namespace); without it the kiosk says calls are unavailable.",
            file=sys.stderr,
        )
        return 2
    with PrivateNetwork(0) as network, tempfile.TemporaryDirectory() as folder:
        setup = JanusSetup(rooms=(Room(ROOM, "마을 회의"),), interfaces=(network.inner,))
        with JanusServer(network, Path(folder), setup) as janus:
            asyncio.run(_run(janus.url))
    return 0


async def _run(url: str) -> None:
    loop = asyncio.get_running_loop()
    stop, ring = asyncio.Event(), asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, ring.set)
    await serve(url, stop, ring)


if __name__ == "__main__":
    sys.exit(main())
