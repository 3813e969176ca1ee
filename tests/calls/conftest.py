"""The call rig: a real Janus in its own network namespace, joined to ours by a
veth pair with addresses from 198.18.0.0/15, torn down after each test, and city
hall's call gate in front of it: every box and staff member comes through the gate
with a credential from the test's own fleet CA (see :mod:`tests.calls.identities`)."""

import array
import asyncio
import datetime as dt
import os
import weakref
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kiosk.calls.desk import CallDesk, CallView, Phase, TurnLogin
from kiosk.calls.floor import FloorBoard
from kiosk.calls.janus import JanusSession
from kiosk.calls.line import OpenSession
from kiosk.calls.local import StandInMedia
from kiosk.calls.peer import LIVE
from kiosk.calls.speaker import MAX_BACKLOG
from kiosk_contract.config.calls import Calls
from kiosk_demo.network import PrivateNetwork
from tests.calls import identities
from tests.calls.chromium import StaffBrowser
from tests.unit.calls.rig import KST as KST
from tests.unit.calls.rig import MAYOR as MAYOR
from tests.unit.calls.rig import ROOM as ROOM
from tests.unit.calls.rig import TUESDAY_10 as TUESDAY_10
from tests.unit.calls.rig import WELFARE as WELFARE
from tests.unit.calls.rig import calls_for as calls_for
from tests.unit.calls.views import Views
from tests.unit.calls.virtual import hung

T = TypeVar("T")
HANG_S = 60.0
"""A scenario not done in this long has hung (a detector, not a speed check)."""
# What each side sends, so each side can check it receives the other's.
CENTRE_COLOUR, CENTRE_TONE = (200, 40, 40), 440
HALL_COLOUR, HALL_TONE = (40, 60, 200), 1000


@pytest.fixture(autouse=True)
def every_connection_closed() -> Iterator[None]:
    """A test that leaves an aiortc connection open (its sockets with it) fails."""
    before = set(LIVE)
    yield
    left = [peer for peer in LIVE if peer not in before and not peer.closed]
    assert not left, f"{len(left)} connection(s) left open: {left}"


@pytest.fixture
def network() -> Iterator[PrivateNetwork]:
    if os.geteuid() != 0:
        pytest.fail("the call rig needs root (network namespaces); run the tests as root")
    with PrivateNetwork(0) as net:
        yield net


CENTRE = "centre-1"
"""The test centre (its call name too); in room ROOM."""
OTHER = "centre-2"
"""Another centre of the fleet."""
OTHER_ROOM = 1002
"""The other centre's room (the test centre is not in it)."""
BOX_SESSIONS: dict[str, OpenSession] = {}
"""How the test centre's box opens sessions at each call server of the running test
(its certificate shown): :func:`make_desk` looks its server up here."""


class CallServer(identities.CallServer):
    """City hall's call server of the tests (see :class:`identities.CallServer`):
    the test centre and the other centre in their rooms, the test centre's box
    enrolled, its sessions in :data:`BOX_SESSIONS` while it runs.

    *members*: more centres in ROOM, each with its own box enrolled (its own key and
    certificate, :attr:`boxes`); *floor*: ROOM a town meeting at the gate (a box
    sends into it only while the floor file names its centre)."""

    def __init__(
        self,
        network: PrivateNetwork,
        folder: Path,
        *,
        members: tuple[str, ...] = (),
        floor: bool = False,
        **changes: object,
    ) -> None:
        centres = {CENTRE: (ROOM,), OTHER: (OTHER_ROOM,)} | {c: (ROOM,) for c in members}
        rooms = {ROOM: "town meeting", OTHER_ROOM: "other class"}
        floors = (ROOM,) if floor else ()
        super().__init__(network, folder, centres, rooms, CENTRE, floors=floors, **changes)
        self.boxes = {CENTRE: self.box}
        """Every enrolled box, by centre id."""
        for centre in members:
            self.boxes[centre] = self.identity.enrol(centre, folder / "boxes" / centre)

    def __enter__(self) -> "CallServer":
        super().__enter__()
        BOX_SESSIONS[self.url] = self.box_session()
        return self

    def __exit__(self, *exc: object) -> None:
        BOX_SESSIONS.pop(self.url, None)
        super().__exit__(*exc)


@pytest.fixture
def janus(network: PrivateNetwork, tmp_path: Path) -> Iterator[CallServer]:
    with CallServer(network, tmp_path) as server:
        yield server


@pytest.fixture
def browser(network: PrivateNetwork, janus: CallServer, tmp_path: Path) -> Iterator[StaffBrowser]:
    """City hall staff in Chromium (janus.js) with a staff pass for every staff name,
    the room, and hosting; sending the hall's colour and tone."""
    token = janus.identity.staff_pass(rooms=(ROOM,), host=True)
    door = janus.staff_door
    staff = StaffBrowser(
        network, door, tmp_path, HALL_COLOUR, HALL_TONE, token=token, trust=door.cert
    )
    yield staff
    staff.close()


def make_desk(
    calls: Calls,
    when: dt.datetime = TUESDAY_10,
    media: StandInMedia | None = None,
    turn_login: TurnLogin | None = None,
    floor: FloorBoard | None = None,
    centre: str = CENTRE,
    open_session: OpenSession | None = None,
) -> CallDesk:
    """A desk of *centre* sending its colour and tone (or what *media* sends), asking
    *turn_login* for TURN logins, following *floor* in rooms with one; it opens
    sessions with *open_session* (by default as the test centre's box)."""
    media = media or StandInMedia(CENTRE_COLOUR, CENTRE_TONE)
    opener = open_session or BOX_SESSIONS.get(calls.server or "", JanusSession.open)
    desk = CallDesk(
        calls,
        centre,
        media,
        lambda: when,
        open_session=opener,
        turn_login=turn_login,
        floor=floor,
    )
    RECORDS[desk] = Record(desk, media)
    return desk


async def started(
    calls: Calls,
    media: StandInMedia | None = None,
    turn_login: TurnLogin | None = None,
    floor: FloorBoard | None = None,
    centre: str = CENTRE,
    open_session: OpenSession | None = None,
) -> CallDesk:
    """A desk registered with the server, idle (see :func:`make_desk`)."""
    desk = make_desk(
        calls,
        media=media,
        turn_login=turn_login,
        floor=floor,
        centre=centre,
        open_session=open_session,
    )
    desk.start()
    await reach(desk, Phase.IDLE)
    return desk


class Record(Views):
    """Every view a desk showed (see :class:`Views`), and the media it was given."""

    def __init__(self, desk: CallDesk, media: StandInMedia) -> None:
        super().__init__(desk)
        self.media = media


RECORDS: "weakref.WeakKeyDictionary[CallDesk, Record]" = weakref.WeakKeyDictionary()


async def reach(desk: CallDesk, *phases: Phase) -> CallView:
    """The desk's next view in one of *phases*, now or later (see :meth:`Views.reach`)."""
    return await RECORDS[desk].reach(*phases)


async def heard(desk: CallDesk, windows: int = 1) -> list[int]:
    """The next *windows* × 200 ms the centre's speaker would play (every far side mixed)."""
    mixer = RECORDS[desk].media.mixer
    samples: list[int] = []
    for _ in range(windows):
        await until(lambda: mixer.pending() >= MAX_BACKLOG)
        samples += array.array("h", mixer.take(MAX_BACKLOG))
    return samples


async def until(check: Callable[[], bool], step: float = 0.02) -> None:
    """Poll *check* (media arriving has no event to wait on)."""
    while not check():  # noqa: ASYNC110 - frames arriving have no event to wait on
        await asyncio.sleep(step)


def run(scenario: Coroutine[Any, Any, T], limit: float = HANG_S) -> T:
    """Run *scenario* on a fresh loop; a hang fails it after HANG_S, naming where
    every task was stuck."""

    async def guarded() -> T:
        main = asyncio.create_task(scenario)
        try:
            done, _ = await asyncio.wait({main}, timeout=limit)
        finally:
            # A scenario that failed half-way leaves its desks open: close them here,
            # so its failure is reported alone, not with leaked sockets in later tests.
            for desk in list(RECORDS):
                await desk.close()
        if not done:
            hung(main, f"{limit:.0f} s")
        return main.result()

    return asyncio.run(guarded())
