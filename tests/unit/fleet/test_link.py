"""The fleet link's rules, against an in-memory broker: what it says on each connection,
which alerts reach the board and how a refusal is logged, reconnecting, reconfiguring,
closing. The same against the real mosquitto: ``tests/fleet``."""

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import msgspec
import pytest

from kiosk.backoff import Backoff
from kiosk.fleet.board import AlertBoard
from kiosk.fleet.link import FleetLink, LinkState
from kiosk.fleet.report import BoxReport
from kiosk.logs import LastError
from kiosk.navigation import Navigator
from kiosk.status import StatusBoard
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import (
    MAX_ALERT_BYTES,
    Audience,
    BoxStatus,
    Presence,
    Receipt,
    alert_subscriptions,
)
from tests.alerts import AlertDesk, forged, with_fleet
from tests.unit.fleet.fake_broker import FakeBroker

WAIT_S = 10.0
PRESENCE = "fleet/c-1/presence"
STATUS = "fleet/c-1/status"


class Box:
    """A link with the real Qt-free parts behind it, on the test's loop."""

    def __init__(self, config: KioskConfig, broker: FakeBroker, folder: Path) -> None:
        self.config = config
        self.broker = broker
        self.status = StatusBoard()
        self.navigator = Navigator(config.tiles, config.keys, config.idle, time.monotonic)
        self.board = AlertBoard(folder / "alerts.json")
        self.changes = asyncio.Event()
        self.board.subscribe(self.changes.set)
        self.report = BoxReport(
            lambda: self.config, self.status, self.navigator, self.board, LastError(), folder
        )
        self.link = FleetLink(
            config,
            ssl.create_default_context,
            self.board,
            self.report,
            asyncio.get_running_loop(),
            connect=broker.connect,
            backoff=lambda: Backoff(first=0.01, cap=0.05, steady_s=0),
            gap_s=0.05,
        )
        self.board.attach(self.link.report_receipt)

    def reconfigure(self, config: KioskConfig) -> None:
        self.config = config
        self.link.reconfigure(config)

    async def board_changed(self) -> None:
        """Until the board's alerts change (an alert offered and taken)."""
        await asyncio.wait_for(self.changes.wait(), WAIT_S)
        self.changes.clear()


def statuses(broker: FakeBroker) -> list[BoxStatus]:
    return [msgspec.json.decode(p, type=BoxStatus) for p in broker.on(STATUS)]


def presences(broker: FakeBroker) -> list[Presence]:
    return [msgspec.json.decode(p, type=Presence) for p in broker.on(PRESENCE)]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 60))


@pytest.fixture
def desk() -> AlertDesk:
    return AlertDesk()


@pytest.fixture
def config(demo_config: KioskConfig, desk: AlertDesk) -> KioskConfig:
    return with_fleet(demo_config, "mqtts://broker.test:8883", [desk.public])


@pytest.fixture
def broker() -> Iterator[FakeBroker]:
    broker = FakeBroker()
    yield broker
    broker.close()


def test_on_connecting_the_box_says_it_is_online_reports_and_listens(
    config: KioskConfig, desk: AlertDesk, tmp_path: Path, broker: FakeBroker
) -> None:
    async def scenario() -> None:
        box = Box(config, broker, tmp_path)
        earlier = desk.alert()
        assert box.board.offer(earlier) is None  # from before this run's connection
        box.link.start()
        receipt = f"fleet/c-1/receipts/{earlier.id}"
        await broker.until(lambda: bool(broker.on(receipt)))
        order = [p.topic for p in broker.published]
        assert order[:3] == [PRESENCE, STATUS, receipt]
        online = presences(broker)[0]
        assert online.online and online.since is not None
        assert abs(online.since - time.time()) < 5
        [dial] = broker.dials
        assert (dial.host, dial.port, dial.client_id) == ("broker.test", 8883, "c-1")
        assert dial.will == (PRESENCE, msgspec.json.encode(Presence(online=False)))
        assert broker.connections[0].filters == alert_subscriptions("c-1", "운봉읍")
        [status] = statuses(broker)
        assert (status.centre, status.district, status.screen) == ("c-1", "운봉읍", "home")
        assert status.alert == earlier.id and status.online_since == online.since
        got = msgspec.json.decode(broker.on(receipt)[0], type=Receipt)
        assert (got.alert, got.seq, got.state) == (earlier.id, earlier.seq, "delivered")
        assert box.link.state is LinkState.CONNECTED

        box.navigator.show_playing()  # a programme starts: the status follows
        await broker.until(lambda: len(broker.on(STATUS)) == 2)
        assert statuses(broker)[-1].screen == "programme"

        await box.link.close()
        bye = presences(broker)[-1]
        assert not bye.online and bye.since is not None
        assert broker.goodbyes == 1 and not broker.connections
        assert box.link.state is LinkState.CLOSED
        await box.link.close()
        assert broker.goodbyes == 1

    run(scenario)


def test_an_acknowledgement_reaches_city_hall_at_once(
    config: KioskConfig, desk: AlertDesk, tmp_path: Path, broker: FakeBroker
) -> None:
    async def scenario() -> None:
        box = Box(config, broker, tmp_path)
        box.link.start()
        await broker.until(lambda: bool(broker.on(STATUS)))
        alert = desk.alert(audience=Audience(kind="centres", names=["c-1"]))
        broker.publish(f"alerts/centre/c-1/{alert.id}", desk.sign(alert))
        await box.board_changed()
        assert box.board.current == alert
        box.board.acknowledge(alert)
        topic = f"fleet/c-1/receipts/{alert.id}"
        await broker.until(
            lambda: any(b'"acknowledged"' in payload for payload in broker.on(topic))
        )
        await box.link.close()

    run(scenario)


@pytest.mark.allow_warnings
def test_each_refused_alert_is_one_warning_and_changes_nothing(
    config: KioskConfig,
    desk: AlertDesk,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    broker: FakeBroker,
) -> None:
    async def scenario() -> None:
        box = Box(config, broker, tmp_path)
        box.link.start()
        await broker.until(lambda: bool(broker.on(STATUS)))
        genuine = desk.alert()
        broker.publish(f"alerts/all/{genuine.id}", desk.sign(genuine))
        await box.board_changed()
        box.board.acknowledge(genuine)
        box.changes.clear()
        before = box.board.receipts()
        caplog.clear()

        now = time.time()
        bad: dict[str, bytes] = {
            "alerts/all/forged": forged(desk.alert()),
            f"alerts/all/{genuine.id}": desk.sign(genuine),  # a replay
            "alerts/all/expired": desk.sign(desk.alert(issued=now - 7200, minutes=60)),
            "alerts/centre/c-1/elsewhere": desk.sign(
                desk.alert(audience=Audience(kind="centres", names=["c-2"]))
            ),
            "alerts/district/운봉읍/elsewhere": desk.sign(
                desk.alert(audience=Audience(kind="district", names=["산내면"]))
            ),
            "alerts/all/oversized": b"{" + b" " * MAX_ALERT_BYTES + b"}",
            "alerts/all/malformed": b"{not json",
        }
        for topic, payload in bad.items():
            broker.publish(topic, payload)
        # The same bytes again: already said.
        broker.publish("alerts/all/forged", bad["alerts/all/forged"])
        # City hall clearing its copy of an alert on the broker: no refusal, and no
        # taking it off the screen (anyone who owns the broker could send this).
        broker.publish(f"alerts/all/{genuine.id}", b"")
        marker = desk.alert()
        broker.publish(f"alerts/all/{marker.id}", desk.sign(marker))
        await box.board_changed()  # everything before the marker was handled by now
        assert box.board.current == marker
        assert [k for k in box.board.receipts() if k.seq != marker.seq] == before

        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        lines = [r.getMessage() for r in warnings]
        assert len(lines) == len(bad), lines
        reasons = {
            "alerts/all/forged": "signature is not city hall's",
            f"alerts/all/{genuine.id}": "acknowledged already",
            "alerts/all/expired": "expired",
            "alerts/centre/c-1/elsewhere": "is for centres c-2, not this centre",
            "alerts/district/운봉읍/elsewhere": "is for district 산내면, not this centre",
            "alerts/all/oversized": "too large",
            "alerts/all/malformed": "not an alert envelope",
        }
        said = {line.split(": ")[0].removeprefix("alert refused on "): line for line in lines}
        assert said.keys() == reasons.keys(), lines
        for topic, reason in reasons.items():
            assert reason in said[topic], said[topic]

        # Connecting again, the broker sends its stored copy of each: nothing new to say.
        caplog.clear()
        broker.drop()
        await broker.until(lambda: len(broker.on(STATUS)) >= 2 and bool(broker.connections))
        another = desk.alert()
        broker.publish(f"alerts/all/{another.id}", desk.sign(another))
        await box.board_changed()
        assert box.board.waiting() == [marker, another]
        refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert refusals, "said, quietly"
        assert all(
            r.levelno == logging.DEBUG for r in caplog.records if "refused" in r.getMessage()
        )
        await box.link.close()

    caplog.set_level(logging.DEBUG, logger="kiosk.fleet.link")
    run(scenario)


@pytest.mark.allow_warnings
def test_a_broker_away_is_logged_once_and_its_return_once(
    config: KioskConfig,
    desk: AlertDesk,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    broker: FakeBroker,
) -> None:
    async def scenario() -> None:
        box = Box(config, broker, tmp_path)
        box.link.start()
        await broker.until(lambda: len(broker.on(STATUS)) == 1)
        caplog.clear()
        broker.go_down()
        assert presences(broker)[-1] == Presence(online=False), "the will"
        await broker.until(lambda: len(broker.dials) >= 6)
        assert box.link.state in (LinkState.WAITING, LinkState.CONNECTING)
        waiting = desk.alert()
        broker.publish(f"alerts/all/{waiting.id}", desk.sign(waiting))  # retained
        broker.come_back()
        await broker.until(lambda: len(broker.on(STATUS)) == 2)
        assert presences(broker)[-1].online
        await box.board_changed()
        assert box.board.current == waiting, "sent while the box was away"

        lines = [
            (r.levelname, r.getMessage())
            for r in caplog.records
            if r.levelno >= logging.INFO and r.name == "kiosk.fleet.link"
        ]
        lost = "connection lost: connection lost (fake)"
        assert lines == [
            ("WARNING", f"fleet link connected -> waiting: {lost}; trying again quietly"),
            ("INFO", "fleet link connecting -> connected: the broker answers again"),
        ], lines
        await box.link.close()

    run(scenario)


@pytest.mark.allow_warnings
def test_new_keys_connect_again_and_recheck_kept_alerts_a_new_interval_does_not(
    config: KioskConfig,
    desk: AlertDesk,
    tmp_path: Path,
    demo_config: KioskConfig,
    broker: FakeBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        box = Box(config, broker, tmp_path)
        box.link.start()
        await broker.until(lambda: len(broker.on(STATUS)) == 1)
        new_desk = AlertDesk()
        new_desk.seq = 100
        # City hall's new key signs an alert before this box has the configuration
        # that trusts it: refused now...
        signed_anew = new_desk.alert()
        broker.publish(f"alerts/all/{signed_anew.id}", new_desk.sign(signed_anew))
        marker = desk.alert()
        broker.publish(f"alerts/all/{marker.id}", desk.sign(marker))
        await box.board_changed()
        assert box.board.waiting() == [marker]
        assert "signature is not city hall's" in caplog.text
        rotated = with_fleet(
            msgspec.structs.replace(demo_config, revision=7),
            "mqtts://broker.test:8883",
            [desk.public, new_desk.public],
        )
        box.reconfigure(rotated)
        # ...and shown once it does: the broker hands its kept alerts over again.
        await broker.until(lambda: len(broker.dials) == 2 and len(broker.on(STATUS)) >= 2)
        await box.board_changed()
        assert signed_anew in box.board.waiting()
        assert broker.goodbyes == 1
        assert statuses(broker)[-1].revision == 7

        keys = [desk.public, new_desk.public]
        slower = with_fleet(rotated, "mqtts://broker.test:8883", keys, every_s=90)
        box.reconfigure(msgspec.structs.replace(slower, revision=8))
        await broker.until(lambda: statuses(broker)[-1].revision == 8)
        assert len(broker.dials) == 2 and broker.goodbyes == 1, "the connection was kept"

        moved = with_fleet(rotated, "mqtts://broker2.test:8884", [new_desk.public])
        box.reconfigure(moved)
        await broker.until(lambda: len(broker.dials) == 3 and len(broker.on(STATUS)) >= 4)
        assert broker.goodbyes == 2, "the old connection said goodbye"
        assert (broker.dials[-1].host, broker.dials[-1].port) == ("broker2.test", 8884)
        assert [p.online for p in presences(broker)] == [True, False, True, False, True]

        gone = msgspec.structs.replace(moved, fleet=None)
        box.reconfigure(gone)
        await broker.until(lambda: broker.goodbyes == 3)
        assert box.link.state is LinkState.OFF or not broker.connections
        box.reconfigure(moved)
        await broker.until(lambda: len(broker.dials) == 4 and len(broker.connections) == 1)
        await box.link.close()
        assert broker.goodbyes == 4

    run(scenario)


def test_a_centre_without_a_fleet_channel_reports_nowhere(
    demo_config: KioskConfig, tmp_path: Path, broker: FakeBroker
) -> None:
    async def scenario() -> None:
        box = Box(demo_config, broker, tmp_path)
        box.link.start()
        assert box.link.state is LinkState.OFF
        await box.link.close()
        assert broker.dials == [] and box.link.state is LinkState.CLOSED

    run(scenario)
