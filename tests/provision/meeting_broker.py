"""The fleet's broker with meeting rooms in its access list, for the tests of what
travels per room (questions, floors and hands): three centres, two of them in the town
meeting (1001), one also in room 7, one in none; each centre's box enrolled. A test
module imports the fixtures it uses (``identity``, ``boxes``, ``broker`` to its tests)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_provisioning.broker.config import write_acl
from tests.broker import Broker
from tests.calls.identities import BoxFiles, CityHallIdentity

DISTRICTS = {"c-1": "운봉읍", "c-2": "금동", "c-3": "운봉읍"}
ROOMS = {"c-1": [1001], "c-2": [1001, 7], "c-3": []}
"""c-1 and c-2 are in the town meeting (1001), c-2 also in room 7; c-3, of c-1's
district, in none."""


@pytest.fixture(name="identity")
def identity_fixture(tmp_path: Path) -> CityHallIdentity:
    return CityHallIdentity(tmp_path / "repo", {centre: () for centre in DISTRICTS})


@pytest.fixture(name="boxes")
def boxes_fixture(identity: CityHallIdentity, tmp_path: Path) -> dict[str, BoxFiles]:
    return {centre: identity.enrol(centre, tmp_path / centre) for centre in DISTRICTS}


@pytest.fixture(name="broker")
def broker_fixture(identity: CityHallIdentity, tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", identity, DISTRICTS) as running:
        write_acl(running.files.acl, DISTRICTS, ROOMS)
        running.reload()
        yield running
