"""A town meeting's floor and hands over the real broker, with the access list the
build writes: the box takes only city hall's signed floor of its own room, newer than
the last, and its hand reaches city hall on the centre's own topic."""

import asyncio
import logging
from collections.abc import Callable

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.calls.floor import FloorBoard
from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from kiosk_contract.floor import Floor, Hand, floor_topic, sign_floor
from kiosk_provisioning.broker.config import write_acl
from tests.alerts import AlertDesk
from tests.broker import Broker, Message, Peer
from tests.fleet.box import CENTRE, DISTRICT, Box, next_on
from tests.floors import floor_of

ROOM = 1001
OTHER_ROOM = 1002


def _raised(message: Message) -> bool:
    return msgspec.json.decode(message.payload, type=Hand).raised


@pytest.mark.allow_warnings  # the forged floor's refusal is one
def test_only_city_halls_newest_floor_of_its_room_puts_the_centre_on_air(
    enrolled: Paths,
    config: KioskConfig,
    broker: Broker,
    hall: Peer,
    desk: AlertDesk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert ROOM in [room.number for room in config.calls.rooms]
    write_acl(broker.files.acl, {CENTRE: DISTRICT}, {CENTRE: [ROOM]})
    broker.reload()

    async def scenario() -> None:
        board = FloorBoard(CENTRE)
        changed = asyncio.Queue[int]()
        board.subscribe(changed.put_nowait)
        box = Box(config, enrolled, floor=board)
        board.attach(box.link.send_hand)
        board.raise_hand(ROOM)
        box.link.start()
        sender = await asyncio.to_thread(lambda: broker.city_hall().connect())

        async def publish(floor: Floor, sign: Callable[[bytes], bytes] = desk.key.sign) -> None:
            payload = sign_floor(floor, sign)
            await asyncio.to_thread(sender.publish, floor_topic(floor.room), payload, 1, True)

        async def on_air(wanted: bool) -> None:
            """The board's next changes, until the centre is on air (or off) as *wanted*."""
            while board.on_air(ROOM) != wanted:
                assert await asyncio.wait_for(changed.get(), 15) == ROOM

        try:
            # The senior pressed 말하기 before the link was up: the hand reaches city
            # hall on the centre's topic once it is.
            raised = await next_on(hall, f"fleet/{CENTRE}/hands/{ROOM}", _raised)
            hand = msgspec.json.decode(raised.payload, type=Hand)
            assert (hand.room, hand.raised) == (ROOM, True)
            # A floor forged on the broker (not city hall's key) is refused and logged.
            await publish(floor_of(ROOM, 5, CENTRE), Ed25519PrivateKey.generate().sign)
            # City hall's own gives the floor; its hand goes down by itself.
            await publish(floor_of(ROOM, 6, CENTRE))
            await on_air(True)
            await next_on(hall, f"fleet/{CENTRE}/hands/{ROOM}", lambda m: not _raised(m))
            # Taken back.
            await publish(floor_of(ROOM, 7))
            await on_air(False)
            refusals = [
                r.getMessage()
                for r in caplog.records
                if r.levelno >= logging.WARNING and r.name == "kiosk.fleet.link"
            ]
            assert len(refusals) == 1, refusals
            assert refusals[0].startswith(f"floor refused on {floor_topic(ROOM)}"), refusals
            assert "signature" in refusals[0], refusals
        finally:
            sender.close()
            await box.link.close()

    asyncio.run(asyncio.wait_for(scenario(), 120))
