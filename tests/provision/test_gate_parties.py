"""The call gate's view of who is who, read from city hall's identity folder."""

from pathlib import Path

import pytest

from kiosk_provisioning.gate import CityHall
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.tokens import issue_staff_pass
from tests.provision.test_authority import der, request_for

DIRECTORY = (
    '{"centres": {"namwon-001": {"call_name": "unbong-sinki", "rooms": [1001]}}, "rooms": {}}'
)


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    made = Authority.open(tmp_path / "identity")
    (made.folder / "directory.json").write_text(DIRECTORY)
    return made


def test_a_box_is_its_centres_call_name_and_rooms(authority: Authority) -> None:
    cert = der(authority.enrol("namwon-001", authority.issue_code("namwon-001"), request_for()[0]))
    party = CityHall(authority.folder).box(cert)
    assert party is not None
    assert (party.names, party.rooms, party.publishes) == (("unbong-sinki",), {1001}, True)
    authority.revoke("namwon-001")
    assert CityHall(authority.folder).box(cert) is None


@pytest.mark.allow_warnings  # the pass naming a centre is logged
def test_a_staff_pass_never_gives_a_centres_name(authority: Authority) -> None:
    names = ["cityhall-welfare", "unbong-sinki", "namwon-001"]
    token = issue_staff_pass(authority.token_key, "kim", names, [1001], host=True)
    party = CityHall(authority.folder).staff(token)
    assert party is not None and party.names == ("cityhall-welfare",)
    only_a_centre = issue_staff_pass(authority.token_key, "lee", ["unbong-sinki"])
    assert CityHall(authority.folder).staff(only_a_centre) is None
    forged = issue_staff_pass(b"not city hall's key, though just as long", "kim", names)
    assert CityHall(authority.folder).staff(forged) is None


@pytest.mark.allow_warnings  # each refusal is logged
def test_no_directory_no_staff_and_a_registered_centre_is_never_staff(tmp_path: Path) -> None:
    authority = Authority.open(tmp_path / "identity")
    token = issue_staff_pass(authority.token_key, "kim", ["cityhall-welfare", "namwon-009"])
    assert CityHall(authority.folder).staff(token) is None, "nothing built yet"
    authority.enrol("namwon-009", authority.issue_code("namwon-009"), request_for()[0])
    (authority.folder / "directory.json").write_text(DIRECTORY)  # namwon-009 not in it
    party = CityHall(authority.folder).staff(token)
    assert party is not None and party.names == ("cityhall-welfare",)
