"""One-to-one calls through Janus' VideoCall plugin, with real media both ways."""

from collections import deque
from typing import Any

import msgspec
import pytest

from kiosk.calls.desk import CallDesk, Notice, Phase
from kiosk.calls.peer import Connection
from kiosk.calls.tracks import ColourTrack, ToneTrack
from kiosk_demo.staff import StaffDesk
from tests.calls.conftest import (
    CENTRE_COLOUR,
    CENTRE_TONE,
    HALL_COLOUR,
    HALL_TONE,
    CallServer,
    calls_for,
    heard,
    make_desk,
    reach,
    run,
    started,
    until,
)
from tests.calls.signals import mean_rgb, mono_samples, near, pitch_share


class Hall:
    """City hall's side: a staff desk that keeps the sound it receives."""

    def __init__(self) -> None:
        self.heard: deque[int] = deque(maxlen=48_000)
        """The last second city hall heard (48 kHz)."""
        self.desk: StaffDesk | None = None

    async def open(self, janus: CallServer, name: str = "cityhall-welfare") -> StaffDesk:
        def keep(kind: str, frame: Any) -> None:
            if kind == "audio":
                self.heard.extend(mono_samples(frame))

        self.desk = await StaffDesk.open(
            janus.url,
            name,
            lambda: (ToneTrack(HALL_TONE), ColourTrack(HALL_COLOUR)),
            on_frame=keep,
            open_session=janus.staff_session((name,)),
        )
        return self.desk


def sees(peer: Connection | None, colour: tuple[int, int, int]) -> bool:
    picture = peer.picture() if peer else None
    return picture is not None and near(mean_rgb(picture), colour)


async def both_ways(desk: CallDesk, hall: Hall) -> None:
    """Each side sees the other's colour and hears the other's tone (the centre
    through the mix its speaker plays)."""
    staff = hall.desk
    assert staff is not None
    await until(lambda: sees(staff.peer, CENTRE_COLOUR))

    def centre_sees_hall() -> bool:
        frames = desk.remote_frames()
        return bool(frames) and near(mean_rgb(frames[0]), HALL_COLOUR)

    await until(centre_sees_hall)
    hall.heard.clear()
    await until(lambda: len(hall.heard) == 48_000)
    second = list(hall.heard)
    assert pitch_share(second, 48_000, CENTRE_TONE) > 0.8
    assert pitch_share(second, 48_000, HALL_TONE) < 0.05
    speaker = await heard(desk)
    assert pitch_share(speaker, 48_000, HALL_TONE) > 0.8
    assert pitch_share(speaker, 48_000, CENTRE_TONE) < 0.05


def test_city_hall_calls_and_the_senior_answers(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        hall = Hall()
        staff = await hall.open(janus)
        await staff.call("centre-1")
        ringing = await reach(desk, Phase.RINGING)
        assert ringing.who == "남원시청 복지과"
        assert ringing.answer_at is None  # auto-answer is off in this configuration
        desk.answer()
        await staff.connected()
        call = await reach(desk, Phase.IN_CALL)
        assert call.since > 0
        await both_ways(desk, hall)
        await staff.hang_up()
        ended = await reach(desk, Phase.ENDED)
        assert ended.notice is Notice.ENDED
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


def test_the_senior_calls_city_hall_and_hangs_up(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = make_desk(calls_for(janus))
        desk.start()
        hall = Hall()
        staff = await hall.open(janus)
        await reach(desk, Phase.IDLE)
        assert desk.call("city-hall")
        assert desk.view.phase is Phase.CALLING
        incoming = await staff.next("incomingcall")
        assert incoming.peer == "centre-1"
        await staff.answer(incoming)
        await reach(desk, Phase.IN_CALL)
        await both_ways(desk, hall)
        desk.hang_up()
        assert (await staff.next("hangup")).name == "hangup"
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


def test_declined_call_rings_no_more(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        staff = await Hall().open(janus)
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        desk.decline()
        assert (await staff.next("hangup")).name == "hangup"
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


def test_allow_listed_call_answers_itself_in_opening_hours(janus: CallServer) -> None:
    async def scenario() -> None:
        calls = calls_for(
            janus, auto_answer=msgspec.structs.replace(calls_for(janus).auto_answer, after_s=1)
        )
        desk = await started(calls)
        hall = Hall()
        staff = await hall.open(janus)
        await staff.call("centre-1")
        ringing = await reach(desk, Phase.RINGING)
        assert ringing.answer_at is not None
        await staff.connected()  # nobody pressed anything
        await reach(desk, Phase.IN_CALL)
        await both_ways(desk, hall)
        await staff.close()
        await desk.close()

    run(scenario())


def test_second_caller_is_refused_while_in_a_call(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        first = Hall()
        welfare = await first.open(janus)
        mayor = await Hall().open(janus, "cityhall-mayor")
        await welfare.call("centre-1")
        await reach(desk, Phase.RINGING)
        desk.answer()
        await welfare.connected()
        await reach(desk, Phase.IN_CALL)
        await mayor.call("centre-1")
        refused = await mayor.next("hangup")
        assert refused.name == "hangup"
        assert desk.view.phase is Phase.IN_CALL
        assert desk.view.who == "남원시청 복지과"
        await both_ways(desk, first)
        await mayor.close()
        await welfare.close()
        await desk.close()

    run(scenario())


def test_caller_giving_up_while_ringing_ends_calmly(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        staff = await Hall().open(janus)
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        await staff.hang_up()
        ended = await reach(desk, Phase.ENDED)
        assert ended.notice is Notice.CALLER_LEFT
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


def test_unknown_caller_never_rings(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        stranger = await Hall().open(janus, "stranger")
        await stranger.call("centre-1")
        assert (await stranger.next("hangup")).name == "hangup"
        assert desk.view.phase is Phase.IDLE
        await stranger.close()
        await desk.close()

    run(scenario())


@pytest.mark.parametrize("ring_s", [10])
def test_city_hall_not_answering_ends_with_a_message(janus: CallServer, ring_s: int) -> None:
    async def scenario() -> None:
        desk = make_desk(calls_for(janus, ring_s=ring_s))
        desk.start()
        staff = await Hall().open(janus)
        await reach(desk, Phase.IDLE)
        assert desk.call("city-hall")
        await staff.next("incomingcall")  # it rings there; nobody answers
        ended = await reach(desk, Phase.ENDED)
        assert ended.notice is Notice.UNAVAILABLE
        assert (await staff.next("hangup")).name == "hangup"
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


@pytest.mark.allow_warnings  # the line says once that it cannot reach the server
def test_calling_with_the_server_down_says_so_and_calls_once_it_is_back(
    janus: CallServer,
) -> None:
    async def scenario() -> None:
        janus.stop()
        desk = make_desk(calls_for(janus))
        desk.start()
        assert not desk.call("city-hall")
        assert desk.view.phase is Phase.OFFLINE
        assert desk.view.notice is Notice.NO_SERVER
        janus.start()
        await reach(desk, Phase.IDLE)  # the refused call left nothing in the way
        staff = await Hall().open(janus)
        assert desk.call("city-hall")
        await staff.answer(await staff.next("incomingcall"))
        await reach(desk, Phase.IN_CALL)
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())
