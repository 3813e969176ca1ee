"""The call screens on the navigator, with the desk on a fake Janus (virtual clock): the
leader's list of city-hall contacts places the same calls as a call tile."""

import time

import pytest

from kiosk.calls.desk import Notice, Phase
from kiosk.calls.screens import CallScreens
from kiosk.navigation import Activity, Navigator, Screen
from kiosk_contract.config import KioskConfig
from tests.unit.calls.rig import MAYOR, Rig
from tests.unit.calls.virtual import run


def on_the_leaders_list(config: KioskConfig, rig: Rig) -> Navigator:
    """A navigator for *config* with *rig*'s calls, its call screens, on the leader's
    list of contacts."""
    calls = rig.desk.calls
    navigator = Navigator(config.tiles, config.keys, config.idle, time.monotonic, calls=calls)
    CallScreens(rig.desk, navigator)
    navigator.open_leader()
    navigator.unlocked("leader")
    assert navigator.open_leader_calls()
    return navigator


def test_a_contact_pressed_on_the_leaders_list_rings_that_name(demo_config: KioskConfig) -> None:
    async def scenario() -> None:
        rig = await Rig().started()
        mayor = await rig.staff(MAYOR.name)
        navigator = on_the_leaders_list(demo_config, rig)
        assert [c.name for c in navigator.contacts] == ["cityhall-welfare", "cityhall-mayor"]
        assert navigator.key("2")
        assert rig.desk.view.phase is Phase.CALLING
        assert navigator.view.screen is Screen.CALL and navigator.busy
        incoming = await mayor.next("incomingcall")
        assert incoming.peer == "centre-1"
        await mayor.answer(incoming)
        await rig.reach(Phase.IN_CALL)
        assert navigator.key("Escape"), "hung up as a senior's call is"
        assert (await mayor.next("hangup")).name == "hangup"
        await rig.reach(Phase.IDLE)
        assert navigator.view.screen is Screen.HOME
        await mayor.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings  # the line says once that it cannot reach the server
def test_with_city_hall_unreachable_the_call_screens_say_so(demo_config: KioskConfig) -> None:
    async def scenario() -> None:
        rig = Rig()
        rig.janus.stop()
        rig.desk.start()
        navigator = on_the_leaders_list(demo_config, rig)
        assert navigator.key("1")
        assert navigator.view.screen is Screen.NOT_READY
        assert navigator.view.notice == Notice.NO_SERVER.value
        assert navigator.view.behind is Activity.NONE
        await rig.close()

    run(scenario())
