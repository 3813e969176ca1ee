"""A centre whose network blocks UDP still gets its calls: through city hall's
TURN server (coturn) over TCP, with a time-limited login city hall hands out
(coturn's shared secret scheme), never one static password. City hall's own side
(a browser beside Janus) is untouched by the block."""

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import create_turn_endpoint

from kiosk.calls.desk import CallDesk, Phase
from kiosk.calls.turn import CityHallTurn
from kiosk_contract.config.calls import IceServer
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.turn import PORT, TurnServer
from kiosk_provisioning.identity.service import start
from kiosk_provisioning.identity.tokens import turn_credentials
from tests.calls.chromium import StaffBrowser
from tests.calls.conftest import CENTRE, CallServer, calls_for, reach, run, started
from tests.calls.identities import CityHallIdentity
from tests.calls.test_browser import both_ways


@pytest.fixture
def turn(network: PrivateNetwork, janus: CallServer, tmp_path: Path) -> Iterator[TurnServer]:
    secret = janus.identity.authority.turn_secret
    with TurnServer(network, tmp_path / "turn", secret) as server:
        yield server


def routes(desk: CallDesk) -> set[str | None]:
    """How each of the desk's connections carries its media."""
    group = desk.group
    assert group is not None and group.own is not None
    return {peer.route() for peer in [group.own, *(w.peer for w in group.shown())]}


def test_with_udp_blocked_a_room_goes_through_turn(
    network: PrivateNetwork, janus: CallServer, turn: TurnServer, browser: StaffBrowser
) -> None:
    secret = janus.identity.authority.turn_secret
    asked: list[str] = []

    async def login() -> tuple[str, str]:  # what the box's GET /v1/turn gives
        asked.append(CENTRE)
        return turn_credentials(secret, CENTRE, 600)

    async def scenario() -> None:
        network.drop_udp()
        relay = IceServer(urls=turn.url)  # no login configured: city hall gives one
        desk = await started(calls_for(janus, ice_servers=[relay]), turn_login=login)
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
    assert asked, "the login came from city hall"


async def allocation(address: str, username: str, password: str) -> str:
    """Ask coturn for a relay over TCP with this login: ``granted`` or why not."""
    try:
        transport, _ = await create_turn_endpoint(
            asyncio.DatagramProtocol, (address, PORT), username, password, transport="tcp"
        )
    except stun.TransactionFailed as err:
        return f"refused {err.response.attributes.get('ERROR-CODE')}"
    transport.close()
    return "granted"


def test_a_turn_login_past_its_time_or_not_city_halls_is_refused(
    network: PrivateNetwork, janus: CallServer, turn: TurnServer
) -> None:
    secret = janus.identity.authority.turn_secret
    address = network.server_address

    async def scenario() -> dict[str, str]:
        return {
            "fresh": await allocation(address, *turn_credentials(secret, CENTRE, 600)),
            "expired": await allocation(address, *turn_credentials(secret, CENTRE, -60)),
            "forged": await allocation(address, *turn_credentials("not-" + secret, CENTRE, 600)),
        }

    found = run(scenario())
    assert found["fresh"] == "granted", found
    assert found["expired"].startswith("refused (401"), found
    assert found["forged"].startswith("refused (401"), found


@pytest.mark.allow_warnings  # the identity service logs the revoked box it refuses
def test_the_box_gets_its_turn_login_from_city_hall(tmp_path: Path) -> None:
    """The box asks city hall's identity service (the real one) with its certificate:
    a login for its centre that coturn's secret check accepts, kept while young; a
    revoked box gets none."""
    identity = CityHallIdentity(tmp_path / "repo", {CENTRE: ()})
    cert, key = identity.authority.issue_server_cert(["127.0.0.1"], tmp_path / "server")
    service = start(identity.folder, cert, key)
    try:
        box = identity.enrol(CENTRE, tmp_path / "box")
        turn = CityHallTurn(service.url, box.context)

        async def twice() -> tuple[tuple[str, str], tuple[str, str]]:
            return await turn(), await turn()

        first, again = asyncio.run(twice())
        assert again == first, "a young login is kept, not asked for at every call"
        username, credential = first
        expiry, _, who = username.partition(":")
        assert who == CENTRE and int(expiry) > time.time()
        secret = identity.authority.turn_secret.encode()
        digest = hmac.new(secret, username.encode(), hashlib.sha1).digest()
        assert credential == base64.b64encode(digest).decode(), "coturn would accept it"
        identity.authority.revoke(CENTRE)
        with pytest.raises(OSError):
            asyncio.run(CityHallTurn(service.url, box.context)())
    finally:
        service.close()
