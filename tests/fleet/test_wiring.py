"""The fleet link as the composition root builds it (:func:`kiosk.app.services.fleet_link`)
from the kiosk's real parts, against the real broker: the status tells what the parts
know (the last error logged anywhere, the configuration in force, the alert waiting,
the meeting room the centre went into and left), alerts reach the board the screens
show, and the board's receipts reach city hall."""

import asyncio
import logging
import time

import msgspec
import pytest

from kiosk.app.parts import build_parts
from kiosk.app.services import fleet_link
from kiosk.config import LoadedConfig
from kiosk.config.loading import ConfigSource
from kiosk.logs import LastError
from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import Audience, BoxStatus, Receipt
from tests.alerts import AlertDesk
from tests.broker import Broker, Message, Peer
from tests.fleet.box import CENTRE, next_on

STATUS = f"fleet/{CENTRE}/status"


def status_of(message: Message) -> BoxStatus:
    return msgspec.json.decode(message.payload, type=BoxStatus)


@pytest.mark.allow_warnings
def test_the_roots_link_reports_the_parts_and_feeds_their_board(
    enrolled: Paths, config: KioskConfig, broker: Broker, hall: Peer, desk: AlertDesk
) -> None:
    parts = build_parts(LoadedConfig(config, ConfigSource.FILE), enrolled)

    async def scenario() -> None:
        errors = LastError()
        root = logging.getLogger()
        root.addHandler(errors)
        link = fleet_link(asyncio.get_running_loop(), parts, errors, time.monotonic() - 30)
        try:
            link.start()
            first = status_of(await next_on(hall, STATUS))
            assert (first.name, first.revision) == (config.centre.name, config.revision)
            assert first.uptime_s >= 30 and first.last_error == "" and first.room == 0

            # Into a meeting and out: each goes out at once (the periodic one is 120 s
            # away, next_on waits 15 s at most).
            parts.attendance.set(1001)
            met = status_of(await next_on(hall, STATUS, lambda m: status_of(m).room != 0))
            assert met.room == 1001
            parts.attendance.set(0)
            await next_on(hall, STATUS, lambda m: status_of(m).room == 0)

            logging.getLogger("kiosk.somewhere").error("the camera stopped answering")
            failed = status_of(await next_on(hall, STATUS, lambda m: bool(status_of(m).last_error)))
            assert failed.last_error == "kiosk.somewhere: the camera stopped answering"
            assert failed.last_error_at is not None

            alert = desk.alert(audience=Audience(kind="centres", names=[CENTRE]))
            [topic] = alert.topics()
            with broker.city_hall().connect() as sender:
                await asyncio.to_thread(sender.publish, topic, desk.sign(alert), 1, True)
            receipts = f"fleet/{CENTRE}/receipts/{alert.id}"
            await next_on(hall, receipts)
            assert parts.alerts.current == alert
            waiting = status_of(await next_on(hall, STATUS, lambda m: status_of(m).alert != ""))
            assert waiting.alert == alert.id
            parts.alerts.acknowledge(alert)
            acknowledged = await next_on(hall, receipts)
            assert msgspec.json.decode(acknowledged.payload, type=Receipt).state == "acknowledged"

            newer = LoadedConfig(
                msgspec.structs.replace(config, revision=config.revision + 1), ConfigSource.FILE
            )
            parts.reconfigure(newer)
            link.reconfigure(newer.config)
            applied = status_of(
                await next_on(hall, STATUS, lambda m: status_of(m).revision > config.revision)
            )
            assert applied.alert == ""
        finally:
            await link.close()
            root.removeHandler(errors)

    asyncio.run(asyncio.wait_for(scenario(), 60))
