"""A centre whose network blocks UDP still gets its calls: through city hall's
TURN server (coturn) over TCP. City hall's own side (a browser beside Janus)
is untouched by the block."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.calls.desk import CallDesk, Phase
from kiosk_contract.config.calls import IceServer
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.turn import TurnServer
from tests.calls.chromium import StaffBrowser
from tests.calls.conftest import CallServer, calls_for, reach, run, started
from tests.calls.test_browser import both_ways


@pytest.fixture
def turn(network: PrivateNetwork, tmp_path: Path) -> Iterator[TurnServer]:
    with TurnServer(network, tmp_path / "turn") as server:
        yield server


def routes(desk: CallDesk) -> set[str | None]:
    """How each of the desk's connections carries its media."""
    group = desk.group
    assert group is not None and group.own is not None
    return {peer.route() for peer in [group.own, *(w.peer for w in group.shown())]}


def test_with_udp_blocked_a_room_goes_through_turn(
    network: PrivateNetwork, janus: CallServer, turn: TurnServer, browser: StaffBrowser
) -> None:
    async def scenario() -> None:
        network.drop_udp()
        relay = IceServer(urls=turn.url, username=turn.user, credential=turn.password)
        desk = await started(calls_for(janus, ice_servers=[relay]))
        with browser.showing(me="cityhall-host", room="1001"):
            await browser.next(lambda r: r["event"] == "webrtc" and r["up"])
            assert desk.join("town-meeting")
            await reach(desk, Phase.IN_ROOM)
            await both_ways(desk, browser)
            assert routes(desk) == {"relay"}
            desk.hang_up()
            await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)
