"""Healing without anyone touching it: the server killed and restarted, the cable
pulled for a few seconds. Times are measured in bench/calls.py; these tests check
that the session comes back with media flowing both ways."""

import asyncio
import logging

import pytest

from kiosk.calls.desk import CallDesk, Notice, Phase
from kiosk.calls.local import StandInMedia
from kiosk.calls.peer import Connection
from kiosk_demo.network import PrivateNetwork
from tests.calls.conftest import (
    HALL_COLOUR,
    HALL_TONE,
    RECORDS,
    ROOM,
    TUESDAY_10,
    CallServer,
    Record,
    calls_for,
    reach,
    run,
    started,
    until,
)
from tests.calls.signals import mean_rgb, near

CUT_S = 5.0
"""Longer than ``no_media_s`` (2 s: "unsteady"), shorter than giving up (10 s)."""


async def host_desk(janus: CallServer) -> CallDesk:
    """City hall's host, itself a desk (it rejoins by itself too)."""
    media = StandInMedia(HALL_COLOUR, HALL_TONE)
    desk = CallDesk(
        calls_for(janus, call_name="cityhall-host"),
        "host",
        media,
        lambda: TUESDAY_10,
        open_session=janus.staff_session(("cityhall-host",), rooms=(ROOM,), host=True),
    )
    RECORDS[desk] = Record(desk, media)
    desk.start()
    await reach(desk, Phase.IDLE)
    return desk


def host_connection(desk: CallDesk) -> Connection | None:
    """The connection the host's picture and voice arrive on."""
    shown = desk.group.shown() if desk.group is not None else []
    return shown[0].peer if shown else None


def fresh_media(desk: CallDesk) -> int:
    """Frames received from the host so far (video), to see new ones arrive."""
    peer = host_connection(desk)
    if peer is None:
        return -1
    got = peer.received.get("video")
    return got.frames if got else 0


async def flowing(desk: CallDesk) -> None:
    """The host's picture is on the centre's screen and new frames keep arriving."""

    def host_seen() -> bool:
        frames = desk.remote_frames()
        return bool(frames) and near(mean_rgb(frames[0]), HALL_COLOUR)

    await until(host_seen)
    first = fresh_media(desk)
    await until(lambda: fresh_media(desk) >= first + 10)


async def both_in_the_room(janus: CallServer) -> tuple[CallDesk, CallDesk]:
    host = await host_desk(janus)
    assert host.join("town-meeting")
    centre = await started(calls_for(janus))
    assert centre.join("town-meeting")
    await reach(centre, Phase.IN_ROOM)
    await flowing(centre)
    return host, centre


@pytest.mark.allow_warnings
def test_server_killed_and_restarted_the_session_comes_back(
    janus: CallServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        host, centre = await both_in_the_room(janus)
        janus.kill()
        lost = await reach(centre, Phase.RECONNECTING)
        assert lost.notice is Notice.RECONNECTING
        janus.start()
        await reach(centre, Phase.IN_ROOM)
        await flowing(centre)
        await centre.close()
        await host.close()

    run(scenario())
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("lost: connection closed" in w for w in warned)
    assert all("lost" in w or "rejoining" in w or "call server" in w for w in warned), warned


def test_short_cable_cut_heals_without_rejoining(
    janus: CallServer, network: PrivateNetwork
) -> None:
    async def scenario() -> None:
        host, centre = await both_in_the_room(janus)
        views = len(RECORDS[centre].views)
        before = host_connection(centre)
        network.cut()
        await asyncio.sleep(CUT_S)  # the outage itself, not a wait for something
        # The cut was real: nothing arrived for most of it, and the screen said so.
        assert before is not None and before.silence() >= CUT_S - 1.5
        cut = RECORDS[centre].views[views:]
        assert [(v.phase, v.notice) for v in cut] == [(Phase.IN_ROOM, Notice.UNSTEADY)]
        network.mend()
        await flowing(centre)
        assert host_connection(centre) is before  # media came back on the same connection
        steady = await reach(centre, Phase.IN_ROOM, Phase.RECONNECTING)
        assert (steady.phase, steady.notice) == (Phase.IN_ROOM, Notice.NONE)
        await centre.close()
        await host.close()

    run(scenario())
