"""The demo's city hall: a call server and a staff member, on this machine.

``python -m kiosk_demo.cityhall`` (as root) starts Janus in its own network
namespace (city hall at 198.18.0.2, this machine at 198.18.0.1; see
:mod:`kiosk_demo.network`) behind city hall's call gate
(``wss://198.18.0.2:8989/``), registers the welfare office as
``cityhall-welfare``, answers every call from the demo centre with a test picture
and a spoken greeting, and hosts the town meeting (room 1001) with the same.
``kill -USR1 <pid>`` makes city hall call the demo centre. Ctrl+C (or SIGTERM)
removes the namespace again.

It shows the real flow of identity (see the README's *Identity and access*): at
each start it makes a fleet CA of its own, issues a one-time code for the demo
centre, and the demo box (its state folder, where ``kiosk run --demo`` keeps it)
makes its key and is certified with that code through city hall's identity
service, as a technician's enrolment does; its staff get staff passes. Janus
refuses anyone who does not come through the gate, and the gate lets the box
register only its own name and join only its room.
"""

import asyncio
import datetime as dt
import logging
import os
import signal
import ssl
import sys
import tempfile
from functools import partial
from pathlib import Path

from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame

from kiosk.calls.desk import CallDesk, CallView, Phase
from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.line import OpenSession
from kiosk.calls.tracks import BarsTrack
from kiosk.calls.videocall import CallEvent
from kiosk.demolink import demo_state_dir
from kiosk.paths import Paths, default_assets
from kiosk_contract.config import read_config
from kiosk_contract.config.calls import Calls
from kiosk_contract.config.calls import Room as RoomConfig
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.server import GateServer, JanusServer
from kiosk_demo.staff import StaffDesk
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.directory import write_directory
from kiosk_provisioning.identity.tokens import issue_staff_pass
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

    def picture(self) -> MediaStreamTrack:
        sound, picture = greeting_tracks()
        sound.stop()
        return picture

    def hear(self, source: object, frame: AudioFrame) -> None:
        pass

    def silence(self) -> None:
        pass

    def forget(self, source: object) -> None:
        pass

    def change_volume(self, delta: int) -> int:
        return 100


def host_desk(url: str, open_session: OpenSession = JanusSession.open) -> CallDesk:
    """City hall's host of the meeting: a call desk of its own, so that it rejoins
    the room by itself after any loss, as a centre does."""
    calls = Calls(
        server=url,
        call_name=HOST,
        rooms=[RoomConfig(id=MEETING, number=ROOM, title="마을 회의")],
    )
    return CallDesk(calls, HOST, Greeting(), dt.datetime.now, open_session=open_session)


class DemoIdentity:
    """City hall's identity for one run of the demo, in *folder*: a fleet CA of its
    own, the demo centre in the directory (its call name and room, the room's keys),
    and staff passes for the welfare office and the meeting's host."""

    def __init__(self, folder: Path) -> None:
        self.repo = folder / "repo"
        self.authority = Authority.open(self.repo / "identity")
        config = read_config(default_assets() / "demo" / "config.json")
        self.centre_id = config.centre.id
        self.directory = write_directory(self.authority.folder, [config])

    def janus_setup(self, network: PrivateNetwork) -> JanusSetup:
        """Janus sharing the gate's token secret, with the demo's rooms and their keys."""
        rooms = tuple(
            Room(number, "마을 회의", secret=keys.secret)
            for number, keys in self.directory.rooms.items()
        )
        return JanusSetup(
            rooms=rooms, interfaces=(network.inner,), token_secret=self.authority.janus_secret
        )

    def staff_session(self, name: str, host: bool = False) -> OpenSession:
        """Sessions opened by a staff member with a pass for *name* (the gate checked
        against the fleet CA)."""
        rooms = [ROOM] if host else []
        token = issue_staff_pass(self.authority.token_key, name, [name], rooms, host)
        trust = ssl.create_default_context(cafile=self.authority.ca_path)
        return partial(JanusSession.open, tls=trust, token=token)

    def enrol_box(self, box: Paths) -> None:
        """Enrol the demo box at *box* with a one-time code through city hall's own
        identity service, as a technician's ``kiosk enroll`` does: the box makes its
        key, only its certificate request crosses."""
        from kiosk.sync.enrolment import request_certificate
        from kiosk_provisioning.identity.commands import grouped
        from kiosk_provisioning.identity.service import start

        cert, key = self.authority.issue_server_cert(["127.0.0.1"], self.repo / "identity-tls")
        service = start(self.authority.folder, cert, key, host="127.0.0.1", port=0)
        try:
            code = self.authority.issue_code(self.centre_id, replace=True)
            log.info("one-time code for %s: %s", self.centre_id, grouped(code))
            # The demo box trusts this run's CA, as a city's boxes trust its servers.
            os.environ["REQUESTS_CA_BUNDLE"] = str(self.authority.ca_path)
            request_certificate(box, service.url, self.centre_id, code)
            log.info("the demo box is enrolled as %s (%s)", self.centre_id, box.state / "identity")
        finally:
            service.close()


async def serve(
    url: str,
    stop: asyncio.Event,
    ring: asyncio.Event,
    ready: asyncio.Event | None = None,
    centre: str = CENTRE,
    *,
    staff_session: OpenSession = JanusSession.open,
    host_session: OpenSession = JanusSession.open,
) -> None:
    """Answer the centre's calls, host the meeting, call *centre* when *ring* is set;
    *ready* is set once both are registered. Every part outlives a lost session.
    *staff_session*, *host_session*: how the welfare office and the host open their
    sessions (with their staff passes)."""
    desk = await StaffDesk.open(url, STAFF, greeting_tracks, open_session=staff_session)
    host = host_desk(url, host_session)
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
    box = Paths(Path("/etc/kiosk"), demo_state_dir(), default_assets())
    with PrivateNetwork(0) as network, tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        identity = DemoIdentity(folder)
        with (
            JanusServer(network, folder / "janus", identity.janus_setup(network)) as janus,
            GateServer(network, janus, identity.repo, folder / "gate") as gate,
        ):
            identity.enrol_box(box)
            asyncio.run(
                run(
                    gate.url,
                    staff_session=identity.staff_session(STAFF),
                    host_session=identity.staff_session(HOST, host=True),
                )
            )
    return 0


async def run(
    url: str,
    ready: asyncio.Event | None = None,
    centre: str = CENTRE,
    **sessions: OpenSession,
) -> None:
    """:func:`serve` until SIGINT or SIGTERM; SIGUSR1 rings *centre*. *sessions*:
    ``staff_session``, ``host_session`` as for :func:`serve`."""
    loop = asyncio.get_running_loop()
    stop, ring = asyncio.Event(), asyncio.Event()
    signals = {signal.SIGINT: stop.set, signal.SIGTERM: stop.set, signal.SIGUSR1: ring.set}
    for number, handler in signals.items():
        loop.add_signal_handler(number, handler)
    try:
        await serve(url, stop, ring, ready, centre, **sessions)
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


if __name__ == "__main__":
    sys.exit(main())
