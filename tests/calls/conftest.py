"""The call rig: a real Janus in its own network namespace, joined to ours by a
veth pair with addresses from 198.18.0.0/15, torn down after each test."""

import array
import asyncio
import datetime as dt
import io
import os
import weakref
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kiosk.calls.desk import CallDesk, CallView, Phase
from kiosk.calls.local import StandInMedia
from kiosk.calls.peer import LIVE
from kiosk.calls.speaker import MAX_BACKLOG
from kiosk_contract.config.calls import AutoAnswer, Calls, Contact
from kiosk_contract.config.calls import Room as RoomConfig
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.server import JanusServer
from kiosk_provisioning.janus_config import JanusSetup, Room
from tests.calls.chromium import StaffBrowser

T = TypeVar("T")
HANG_S = 60.0
"""A scenario not done in this long has hung (a detector, not a speed check)."""
ROOM = 1001
KST = dt.timezone(dt.timedelta(hours=9))
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=KST)

WELFARE = Contact(
    id="city-hall",
    name="cityhall-welfare",
    label="남원시청 복지과",
    label_en="Namwon City Hall, welfare",
    auto_answer=True,
)
MAYOR = Contact(id="mayor", name="cityhall-mayor", label="시장실")

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


@pytest.fixture
def janus(network: PrivateNetwork, tmp_path: Path) -> Iterator[JanusServer]:
    setup = JanusSetup(rooms=(Room(ROOM, "town meeting"),), interfaces=(network.inner,))
    with JanusServer(network, tmp_path / "janus", setup) as server:
        yield server


@pytest.fixture
def browser(network: PrivateNetwork, janus: JanusServer, tmp_path: Path) -> Iterator[StaffBrowser]:
    """City hall staff in Chromium (janus.js), sending the hall's colour and tone."""
    staff = StaffBrowser(network, janus, tmp_path, HALL_COLOUR, HALL_TONE)
    yield staff
    staff.close()


def calls_for(janus: JanusServer, **changes: Any) -> Calls:
    settings: dict[str, Any] = {
        "server": janus.url,
        "call_name": "centre-1",
        "contacts": [WELFARE, MAYOR],
        "rooms": [
            RoomConfig(id="town-meeting", number=ROOM, title="군민 회의", host="cityhall-host")
        ],
        "auto_answer": AutoAnswer(after_s=0),
    }
    settings.update(changes)
    return Calls(**settings)


def make_desk(
    calls: Calls, when: dt.datetime = TUESDAY_10, media: StandInMedia | None = None
) -> CallDesk:
    """A desk sending the centre's colour and tone (or what *media* sends)."""
    media = media or StandInMedia(CENTRE_COLOUR, CENTRE_TONE)
    desk = CallDesk(calls, "centre-1", media, lambda: when)
    RECORDS[desk] = Record(media)
    desk.subscribe(RECORDS[desk].add)
    return desk


async def started(calls: Calls, media: StandInMedia | None = None) -> CallDesk:
    """A desk registered with the server, idle."""
    desk = make_desk(calls, media=media)
    desk.start()
    await reach(desk, Phase.IDLE)
    return desk


class Record:
    """Every view a desk showed, in order, and how far a test has read them."""

    def __init__(self, media: StandInMedia) -> None:
        self.media = media
        self.views: list[CallView] = []
        self.read = 0
        self.new = asyncio.Event()

    def add(self, view: CallView) -> None:
        self.views.append(view)
        self.new.set()


RECORDS: "weakref.WeakKeyDictionary[CallDesk, Record]" = weakref.WeakKeyDictionary()


async def reach(desk: CallDesk, *phases: Phase) -> CallView:
    """The next view (after the last one returned) in one of *phases*, now or later.

    Reading the desk's history in order means a phase that came and went while
    the test awaited something else is still seen.
    """
    record = RECORDS[desk]
    if record.read == 0 and desk.view.phase in phases and not record.views:
        return desk.view
    while True:
        while record.read < len(record.views):
            view = record.views[record.read]
            record.read += 1
            if view.phase in phases:
                return view
        record.new.clear()
        await record.new.wait()


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
            stuck = io.StringIO()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.print_stack(limit=6, file=stuck)
            main.cancel()
            pytest.fail(f"scenario hung for {limit:.0f} s; tasks:\n{stuck.getvalue()}")
        return main.result()

    return asyncio.run(guarded())
