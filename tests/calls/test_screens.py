"""Calls moving the senior between screens, with the real desk on the real server."""

import time

import msgspec

from kiosk.calls.desk import CallDesk, Phase
from kiosk.calls.screens import CallScreens
from kiosk.navigation import Navigator, Screen
from kiosk_contract.config import KioskConfig
from tests.calls.conftest import MAYOR, CallServer, calls_for, make_desk, reach, run
from tests.calls.test_one_to_one import Hall

RINGS: list[bool] = []
"""Every change of the ring (on, off) the screens asked for, in order."""


def ring(on: bool) -> None:
    if not RINGS or RINGS[-1] != on:
        RINGS.append(on)


def kiosk_with_calls(demo_config: KioskConfig, janus: CallServer) -> tuple[Navigator, CallDesk]:
    config = msgspec.structs.replace(demo_config, calls=calls_for(janus))
    navigator = Navigator(
        config.tiles, config.keys, config.idle, time.monotonic, calls=config.calls
    )
    desk = make_desk(config.calls)
    RINGS.clear()
    screens = CallScreens(desk, navigator, ring)
    navigator.set_opener("call", screens.open_tile)
    navigator.set_opener("group", screens.open_tile)
    return navigator, desk


def tile_index(navigator: Navigator, action: str) -> int:
    return next(i for i, t in enumerate(navigator.tiles) if t.action == action)


def test_call_tile_calls_and_hanging_up_goes_home(
    demo_config: KioskConfig, janus: CallServer
) -> None:
    async def scenario() -> None:
        navigator, desk = kiosk_with_calls(demo_config, janus)
        staff = await Hall().open(janus)
        desk.start()
        await reach(desk, Phase.IDLE)
        assert navigator.press_tile(tile_index(navigator, "call"))
        assert navigator.view.screen is Screen.CALL
        assert navigator.busy  # no idle return, no tile keys during a call
        await staff.answer(await staff.next("incomingcall"))
        await reach(desk, Phase.IN_CALL)
        await staff.hang_up()
        await reach(desk, Phase.ENDED)
        assert navigator.view.screen is Screen.NOT_READY
        assert navigator.view.notice == "call_ended"
        await staff.close()
        await desk.close()

    run(scenario())


def test_a_contact_on_the_leaders_list_rings_that_name_at_city_hall(
    demo_config: KioskConfig, janus: CallServer
) -> None:
    async def scenario() -> None:
        navigator, desk = kiosk_with_calls(demo_config, janus)
        mayor = await Hall().open(janus, MAYOR.name)
        desk.start()
        await reach(desk, Phase.IDLE)
        navigator.open_leader()
        navigator.unlocked("leader")
        assert navigator.open_leader_calls()
        assert navigator.key("2"), "the second contact: the mayor's office"
        assert navigator.view.screen is Screen.CALL
        incoming = await mayor.next("incomingcall")
        assert incoming.peer == "centre-1"
        await mayor.answer(incoming)
        await reach(desk, Phase.IN_CALL)
        navigator.key("Escape")
        assert (await mayor.next("hangup")).name == "hangup"
        await reach(desk, Phase.IDLE)
        assert navigator.view.screen is Screen.HOME
        await mayor.close()
        await desk.close()

    run(scenario())


def test_escape_during_a_call_hangs_up(demo_config: KioskConfig, janus: CallServer) -> None:
    async def scenario() -> None:
        navigator, desk = kiosk_with_calls(demo_config, janus)
        staff = await Hall().open(janus)
        desk.start()
        await reach(desk, Phase.IDLE)
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        assert navigator.view.screen is Screen.CALL  # the ring fills the screen
        assert RINGS == [False, True]  # and rings
        desk.answer()
        await staff.connected()
        await reach(desk, Phase.IN_CALL)
        assert RINGS == [False, True, False]
        navigator.key("Escape")
        assert navigator.view.screen is Screen.HOME
        assert (await staff.next("hangup")).name == "hangup"
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


def test_a_programme_playing_is_never_interrupted(
    demo_config: KioskConfig, janus: CallServer
) -> None:
    async def scenario() -> None:
        navigator, desk = kiosk_with_calls(demo_config, janus)
        staff = await Hall().open(janus)
        desk.start()
        await reach(desk, Phase.IDLE)
        navigator.show_playing()
        await staff.call("centre-1")
        assert (await staff.next("hangup")).name == "hangup"  # busy
        assert navigator.view.screen is Screen.PLAYING
        assert desk.view.phase is Phase.IDLE
        assert True not in RINGS
        await staff.close()
        await desk.close()

    run(scenario())


def test_group_tile_with_the_server_down_says_so_and_goes_home(
    demo_config: KioskConfig, janus: CallServer
) -> None:
    async def scenario() -> None:
        janus.stop()
        navigator, desk = kiosk_with_calls(demo_config, janus)
        desk.start()
        assert navigator.press_tile(tile_index(navigator, "group"))
        assert navigator.view.screen is Screen.NOT_READY
        assert navigator.view.notice == "call_no_server"
        await desk.close()

    run(scenario())
