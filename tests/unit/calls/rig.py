"""A call desk on the fake Janus with fake connections, on the virtual clock, and
city hall's staff on the same server (the demo's real staff desk)."""

import asyncio
import datetime as dt
import os
import random
from typing import Any, Protocol

from kiosk.backoff import Backoff
from kiosk.calls.desk import CallDesk, CallView, Phase, TurnLogin
from kiosk.calls.floor import FloorBoard
from kiosk.calls.local import StandInMedia
from kiosk.calls.phase import FREE
from kiosk_contract.config.calls import AutoAnswer, Calls, Contact, Room
from kiosk_demo.staff import StaffDesk
from tests.unit.calls.fake_janus import FakeJanus, FakeNet
from tests.unit.calls.fake_media import FakePath
from tests.unit.calls.views import Views

KST = dt.timezone(dt.timedelta(hours=9))
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=KST)
ROOM = 1001

WELFARE = Contact(
    id="city-hall",
    name="cityhall-welfare",
    label="남원시청 복지과",
    label_en="Namwon City Hall, welfare",
    auto_answer=True,
)
MAYOR = Contact(id="mayor", name="cityhall-mayor", label="시장실")


class Server(Protocol):
    @property
    def url(self) -> str: ...


def calls_for(janus: Server, **changes: Any) -> Calls:
    """The centre's calls with *janus* (the fake or a real one): two contacts, a room."""
    settings: dict[str, Any] = {
        "server": janus.url,
        "call_name": "centre-1",
        "contacts": [WELFARE, MAYOR],
        "rooms": [Room(id="town-meeting", number=ROOM, title="군민 회의", host="cityhall-host")],
        "auto_answer": AutoAnswer(after_s=0),
    }
    settings.update(changes)
    return Calls(**settings)


SEED = int(os.environ.get("KIOSK_CALLS_SEED", "18"))
"""The backoff's jitter is drawn from this seed: a failure can be run again."""


def virtual_backoff() -> Backoff:
    return Backoff(rng=random.Random(SEED), clock=asyncio.get_running_loop().time)


class Rig:
    """One centre's desk (not started) on *janus*, its connections on :attr:`path`.
    Build it inside the running (virtual) loop."""

    def __init__(
        self,
        janus: FakeJanus | None = None,
        calls: Calls | None = None,
        when: dt.datetime = TUESDAY_10,
        net: FakeNet | None = None,
        centre_id: str = "centre-1",
        turn_login: TurnLogin | None = None,
        floor: FloorBoard | None = None,
    ) -> None:
        self.janus = janus or FakeJanus()
        self.path = FakePath()
        self.when = when
        self.desk = CallDesk(
            calls or calls_for(self.janus),
            centre_id,
            StandInMedia(),
            lambda: self.when,
            clock=asyncio.get_running_loop().time,
            open_session=(net or self.janus).open,
            new_peer=self.path.new_peer,
            backoff=virtual_backoff,
            turn_login=turn_login,
            floor=floor,
        )
        self.views = Views(self.desk)

    async def reach(self, *phases: Phase) -> CallView:
        return await self.views.reach(*phases)

    async def started(self) -> "Rig":
        self.desk.start()
        await self.reach(Phase.IDLE)
        return self

    async def staff(self, name: str = "cityhall-welfare") -> StaffDesk:
        """City hall staff registered on the same server (sending nothing)."""
        return await StaffDesk.open(
            self.janus.url,
            name,
            lambda: (),
            open_session=self.janus.open,
            new_peer=self.path.new_peer,
            backoff=virtual_backoff,
        )

    async def close(self) -> None:
        await self.desk.close()
        assert not self.path.open(), f"connections left open: {self.path.open()}"


async def answered(rig: Rig, staff: StaffDesk) -> CallView:
    """City hall's *staff* calls the centre and the senior presses 받기: in the call."""
    await staff.call(rig.desk.name)
    await rig.reach(Phase.RINGING)
    rig.desk.answer()
    await staff.connected()
    return await rig.reach(Phase.IN_CALL)


async def settled(rig: Rig) -> CallView:
    """The next view in which the desk is free again."""
    return await rig.reach(*FREE)
