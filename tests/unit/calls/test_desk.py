"""The desk itself on a fake Janus: the phase and its allowed moves, a new
configuration while idle and during a call, a failing task, closing."""

import asyncio
import logging

import pytest

from kiosk.calls.desk import CallView, Notice, Phase
from kiosk.calls.phase import ALLOWED, FREE
from kiosk_contract.config.calls import Contact
from tests.unit.calls.fake_janus import FakeJanus, FakeNet
from tests.unit.calls.rig import MAYOR, WELFARE, Rig, answered, calls_for
from tests.unit.calls.virtual import run

CLERK = Contact(id="clerk", name="cityhall-clerk", label="민원실")


def test_every_call_or_session_leaves_through_ended_which_only_settles() -> None:
    busy = [phase for phase in Phase if phase not in FREE and phase is not Phase.ENDED]
    for phase in busy:
        assert Phase.ENDED in ALLOWED[phase]
        assert not ALLOWED[phase] & set(FREE), phase
    assert ALLOWED[Phase.ENDED] == set(FREE)
    assert all(phase in ALLOWED for phase in Phase)


@pytest.mark.allow_warnings
def test_a_move_the_desk_does_not_allow_is_refused_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        assert not rig.desk.move(CallView(Phase.IN_ROOM, "군민 회의"))
        assert not rig.desk.move(CallView(Phase.ENDED))
        assert rig.desk.view == CallView(Phase.IDLE)
        assert rig.views.phases() == [Phase.IDLE]  # nobody was told anything
        assert rig.desk.move(CallView(Phase.OFFLINE, notice=Notice.NO_SERVER))
        await rig.close()

    run(scenario())
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert refused == [
        "call idle -> in_room refused: not a move the desk allows",
        "call idle -> ended refused: not a move the desk allows",
    ]
    assert "call offline -> idle" in caplog.text  # the moves made, old -> new


def test_hanging_up_twice_or_when_idle_changes_nothing() -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        rig.desk.hang_up()
        assert rig.desk.call("city-hall")
        rig.desk.hang_up()
        rig.desk.hang_up()
        await rig.reach(Phase.IDLE)
        assert rig.views.phases() == [Phase.IDLE, Phase.CALLING, Phase.ENDED, Phase.IDLE]
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_task_that_fails_ends_the_call_calmly(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        staff = await rig.staff()
        await staff.call("centre-1")
        await rig.reach(Phase.RINGING)

        rig.path.unreadable = True  # what aiortc does with an offer it cannot read
        rig.desk.answer()
        assert (await rig.reach(Phase.ENDED)).notice is Notice.ENDED
        await rig.reach(Phase.IDLE)
        assert (await staff.next("hangup")).name == "hangup"
        await staff.close()
        await rig.close()

    run(scenario())
    assert "call task call-answer failed" in caplog.text


def test_new_contacts_apply_at_once() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        rig.desk.reconfigure(calls_for(janus, contacts=[WELFARE, CLERK]), "centre-1")
        clerk = await rig.staff("cityhall-clerk")
        await clerk.call("centre-1")
        assert (await rig.reach(Phase.RINGING)).who == "민원실"
        await clerk.hang_up()
        await rig.reach(Phase.IDLE)
        mayor = await rig.staff("cityhall-mayor")  # no longer a contact
        await mayor.call("centre-1")
        assert (await mayor.next("hangup")).name == "hangup"
        assert not rig.desk.call(MAYOR.id)
        assert janus.count("register") == 3  # the line stayed as it was
        await mayor.close()
        await clerk.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings  # the second server refuses the line until it has the secret
def test_a_new_server_name_or_secret_registers_the_line_anew(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        first, second = FakeJanus("ws://one/"), FakeJanus("ws://two/")
        second.api_secret = "s3cret"
        rig = Rig(first, net=FakeNet(first, second))
        await rig.started()
        rig.desk.reconfigure(calls_for(first, call_name="centre-7"), "centre-1")
        await rig.reach(Phase.IDLE)
        assert first.registered() == ["centre-7"]
        rig.desk.reconfigure(calls_for(second, call_name="centre-7"), "centre-1")
        await asyncio.sleep(60)  # refused by the second server: no secret
        assert rig.desk.view.phase is Phase.OFFLINE and second.registered() == []
        rig.desk.reconfigure(calls_for(second, call_name="centre-7", api_secret="s3cret"), "x")
        await rig.reach(Phase.IDLE)
        assert (first.registered(), second.registered()) == ([], ["centre-7"])
        rig.desk.reconfigure(calls_for(second, call_name=None, api_secret="s3cret"), "centre-8")
        await rig.reach(Phase.IDLE)
        assert second.registered() == ["centre-8"]
        await rig.close()

    run(scenario())
    assert "call server: 403: Unauthorized request" in caplog.text


def test_a_configuration_without_a_server_takes_the_line_down() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        rig.desk.reconfigure(calls_for(janus, server=None), "centre-1")
        await rig.reach(Phase.OFFLINE)
        assert not rig.desk.configured
        rig.desk.reconfigure(calls_for(janus), "centre-1")
        await rig.reach(Phase.IDLE)  # the same name again: the old one was let go
        assert janus.count("destroy") == 1 and janus.count("register") == 2
        assert janus.registered() == ["centre-1"]
        await rig.close()

    run(scenario())


def test_a_configuration_arriving_during_a_call_waits_until_it_ends() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        staff = await rig.staff()
        await answered(rig, staff)
        rig.desk.reconfigure(calls_for(janus, call_name="centre-7", contacts=[CLERK]), "c")
        await asyncio.sleep(30)
        assert rig.desk.view.phase is Phase.IN_CALL and janus.registered()[0] == "centre-1"
        await staff.hang_up()
        await rig.reach(Phase.ENDED)
        await rig.reach(Phase.IDLE)
        await rig.reach(Phase.IDLE)  # again, registered under its new name
        assert janus.registered() == ["centre-7", "cityhall-welfare"]
        assert not rig.desk.call("city-hall")  # no longer a contact
        clerk = await rig.staff("cityhall-clerk")
        await clerk.call("centre-7")
        assert (await rig.reach(Phase.RINGING)).who == "민원실"
        await clerk.close()
        await staff.close()
        await rig.close()

    run(scenario())


def test_closing_ends_everything_and_is_safe_twice() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        staff = await rig.staff()
        assert rig.desk.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
        await rig.reach(Phase.IN_CALL)
        await rig.desk.close()
        await rig.desk.close()
        assert janus.registered() == ["cityhall-welfare"]
        await staff.close()
        await asyncio.sleep(0)
        assert janus.registered() == [] and janus.connections == [] and not rig.path.open()
        ours = ("call", "janus", "staff", "fake-janus")
        left = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(ours)]
        assert left == []

    run(scenario())
