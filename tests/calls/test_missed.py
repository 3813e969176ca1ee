"""Missed calls through a real Janus (behind city hall's call gate): city hall rings a
centre nobody answers, the kiosk keeps the missed call (across a restart), and its
전화하기 reaches city hall, seen and heard both ways. The kiosk's own parts as it runs
them, without the window: the call desk, its screens, the navigator, the record."""

import asyncio
import datetime as dt
from pathlib import Path

from kiosk.calls.desk import Notice, Phase
from kiosk.calls.screens import CallScreens
from kiosk.i18n import Strings
from kiosk.missed import MissedCallButtons, MissedCalls, notice_words, record_path
from kiosk.navigation import MISSED_CALL, Navigator, Screen
from kiosk_contract.config import read_config
from kiosk_contract.config.calls import Calls
from tests.calls.conftest import CallServer, calls_for, reach, run, started
from tests.calls.test_one_to_one import Hall, both_ways
from tests.conftest import DEMO_CONFIG
from tests.unit.calls.rig import TUESDAY_10
from tests.unit.test_navigation import FakeClock


class Kiosk:
    """The kiosk's parts around a desk: what a ring ending unanswered goes through."""

    def __init__(self, state: Path, calls: Calls) -> None:
        config = read_config(DEMO_CONFIG)
        self.wall = TUESDAY_10
        self.navigator = Navigator(config.tiles, config.keys, config.idle, FakeClock(), calls=calls)
        self.missed = MissedCalls(record_path(state), lambda: self.wall)
        MissedCallButtons(self.missed, self.navigator)

    def attach(self, screens: CallScreens) -> None:
        """As the kiosk does once calls are up (kiosk.app.kiosk.Kiosk.attach_calls)."""
        screens.desk.missed = self.missed.missed
        screens.desk.talked = self.missed.talked


def test_city_hall_rings_nobody_answers_then_the_call_back_reaches_city_hall(
    janus: CallServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"

    async def scenario() -> None:
        calls = calls_for(janus)
        kiosk = Kiosk(state, calls)
        desk = await started(calls)
        screens = CallScreens(desk, kiosk.navigator)
        kiosk.attach(screens)
        hall = Hall()
        staff = await hall.open(janus)
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        assert kiosk.navigator.view.screen is Screen.CALL  # the ring fills the screen
        kiosk.wall = TUESDAY_10 + dt.timedelta(seconds=30)
        await staff.hang_up()  # nobody came: city hall gives up
        assert (await reach(desk, Phase.ENDED)).notice is Notice.CALLER_LEFT
        await reach(desk, Phase.IDLE)
        [call] = kiosk.missed.calls()
        assert (call.contact, call.label, call.at) == ("city-hall", "남원시청 복지과", TUESDAY_10)
        screens.close()
        await desk.close()

        # The kiosk restarts: the notice is still there, said plainly.
        kiosk = Kiosk(state, calls)
        notice = kiosk.missed.notice()
        assert notice is not None
        words = notice_words(Strings("ko"), notice, kiosk.wall)
        assert (words.title, words.detail) == (
            "시청에서 전화했었습니다",
            "남원시청 복지과 · 오늘 오전 10:00",
        )
        desk = await started(calls)
        screens = CallScreens(desk, kiosk.navigator)
        kiosk.attach(screens)
        # 전화하기 (Enter on it): the same call the leader's list places.
        kiosk.navigator.key("Up")
        assert kiosk.navigator.view.focus == MISSED_CALL
        assert kiosk.navigator.key("Return")
        assert kiosk.navigator.view.screen is Screen.CALL
        async with asyncio.timeout(20):  # not the whole limit if the call back failed
            incoming = await staff.next("incomingcall")
        assert incoming.peer == "centre-1"
        assert kiosk.missed.notice() is not None, "still there while it rings"
        await staff.answer(incoming)
        await reach(desk, Phase.IN_CALL)
        assert kiosk.missed.notice() is None, "called back and talking: cleared"
        await both_ways(desk, hall)
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        assert kiosk.missed.calls() == []
        assert Kiosk(state, calls).missed.notice() is None, "cleared on disk too"
        screens.close()
        await staff.close()
        await desk.close()

    run(scenario(), limit=120)


def test_a_declined_ring_is_no_missed_call(janus: CallServer, tmp_path: Path) -> None:
    """Someone was there and pressed 거절: nothing to call back. (An answered ring is
    none either: the unit tests, tests/unit/calls/test_missed.py.)"""

    async def scenario() -> None:
        calls = calls_for(janus)
        kiosk = Kiosk(tmp_path / "state", calls)
        desk = await started(calls)
        screens = CallScreens(desk, kiosk.navigator)
        kiosk.attach(screens)
        staff = await Hall().open(janus)
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        desk.decline()
        assert (await staff.next("hangup")).name == "hangup"
        await reach(desk, Phase.IDLE)
        assert kiosk.missed.calls() == []
        assert not record_path(tmp_path / "state").exists()
        assert kiosk.navigator.on_missed is None
        screens.close()
        await staff.close()
        await desk.close()

    run(scenario(), limit=120)
