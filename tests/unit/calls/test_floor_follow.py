"""The call desk following city hall's floor in a town meeting, on the fake Janus and
the virtual clock: what it sends as the floor changes, and a stop Janus refuses."""

import asyncio
import time
from collections.abc import Callable

import msgspec
import pytest

from kiosk.calls.desk import Phase
from kiosk.calls.floor import FloorBoard
from kiosk.calls.phase import Seat
from kiosk_contract.config.calls import Room
from tests.floors import floor_of
from tests.unit.calls.fake_janus import FakeJanus
from tests.unit.calls.rig import ROOM, Rig, calls_for
from tests.unit.calls.virtual import run

CENTRE = "centre-1"


async def _until(check: Callable[[], bool]) -> None:
    """Poll *check* on the virtual clock (what it waits on has no event to wait for)."""
    async with asyncio.timeout(60):
        while not check():  # noqa: ASYNC110 - polled state, no event to wait on
            await asyncio.sleep(0.01)


async def _in_meeting(
    janus: FakeJanus, clock: Callable[[], float] = time.time
) -> tuple[Rig, FloorBoard]:
    """The desk of :data:`CENTRE` in the town meeting (a room with a floor) on *janus*,
    and the board its floors are offered on (its clock: *clock*)."""
    board = FloorBoard(CENTRE, clock)
    meeting = Room(id="town-meeting", number=ROOM, title="군민 회의", floor=True)
    rig = await Rig(janus, calls=calls_for(janus, rooms=[meeting]), floor=board).started()
    assert rig.desk.join("town-meeting")
    await rig.reach(Phase.IN_ROOM)
    return rig, board


@pytest.mark.allow_warnings  # the refused stop is the point
def test_a_stop_janus_refuses_leaves_the_centre_on_air_until_it_can_stop() -> None:
    """Janus refuses to unpublish a feed whose media is not up yet: the centre is still
    on air (and its screen says so) until the follower's next try stops it, and the
    hang-up Janus then sends does not end the stay."""

    async def scenario() -> None:
        janus = FakeJanus()
        janus.media_up = False
        rig, board = await _in_meeting(janus)
        desk = rig.desk
        assert board.offer(floor_of(ROOM, 1, CENTRE)) is None
        await _until(lambda: desk.view.seat is Seat.ON_AIR)
        sending = [h for h in janus.handles.values() if h.publishing]
        assert len(sending) == 1
        assert board.offer(floor_of(ROOM, 2)) is None  # taken back at once, the media not up
        await _until(lambda: janus.count("unpublish") >= 1)
        assert desk.view.seat is Seat.ON_AIR, "refused: still sending, and the screen says so"
        sending[0].media = True  # the media comes up
        await _until(lambda: desk.view.seat is Seat.WATCHING)
        assert not sending[0].publishing and janus.count("unpublish") == 2
        group = desk._rooms.group
        assert group is not None
        await _until(lambda: group._hangups_expected == 0)  # Janus' hang-up taken as ours
        assert desk.view.phase is Phase.IN_ROOM
        desk.hang_up()
        await rig.reach(Phase.IDLE)
        await rig.close()

    run(scenario())


def test_shown_then_on_air_then_shown_sends_the_camera_then_both_then_the_camera() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig, board = await _in_meeting(janus)
        desk = rig.desk
        steps = [
            (floor_of(ROOM, 1, shown=(CENTRE,)), Seat.WATCHING, True),
            (floor_of(ROOM, 2, CENTRE), Seat.ON_AIR, False),
            (floor_of(ROOM, 3, shown=(CENTRE,)), Seat.WATCHING, True),
            (floor_of(ROOM, 4), Seat.WATCHING, False),
        ]
        for floor, seat, looked_at in steps:
            assert board.offer(floor) is None
            wanted = (seat, looked_at)
            await _until(lambda w=wanted: (desk.view.seat, desk.view.looked_at) == w)  # type: ignore[misc]
            group = desk._rooms.group
            assert group is not None
            expected = {Seat.ON_AIR: (True, True), Seat.WATCHING: (looked_at, False)}[seat]
            assert (group.speaking, group.sound) == expected, floor
        assert desk.view.phase is Phase.IN_ROOM  # never left the room
        desk.hang_up()
        await rig.reach(Phase.IDLE)
        await rig.close()

    run(scenario())


def test_a_floor_renewed_as_it_was_changes_nothing_on_air() -> None:
    """City hall signs a long meeting's floor again before it runs out, naming the same
    centres: the centre stays on air, its media untouched (no new send, no stop), past
    the first floor's end and for a long while of the virtual clock after."""

    async def scenario() -> None:
        janus = FakeJanus()
        clock = [time.time()]
        rig, board = await _in_meeting(janus, lambda: clock[0])
        desk = rig.desk
        first = floor_of(ROOM, 1, CENTRE)
        assert board.offer(first) is None
        await _until(lambda: desk.view.seat is Seat.ON_AIR)
        since = asyncio.get_running_loop().time()
        renewed = msgspec.structs.replace(
            first, seq=2, issued_at=first.expires_at - 60, expires_at=first.expires_at + 540
        )
        assert board.offer(renewed) is None
        clock[0] = first.expires_at + 1  # the first floor has run out, the renewed not
        board.tick()
        await asyncio.sleep(30)  # the virtual clock: every retry and timer due runs
        assert board.on_air(ROOM)
        assert desk.view.seat is Seat.ON_AIR and desk.view.phase is Phase.IN_ROOM
        asked = [name for at, name in janus.requests if at >= since]
        assert set(asked) <= {"keepalive"}, asked  # the session kept alive, and only that
        desk.hang_up()
        await rig.reach(Phase.IDLE)
        await rig.close()

    run(scenario())
