"""Which meeting room the fleet status says the centre is in: a real call desk on the
fake Janus (virtual clock), wired to the attendance as the calls' service wires it
(:func:`kiosk.app.calls.follow_room`). In the room only while in it: not while joining
or rejoining (no picture of it could come), and not once the senior left."""

import pytest

from kiosk.app.calls import follow_room
from kiosk.calls.desk import Phase
from kiosk.fleet.attendance import Attendance
from tests.unit.calls.fake_janus import FakeJanus
from tests.unit.calls.rig import ROOM, Rig
from tests.unit.calls.virtual import run


@pytest.mark.allow_warnings  # the dropped line is logged as it rejoins
def test_the_attendance_follows_the_desk_into_the_room_and_out() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        attendance = Attendance()
        told: list[int] = []
        attendance.subscribe(lambda: told.append(attendance.room))
        stop = follow_room(rig.desk, attendance)
        assert rig.desk.join("town-meeting")
        assert rig.desk.view.phase is Phase.JOINING and attendance.room == 0
        await rig.reach(Phase.IN_ROOM)
        assert attendance.room == rig.desk.room_number == ROOM
        janus.drop("centre-1")
        await rig.reach(Phase.RECONNECTING)
        assert attendance.room == 0, "rejoining: not in the room meanwhile"
        await rig.reach(Phase.IN_ROOM)
        assert attendance.room == ROOM
        rig.desk.hang_up()
        await rig.reach(Phase.IDLE)
        assert attendance.room == rig.desk.room_number == 0
        assert told == [ROOM, 0, ROOM, 0], "each change once"
        stop()
        await rig.close()

    run(scenario())


def test_a_listener_is_told_only_of_a_change() -> None:
    attendance = Attendance()
    heard: list[int] = []
    stop = attendance.subscribe(lambda: heard.append(attendance.room))
    attendance.set(0)
    attendance.set(1001)
    attendance.set(1001)
    attendance.set(7)
    stop()
    attendance.set(0)
    assert heard == [1001, 7] and attendance.room == 0
