"""The technician's network checks against a real Janus and a real coturn in the
rig's namespace: they answer, with times; a server that is gone is said plainly."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.calls.probe import check_ice, check_janus
from kiosk.doctor import network_report, problem
from kiosk_contract.config.calls import IceServer
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.turn import TurnServer
from tests.calls.conftest import CallServer, calls_for


@pytest.fixture
def turn(network: PrivateNetwork, tmp_path: Path) -> Iterator[TurnServer]:
    with TurnServer(network, tmp_path / "turn") as server:
        yield server


def test_janus_answers_with_the_plugins_calls_need(janus: CallServer) -> None:
    found = check_janus(janus.janus.url)
    assert found["reachable"] is True
    assert found["missing_plugins"] == []
    assert found["version"]
    assert found["ms"] >= 0


def test_janus_gone_is_not_reachable(janus: CallServer) -> None:
    janus.kill()
    found = check_janus(janus.janus.url)
    assert found == {
        "checked": True,
        "reachable": False,
        "url": janus.janus.url,
        "error": "ConnectionRefusedError",
    }


def test_turn_answers_over_tcp_and_udp(turn: TurnServer) -> None:
    over_tcp = check_ice(IceServer(urls=turn.url))
    assert over_tcp["reachable"] is True
    assert over_tcp["url"].endswith("(tcp)")
    address = turn.url.removeprefix("turn:").partition("?")[0]
    over_udp = check_ice(IceServer(urls=f"turn:{address}"))
    assert over_udp["reachable"] is True
    assert over_udp["url"].endswith("(udp)")


def test_turn_blocked_and_janus_gone_are_the_reason_doctor_fails(
    network: PrivateNetwork, janus: CallServer, turn: TurnServer
) -> None:
    username, credential = turn.login("centre-1")
    relay = IceServer(urls=turn.url, username=username, credential=credential)
    calls = calls_for(janus.janus, ice_servers=[relay])  # Janus' info, as doctor asks it
    fine = network_report(None, calls)
    assert fine["janus"]["reachable"] and fine["turn"]["reachable"]
    turn.kill()
    found = network_report(None, calls)
    assert found["janus"]["reachable"] and not found["turn"]["reachable"]
    report = {"config": {"enrolled": True, "active": True, "expired": False}, "network": found}
    url = found["turn"]["url"]
    assert problem(report) == f"the TURN server does not answer as it should: {url}"
    janus.kill()
    report["network"] = network_report(None, calls)
    reason = problem(report)
    assert reason is not None and reason.startswith("city hall's call server (Janus)")


def test_nothing_configured_is_not_checked() -> None:
    found = network_report(None, None)
    assert found["janus"] == {"checked": False, "why": "calls_not_configured"}
    assert found["turn"] == {"checked": False, "why": "no_turn_server"}
    assert found["config_server"] == {"checked": False, "why": "not_enrolled"}
