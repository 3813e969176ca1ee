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
import datetime as dt
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame

from kiosk.calls.desk import CallDesk, CallView, Phase
from kiosk.calls.janus import JanusError
from kiosk.calls.tracks import BarsTrack
from kiosk.calls.videocall import CallEvent
from kiosk.paths import default_assets
from kiosk_contract.config.calls import Calls
from kiosk_contract.config.calls import Room as RoomConfig
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
MEETING = "meeting"


def greeting_tracks() -> tuple[MediaStreamTrack, MediaStreamTrack]:
    """The spoken greeting (repeated) and the colour bars, fresh for one connection."""
    player = MediaPlayer(str(default_assets() / "demo" / "cityhall-greeting.wav"), loop=True)
    assert player.audio is not None
    return player.audio, BarsTrack((0, 0, 0))


class Greeting:
    """The host's media: the greeting and the bars out, nothing played back."""

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        return greeting_tracks()

    def hear(self, source: object, frame: AudioFrame) -> None:
        pass

    def silence(self) -> None:
        pass

    def change_volume(self, delta: int) -> int:
        return 100


def host_desk(url: str) -> CallDesk:
    """City hall's host of the meeting: a call desk of its own, so that it rejoins
    the room by itself after any loss, as a centre does."""
    calls = Calls(
        server=url,
        call_name=HOST,
        rooms=[RoomConfig(id=MEETING, number=ROOM, title="마을 회의")],
    )
    return CallDesk(calls, HOST, Greeting(), dt.datetime.now)


async def serve(
    url: str,
    stop: asyncio.Event,
    ring: asyncio.Event,
    ready: asyncio.Event | None = None,
    centre: str = CENTRE,
) -> None:
    """Answer the centre's calls, host the meeting, call *centre* when *ring* is set;
    *ready* is set once both are registered. Every part outlives a lost session."""
    desk = await StaffDesk.open(url, STAFF, greeting_tracks)
    host = host_desk(url)
    hosting = host.subscribe(lambda view: _host_follows(host, view))
    host.start()
    tasks = [
        asyncio.create_task(follow(desk)),
        asyncio.create_task(call_when_asked(desk, ring, centre)),
    ]
    try:
        await _until(host, Phase.IN_ROOM)
        log.info("city hall is ready: %s answers calls, %s hosts room %d", STAFF, HOST, ROOM)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        hosting()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            # Bounded: a server that stopped answering must not keep city hall (and
            # its network namespace) alive; Janus is stopped after this either way.
            async with asyncio.timeout(CLOSE_S):
                await host.close()
                await desk.close()
        except TimeoutError:
            log.warning("closing took over %.0f s; stopping anyway", CLOSE_S)


def _host_follows(host: CallDesk, view: CallView) -> None:
    """The host is in the meeting whenever its line is up (joined from the loop, not
    from inside the desk's telling its listeners)."""
    if view.phase is Phase.IDLE:
        asyncio.get_running_loop().call_soon(host.join, MEETING)


async def _until(desk: CallDesk, phase: Phase) -> None:
    reached = asyncio.Event()
    stop = desk.subscribe(lambda view: reached.set() if view.phase is phase else None)
    try:
        if desk.view.phase is not phase:
            await reached.wait()
    finally:
        stop()


async def follow(desk: StaffDesk) -> None:
    """Answer every call; take the centre's answer to ours; tidy up after a hang-up.
    A session lost only ends the call on it: the desk registers again by itself."""
    while True:
        event = await desk.events.get()
        try:
            await _follow(desk, event)
        except JanusError as err:
            log.warning("%s: %s", event.name, err)


async def _follow(desk: StaffDesk, event: CallEvent) -> None:
    if event.name == "incomingcall":
        log.info("answering a call from %s", event.peer)
        await desk.answer(event)
    elif event.name == "accepted" and event.jsep is not None and desk.peer is not None:
        log.info("the centre answered")
        await desk.peer.accept(event.jsep)
    elif event.name == "hangup":
        log.info("the call ended (%s)", event.reason)
        await desk.hang_up()
    elif event.name == "lost":
        log.info("the session was lost; registering again")


async def call_when_asked(desk: StaffDesk, ring: asyncio.Event, centre: str = CENTRE) -> None:
    while True:
        await ring.wait()
        ring.clear()
        log.info("calling %s", centre)
        try:
            await desk.call(centre)
        except JanusError as err:
            log.warning("could not call %s: %s", centre, err)


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
            asyncio.run(run(janus.url))
    return 0


async def run(url: str, ready: asyncio.Event | None = None, centre: str = CENTRE) -> None:
    """:func:`serve` until SIGINT or SIGTERM; SIGUSR1 rings *centre*."""
    loop = asyncio.get_running_loop()
    stop, ring = asyncio.Event(), asyncio.Event()
    signals = {signal.SIGINT: stop.set, signal.SIGTERM: stop.set, signal.SIGUSR1: ring.set}
    for number, handler in signals.items():
        loop.add_signal_handler(number, handler)
    try:
        await serve(url, stop, ring, ready, centre)
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


if __name__ == "__main__":
    sys.exit(main())
