"""``kiosk doctor`` asks city hall's fleet broker whether it takes the box's certificate
(a TLS handshake with the real mosquitto, no login that would push the running
kiosk's own connection off)."""

from kiosk.doctor import broker_report, problem, render
from kiosk.identity import tls_context
from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from tests.broker import Broker
from tests.calls.identities import CityHallIdentity
from tests.fleet.box import CENTRE


def test_the_broker_takes_the_enrolled_box(
    enrolled: Paths, config: KioskConfig, broker: Broker, identity: CityHallIdentity
) -> None:
    with broker.box(identity.enrol("c-2", enrolled.state / "other")).connect() as running:
        report = broker_report(config.fleet, tls_context(enrolled))
        assert report["reachable"] and report["url"] == broker.url
        assert running.connected, "the check logs nobody out"
    assert broker_report(None, tls_context(enrolled)) == {
        "checked": False,
        "why": "no_fleet_channel",
    }


def test_a_revoked_box_and_a_broker_away_are_named(
    enrolled: Paths, config: KioskConfig, broker: Broker, identity: CityHallIdentity
) -> None:
    identity.authority.revoke(CENTRE)
    broker.reload()
    revoked = broker_report(config.fleet, tls_context(enrolled))
    assert not revoked["reachable"], revoked
    assert revoked["error"].startswith("the broker refused this box's certificate"), revoked
    broker.stop()
    away = broker_report(config.fleet, tls_context(enrolled))
    assert not away["reachable"] and away["error"] == "Connection refused", away
    report = {
        "version": "0",
        "config": {"enrolled": True, "active": True, "expired": False},
        "cameras": [],
        "microphones": [],
        "speakers": [],
        "media": {"files": 0, "ready": 0, "missing": []},
        "network": {"fleet_broker": away},
    }
    assert problem(report) == f"city hall's fleet broker does not answer as it should: {broker.url}"
    assert f"fleet_broker: NOT reachable ({broker.url})" in render(report)
