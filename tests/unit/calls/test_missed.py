"""Which calls the desk reports as missed (city hall rang, nobody answered) and which as
talked: on the fake Janus, virtual clock, city hall's real staff desk."""

import datetime as dt

import pytest

from kiosk.calls.desk import Notice, Phase
from kiosk_contract.config.calls import Contact
from tests.unit.calls.rig import TUESDAY_10, WELFARE, Rig, answered
from tests.unit.calls.virtual import run


class Heard:
    """What the desk told its two hooks."""

    def __init__(self, rig: Rig) -> None:
        self.missed: list[tuple[str, dt.datetime]] = []
        self.talked: list[str] = []
        rig.desk.missed = lambda contact, at: self.missed.append((contact.id, at))
        rig.desk.talked = lambda contact: self.talked.append(contact.id)


def test_a_call_that_rings_out_is_missed_since_it_began_to_ring() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        heard = Heard(rig)
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        rig.when = TUESDAY_10 + dt.timedelta(seconds=30)  # it rang for a while
        await staff.hang_up()  # city hall gives up
        assert (await rig.reach(Phase.ENDED)).notice is Notice.CALLER_LEFT
        await rig.reach(Phase.IDLE)
        assert heard.missed == [("city-hall", TUESDAY_10)]
        assert heard.talked == []
        await staff.close()
        await rig.close()

    run(scenario())


def test_a_declined_call_is_not_missed() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        heard = Heard(rig)
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        rig.desk.decline()
        await staff.next("hangup")
        await rig.reach(Phase.IDLE)
        assert heard.missed == [] and heard.talked == []
        await staff.close()
        await rig.close()

    run(scenario())


def test_an_answered_call_is_talked_not_missed() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        heard = Heard(rig)
        staff = await rig.staff()
        await answered(rig, staff)
        await staff.hang_up()
        await rig.reach(Phase.IDLE)
        assert heard.missed == [] and heard.talked == ["city-hall"]
        # The centre calls back: that call connecting is talked too.
        assert rig.desk.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
        await rig.reach(Phase.IN_CALL)
        assert heard.talked == ["city-hall", "city-hall"]
        rig.desk.hang_up()
        await rig.reach(Phase.IDLE)
        assert heard.missed == []
        await staff.close()
        await rig.close()

    run(scenario())


def test_the_caller_leaving_as_someone_answers_is_not_missed() -> None:
    """받기 was pressed: someone was there, even if the call never came up."""

    async def scenario() -> None:
        rig = await Rig().started()
        heard = Heard(rig)
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        rig.desk.answer()
        await staff.hang_up()  # before the answer reached city hall
        await rig.reach(Phase.IDLE)
        assert heard.missed == []
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_ring_cut_by_the_line_going_is_missed() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        heard = Heard(rig)
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        rig.janus.drop("centre-1")
        assert (await rig.reach(Phase.ENDED)).notice is Notice.CALLER_LEFT
        assert heard.missed == [("city-hall", TUESDAY_10)]
        await staff.close()
        await rig.close()

    run(scenario())


def test_our_own_unanswered_call_is_not_a_missed_call() -> None:
    """The centre rang city hall and nobody answered: that is city hall's missed call
    (the console lists it), not the centre's."""

    async def scenario() -> None:
        rig = await Rig().started()
        heard = Heard(rig)
        staff = await rig.staff()
        assert rig.desk.call("city-hall")
        await staff.next("incomingcall")
        assert (await rig.reach(Phase.ENDED)).notice is Notice.UNAVAILABLE
        await rig.reach(Phase.IDLE)
        assert heard.missed == [] and heard.talked == []
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_failing_hook_never_keeps_the_call_from_ending(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        rig = await Rig().started()

        def broken(contact: Contact, at: dt.datetime) -> None:
            raise OSError("disk gone")

        rig.desk.missed = broken
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        await staff.hang_up()
        await rig.reach(Phase.IDLE)
        await staff.close()
        await rig.close()

    run(scenario())
    assert "could not note the missed call from city-hall" in caplog.text


def test_the_contact_reported_is_the_configured_one() -> None:
    """The verified caller name maps to the configured contact: its id and label."""

    async def scenario() -> None:
        rig = await Rig().started()
        got: list[Contact] = []
        rig.desk.missed = lambda contact, at: got.append(contact)
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        await staff.hang_up()
        await rig.reach(Phase.IDLE)
        assert got == [WELFARE]
        await staff.close()
        await rig.close()

    run(scenario())
