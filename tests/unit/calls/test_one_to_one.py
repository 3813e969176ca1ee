"""One-to-one calls through the desk on a fake Janus, on a virtual clock: ringing,
answering, declining, busy, auto-answer, the ring timeout and the redial."""

import asyncio
import datetime as dt

import pytest

from kiosk.calls.desk import Notice, Phase
from kiosk.calls.group import GIVE_UP_FACTOR
from kiosk_contract.config.calls import AutoAnswer
from tests.unit.calls.fake_janus import FakeJanus
from tests.unit.calls.rig import TUESDAY_10, Rig, answered, calls_for
from tests.unit.calls.virtual import now, run


def test_city_hall_calls_and_the_senior_answers() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        await staff.call("centre-1")
        ringing = await rig.reach(Phase.RINGING)
        assert ringing.who == "남원시청 복지과"
        assert ringing.answer_at is None
        rig.desk.answer()
        await staff.connected()
        call = await rig.reach(Phase.IN_CALL)
        assert call.since == now()
        await staff.hang_up()
        ended = await rig.reach(Phase.ENDED)
        assert ended.notice is Notice.ENDED
        await rig.reach(Phase.IDLE)
        await staff.close()
        await rig.close()

    run(scenario())


def test_the_senior_calls_and_hangs_up() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        assert rig.desk.call("city-hall")
        assert rig.desk.view.phase is Phase.CALLING
        incoming = await staff.next("incomingcall")
        assert incoming.peer == "centre-1"
        await staff.answer(incoming)
        await rig.reach(Phase.IN_CALL)
        rig.desk.hang_up()
        assert (await staff.next("hangup")).name == "hangup"
        await rig.reach(Phase.IDLE)
        assert rig.janus.registered() == ["centre-1", "cityhall-welfare"]
        await staff.close()
        await rig.close()

    run(scenario())


def test_declined_call_rings_no_more() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        rig.desk.decline()
        hangup = await staff.next("hangup")
        assert hangup.reason == "Remote hangup"
        assert (await rig.reach(Phase.ENDED)).notice is Notice.NONE
        await rig.reach(Phase.IDLE)
        await staff.close()
        await rig.close()

    run(scenario())


def test_caller_giving_up_while_ringing_ends_calmly() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        await staff.hang_up()
        assert (await rig.reach(Phase.ENDED)).notice is Notice.CALLER_LEFT
        await rig.reach(Phase.IDLE)
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.parametrize("ring_s", [10, 45])
def test_city_hall_not_answering_ends_after_the_ring_time(ring_s: int) -> None:
    async def scenario() -> None:
        rig = await Rig(calls=calls_for(FakeJanus(), ring_s=ring_s)).started()
        staff = await rig.staff()
        assert rig.desk.call("city-hall")
        dialled = now()
        await staff.next("incomingcall")  # it rings there; nobody answers
        ended = await rig.reach(Phase.ENDED)
        assert ended.notice is Notice.UNAVAILABLE
        assert now() - dialled == pytest.approx(ring_s)
        assert (await staff.next("hangup")).name == "hangup"
        await rig.reach(Phase.IDLE)
        await staff.close()
        await rig.close()

    run(scenario())


def test_a_busy_contact_is_unavailable() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        other = await Rig(janus, calls_for(janus, call_name="centre-2")).started()
        staff = await rig.staff()
        assert other.desk.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
        await other.reach(Phase.IN_CALL)
        assert rig.desk.call("city-hall")  # welfare is talking to centre-2
        assert (await rig.reach(Phase.ENDED)).notice is Notice.UNAVAILABLE
        await rig.reach(Phase.IDLE)
        assert other.desk.view.phase is Phase.IN_CALL
        await staff.close()
        await other.close()
        await rig.close()

    run(scenario())


def test_a_kiosk_busy_with_something_else_never_rings() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        rig.desk.busy = lambda: True  # a programme is playing
        staff = await rig.staff()
        await staff.call("centre-1")
        assert (await staff.next("hangup")).name == "hangup"
        assert rig.views.phases() == [Phase.IDLE]
        await staff.close()
        await rig.close()

    run(scenario())


def test_a_second_caller_is_refused_during_a_call() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        welfare = await rig.staff()
        mayor = await rig.staff("cityhall-mayor")
        await answered(rig, welfare)
        await mayor.call("centre-1")
        assert (await mayor.next("hangup")).name == "hangup"
        assert rig.desk.view.phase is Phase.IN_CALL
        assert rig.desk.view.who == "남원시청 복지과"
        await mayor.close()
        await welfare.close()
        await rig.close()

    run(scenario())


def test_unknown_caller_never_rings(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        stranger = await rig.staff("stranger")
        await stranger.call("centre-1")
        assert (await stranger.next("hangup")).name == "hangup"
        assert rig.views.phases() == [Phase.IDLE]
        await stranger.close()
        await rig.close()

    run(scenario())
    assert "declined a call from 'stranger' (not a contact)" in caplog.text


AUTO = AutoAnswer(after_s=5, days=["tue"], opens="09:00", closes="18:00")


@pytest.mark.parametrize(
    ("contact", "when", "answers"),
    [
        ("cityhall-welfare", TUESDAY_10, True),
        ("cityhall-welfare", TUESDAY_10.replace(hour=18), False),  # closed by then
        ("cityhall-welfare", TUESDAY_10 + dt.timedelta(days=1), False),  # not on Wednesdays
        ("cityhall-mayor", TUESDAY_10, False),  # not allow-listed
    ],
)
def test_an_allow_listed_call_answers_itself_in_opening_hours(
    contact: str, when: dt.datetime, answers: bool
) -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus, calls_for(janus, auto_answer=AUTO), when).started()
        staff = await rig.staff(contact)
        await staff.call("centre-1")
        ringing = await rig.reach(Phase.RINGING)
        rang = now()
        if answers:
            assert ringing.answer_at == rang + 5
            await staff.connected()  # nobody pressed anything
            await rig.reach(Phase.IN_CALL)
            assert now() == pytest.approx(rang + 5)
        else:
            assert ringing.answer_at is None
            await asyncio.sleep(60)  # virtual: long past the 5 s, and nothing happened
            assert rig.views.phases() == [Phase.IDLE, Phase.RINGING]
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_call_whose_line_breaks_is_dialled_again(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        began = (await answered(rig, staff)).since
        rig.janus.drop("centre-1")  # the centre's connection to the server breaks
        assert (await rig.reach(Phase.RECONNECTING)).notice is Notice.RECONNECTING
        assert (await staff.next("hangup")).reason == "Remote hangup"
        broke = now()
        incoming = await staff.next("incomingcall")  # the centre rings again
        assert incoming.peer == "centre-1"
        assert now() - broke < 0.3  # at once: the first retry is quick
        await staff.answer(incoming)
        again = await rig.reach(Phase.IN_CALL)
        assert again.since == began  # the same call, its length counted on
        await staff.close()
        await rig.close()

    run(scenario())
    assert "janus session" in caplog.text and "lost: connection closed" in caplog.text


@pytest.mark.allow_warnings
def test_a_call_whose_media_stops_says_so_then_dials_again() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus, calls_for(janus, no_media_s=2)).started()
        staff = await rig.staff()
        await answered(rig, staff)
        rig.path.cut()
        cut = now()
        unsteady = await rig.reach(Phase.IN_CALL)
        assert unsteady.notice is Notice.UNSTEADY
        assert 2 <= now() - cut < 2.5
        await rig.reach(Phase.RECONNECTING)
        assert 2 * GIVE_UP_FACTOR <= now() - cut < 2 * GIVE_UP_FACTOR + 0.5
        await staff.next("hangup")  # the broken call is ended on the server first
        rig.path.mend()
        await staff.answer(await staff.next("incomingcall"))
        assert (await rig.reach(Phase.IN_CALL)).notice is Notice.NONE
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_redial_nobody_answers_ends_after_the_ring_time() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        assert rig.desk.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
        await rig.reach(Phase.IN_CALL)
        rig.janus.drop("centre-1")
        await rig.reach(Phase.RECONNECTING)
        await staff.next("incomingcall")
        redialled = now()
        ended = await rig.reach(Phase.ENDED)
        assert ended.notice is Notice.UNAVAILABLE
        assert now() - redialled == pytest.approx(45, abs=0.3)
        await rig.reach(Phase.IDLE)
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings  # the line says once that it cannot reach the server
def test_a_call_pressed_while_the_line_is_down_says_so_and_leaves_nothing_in_the_way() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        janus.stop()
        rig = Rig(janus)
        rig.desk.start()
        assert not rig.desk.call("city-hall")
        assert rig.desk.view.phase is Phase.OFFLINE
        assert rig.desk.view.notice is Notice.NO_SERVER
        assert not rig.desk.join("town-meeting")
        janus.start()
        await rig.reach(Phase.IDLE)
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)
        await staff.close()
        await rig.close()

    run(scenario())
