"""The demo's city hall (demo/kiosk_demo/cityhall.py) on a real Janus outlives a lost
session: after Janus is killed and restarted, or after its WebSocket dies of a ping
timeout, ``kill -USR1`` still rings the centre and the host is back in the meeting."""

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable

import pytest

from kiosk.calls.desk import CallDesk, Phase
from kiosk_demo import cityhall
from kiosk_demo.network import PrivateNetwork
from tests.calls.conftest import ROOM, CallServer, calls_for, reach, run, started, until

PING_DEAD_S = 17.0
"""A cut this long outlasts the WebSocket's ping interval and timeout (5 + 10 s): the
client closes with 1011, as the demo's city hall did under load."""


async def city_hall(janus: CallServer) -> "asyncio.Task[None]":
    """City hall as ``python -m kiosk_demo.cityhall`` runs it (signals included),
    ringing our test centre; returns once it is ready."""
    ready = asyncio.Event()
    sessions = {
        "staff_session": janus.staff_session(("cityhall-welfare",)),
        "host_session": janus.staff_session(("cityhall-host",), rooms=(ROOM,), host=True),
    }
    hall = asyncio.create_task(cityhall.run(janus.url, ready, centre="centre-1", **sessions))
    await ready.wait()
    return hall


async def rung_and_answered(desk: CallDesk) -> None:
    """``kill -USR1``: city hall calls; the centre answers and sees city hall."""
    os.kill(os.getpid(), signal.SIGUSR1)
    ringing = await reach(desk, Phase.RINGING)
    assert ringing.who == "남원시청 복지과"
    desk.answer()
    await reach(desk, Phase.IN_CALL)
    await until(lambda: bool(desk.remote_frames()))
    desk.hang_up()
    await reach(desk, Phase.IDLE)


async def host_seen(desk: CallDesk) -> None:
    """The centre joins the meeting and city hall's host is there."""
    assert desk.join("town-meeting")
    await reach(desk, Phase.IN_ROOM)
    await until(lambda: bool(desk.remote_frames()))
    desk.hang_up()
    await reach(desk, Phase.IDLE)


def after_a_loss(janus: CallServer, lose: Callable[[], Awaitable[None]]) -> None:
    async def scenario() -> None:
        hall = await city_hall(janus)
        try:
            desk = await started(calls_for(janus))
            await rung_and_answered(desk)  # before: as it always worked
            await lose()
            await reach(desk, Phase.OFFLINE)
            await reach(desk, Phase.IDLE)
            await rung_and_answered(desk)
            await host_seen(desk)
            await desk.close()
        finally:  # city hall stops as on Ctrl+C, even after a failure
            os.kill(os.getpid(), signal.SIGTERM)
            await hall

    run(scenario(), limit=120)


@pytest.mark.allow_warnings
def test_city_hall_calls_again_after_janus_was_restarted(janus: CallServer) -> None:
    async def restart() -> None:
        janus.kill()
        await asyncio.sleep(1)  # Janus down for a moment, as under systemd's restart
        janus.start()

    after_a_loss(janus, restart)


@pytest.mark.allow_warnings
def test_city_hall_calls_again_after_its_websocket_died_of_a_ping_timeout(
    janus: CallServer, network: PrivateNetwork
) -> None:
    async def cut() -> None:
        network.cut()
        await asyncio.sleep(PING_DEAD_S)  # the outage itself, not a wait for something
        network.mend()

    after_a_loss(janus, cut)
