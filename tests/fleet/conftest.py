"""The fleet link against the real mosquitto as city hall configures it
(:mod:`tests.broker`), with a box enrolled by the real authority: its own key and
certificate in ``STATE/identity``, as ``kiosk enroll`` leaves them."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from tests.alerts import AlertDesk, with_fleet
from tests.broker import Broker, Peer
from tests.calls.identities import CityHallIdentity
from tests.fleet.box import CENTRE, DISTRICT


@pytest.fixture
def identity(tmp_path: Path) -> CityHallIdentity:
    return CityHallIdentity(tmp_path / "repo", {CENTRE: (), "c-2": ()})


@pytest.fixture
def enrolled(paths: Paths, identity: CityHallIdentity) -> Paths:
    """*paths* of a box enrolled as :data:`CENTRE`."""
    identity.enrol(CENTRE, paths.state / "identity")
    return paths


@pytest.fixture
def broker(tmp_path: Path, identity: CityHallIdentity) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", identity, {CENTRE: DISTRICT, "c-2": "산내면"}) as running:
        yield running


@pytest.fixture
def desk() -> AlertDesk:
    return AlertDesk()


@pytest.fixture
def config(demo_config: KioskConfig, broker: Broker, desk: AlertDesk) -> KioskConfig:
    return with_fleet(demo_config, broker.url, [desk.public], CENTRE, DISTRICT)


@pytest.fixture
def hall(broker: Broker) -> Iterator[Peer]:
    """City hall's tools, reading every box's reports."""
    peer = broker.city_hall().connect()
    peer.subscribe("fleet/#")
    yield peer
    peer.close()
