"""TURN servers configured without a login get city hall's time-limited one
(coturn's shared-secret scheme), asked for before each call: the login in the
configuration is never one static password for the whole fleet."""

import logging

import pytest

from kiosk_contract.config.calls import IceServer
from tests.unit.calls.fake_janus import FakeJanus
from tests.unit.calls.rig import Rig, answered, calls_for, settled
from tests.unit.calls.virtual import run

RELAY = IceServer(urls="turn:turn.cityhall.example:3478?transport=tcp")
"""Configured without a login: ask city hall."""
OWN = IceServer(urls="turn:other.example:3478", username="fixed", credential="given")
"""Configured with its own login: used as it is."""


def ice_of_calls(rig: Rig) -> list[list[tuple[str, str, str]]]:
    """The ICE servers of each connection the centre made for a call."""
    return [
        [(s.urls, s.username, s.credential) for s in c.ice_servers]
        for c in rig.path.made
        if c.label.startswith("call from")
    ]


def test_each_call_gets_city_halls_newest_turn_login() -> None:
    logins = [("1700000000:centre-1", "first"), ("1700003600:centre-1", "second")]

    async def login() -> tuple[str, str]:
        return logins.pop(0)

    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(
            janus, calls_for(janus, ice_servers=[RELAY, OWN]), turn_login=login
        ).started()
        staff = await rig.staff()
        for _ in range(2):
            await answered(rig, staff)
            rig.desk.hang_up()
            await settled(rig)
        assert ice_of_calls(rig) == [
            [(RELAY.urls, "1700000000:centre-1", "first"), (OWN.urls, "fixed", "given")],
            [(RELAY.urls, "1700003600:centre-1", "second"), (OWN.urls, "fixed", "given")],
        ]
        await staff.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_without_a_login_from_city_hall_the_call_goes_without_that_relay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def login() -> tuple[str, str]:
        raise OSError("identity service unreachable")

    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(
            janus, calls_for(janus, ice_servers=[RELAY, OWN]), turn_login=login
        ).started()
        staff = await rig.staff()
        for _ in range(2):
            await answered(rig, staff)
            rig.desk.hang_up()
            await settled(rig)
        assert ice_of_calls(rig) == [[(OWN.urls, "fixed", "given")]] * 2
        await staff.close()
        await rig.close()

    with caplog.at_level(logging.INFO):
        run(scenario())
    said = [r.getMessage() for r in caplog.records if "TURN login" in r.getMessage()]
    assert len(said) == 1, f"said once, not at every call: {said}"
