"""The demo's city-hall staff desk (demo/kiosk_demo/staff.py) on a fake Janus: it
registers again after any loss, so a call asked for afterwards still rings."""

import pytest

from kiosk.calls.desk import Phase
from kiosk.calls.janus import SessionLostError
from tests.unit.calls.rig import Rig
from tests.unit.calls.virtual import run


@pytest.mark.allow_warnings
def test_after_a_lost_session_city_halls_call_still_rings() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        rig.janus.drop("cityhall-welfare")  # as a ping timeout did in the demo
        assert (await staff.next("lost")).name == "lost"
        await staff.call("centre-1")
        assert (await rig.reach(Phase.RINGING)).who == "남원시청 복지과"
        rig.desk.answer()
        await staff.connected()
        await rig.reach(Phase.IN_CALL)
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_call_asked_while_the_line_is_down_waits_for_it() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        rig.janus.drop("cityhall-welfare")
        await staff.next("lost")
        assert not staff.up
        await staff.call("centre-1")  # asked at once: rings once registered again
        assert staff.up
        await rig.reach(Phase.RINGING)
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_call_placed_as_the_session_dies_is_placed_again() -> None:
    """The session is already gone but nobody has noticed yet (a ping timeout about to
    fire): the call fails on it, and is placed once the desk is registered again."""

    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        rig.janus.drop("cityhall-welfare")
        await staff.call("centre-1")  # in the same instant
        await rig.reach(Phase.RINGING)
        assert rig.janus.count("register") == 3  # the centre, and the staff twice
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_name_that_stays_taken_is_said_so() -> None:
    async def scenario() -> None:
        rig = Rig()
        first = await rig.staff()
        with pytest.raises(SessionLostError, match="already taken"):
            await rig.staff()
        await first.close()

    run(scenario())
