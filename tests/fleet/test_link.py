"""The fleet link with the real mosquitto as city hall configures it, and a box enrolled
by the real authority: the status city hall reads, the last will, alerts in and what is
refused, the broker going away and coming back, a broker that never answers."""

import asyncio
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import msgspec
import pytest
import pyudev

from kiosk.backoff import Backoff
from kiosk.devices.status import facts
from kiosk.devices.watch import DeviceWatch
from kiosk.fleet import link as link_module
from kiosk.fleet.link import LinkState
from kiosk.fleet.mqtt import Connection, Dial, connect
from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import MAX_ALERT_BYTES, Audience, BoxStatus, Presence, Receipt
from tests.alerts import AlertDesk, forged, with_fleet
from tests.broker import Broker, Message, Peer
from tests.devices.conftest import Hotplug, load_room
from tests.fleet.box import CENTRE, DISTRICT, WAIT_S, Box, next_on

ROOT = Path(__file__).resolve().parents[2]
STATUS = f"fleet/{CENTRE}/status"
PRESENCE = f"fleet/{CENTRE}/presence"
CAMERA = Hotplug("centre-room", "1-1")


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 120))


def status_of(message: Message) -> BoxStatus:
    return msgspec.json.decode(message.payload, type=BoxStatus)


def presence_of(message: Message) -> Presence:
    return msgspec.json.decode(message.payload, type=Presence)


class LoopGaps:
    """The longest the event loop went without turning, while it runs."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)  # the tick being measured, not a wait for anything
            self.longest = max(self.longest, loop.time() - before - 0.01)

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.longest


class Dials:
    """The real dial, counted, and held back while :attr:`gate` is closed (the box
    stays away while a test does something at the broker)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.count = 0
        self._counted = threading.Condition()

    def __call__(self, dial: Dial) -> Connection:
        with self._counted:
            self.count += 1
            self._counted.notify_all()
        assert self.gate.wait(WAIT_S), "the test never let the box connect"
        return connect(dial)

    async def reach(self, count: int) -> None:
        def wait() -> bool:
            with self._counted:
                return self._counted.wait_for(lambda: self.count >= count, WAIT_S)

        assert await asyncio.to_thread(wait), f"fewer than {count} attempts to connect"


def link_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if r.name == "kiosk.fleet.link" and r.levelno >= logging.INFO
    ]


def test_the_broker_keeps_the_status_and_it_follows_devices_and_the_screen(
    testbed: object, enrolled: Paths, config: KioskConfig, broker: Broker, hall: Peer
) -> None:
    load_room(testbed, "centre-room")

    async def scenario() -> None:
        box = Box(config, enrolled)
        watch = DeviceWatch(
            pyudev.Context(),
            config.devices,
            lambda devices, choice: box.status.update(**facts(devices, choice)),
        )
        watch.start(asyncio.get_running_loop())
        box.link.start()
        try:
            first = status_of(await next_on(hall, STATUS))
            assert (first.centre, first.district, first.screen) == (CENTRE, DISTRICT, "home")
            assert (first.camera.present, first.camera.chosen) == (1, "Logitech BRIO")
            assert first.speaker.present == 3 and first.speaker.chosen == "Jabra SPEAK 510 USB"
            assert first.revision == config.revision and first.disk_free > 0

            def kept() -> Message:
                with broker.city_hall().connect() as late:  # a technician's status, later
                    late.subscribe(STATUS)
                    return late.next()

            stored = await asyncio.to_thread(kept)
            assert stored.retain and status_of(stored).camera.present == 1

            CAMERA.unplug(testbed)
            unplugged = status_of(
                await next_on(hall, STATUS, lambda m: status_of(m).camera.present == 0)
            )
            assert unplugged.camera.chosen == ""
            assert unplugged.speaker == first.speaker

            box.navigator.show_playing()  # a programme starts
            playing = status_of(
                await next_on(hall, STATUS, lambda m: status_of(m).screen == "programme")
            )
            assert playing.camera.present == 0
        finally:
            await box.link.close()
            await watch.close()
        bye = presence_of(await next_on(hall, PRESENCE, lambda m: not presence_of(m).online))
        assert bye.since is not None, "the box's own goodbye, not its will"

    run(scenario)


def test_a_box_that_dies_is_marked_offline_by_its_last_will(
    enrolled: Paths, config: KioskConfig, broker: Broker, hall: Peer, tmp_path: Path
) -> None:
    document = tmp_path / "config.json"
    document.write_bytes(msgspec.json.encode(config))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.fleet.box", str(document), str(enrolled.etc),
         str(enrolled.state)],
        cwd=ROOT,
    )  # fmt: skip
    try:
        seen = hall.until(STATUS)
        online = [presence_of(m) for m in seen if m.topic == PRESENCE]
        assert online and online[-1].online
        child.kill()  # as a power cut: no goodbye
        child.wait(WAIT_S)
        offline = hall.until(PRESENCE)[-1]
        assert presence_of(offline) == Presence(online=False, since=None), "the will"
    finally:
        child.kill()
        child.wait(WAIT_S)


@pytest.mark.allow_warnings
def test_only_genuine_alerts_for_this_centre_reach_the_board(
    enrolled: Paths,
    config: KioskConfig,
    broker: Broker,
    hall: Peer,
    desk: AlertDesk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        box = Box(config, enrolled)
        box.link.start()
        sender = await asyncio.to_thread(lambda: broker.city_hall().connect())

        async def publish(topic: str, payload: bytes) -> None:
            await asyncio.to_thread(sender.publish, topic, payload, 1, True)

        try:
            await next_on(hall, STATUS)
            genuine = desk.alert(audience=Audience(kind="district", names=[DISTRICT]))
            [topic] = genuine.topics()
            await publish(topic, desk.sign(genuine))
            await box.board_changed()
            assert box.board.current == genuine
            receipts = f"fleet/{CENTRE}/receipts/{genuine.id}"
            delivered = await next_on(hall, receipts)
            assert msgspec.json.decode(delivered.payload, type=Receipt).state == "delivered"
            box.board.acknowledge(genuine)
            box.changes.clear()
            await next_on(hall, receipts, lambda m: b'"acknowledged"' in m.payload)
            before = box.board.receipts()
            caplog.clear()

            now = time.time()
            refused = {
                "alerts/all/forged": (forged(desk.alert()), "signature is not city hall's"),
                topic: (desk.sign(genuine), "acknowledged already"),  # replayed
                "alerts/all/expired": (
                    desk.sign(desk.alert(issued=now - 7200, minutes=60)),
                    "expired",
                ),
                f"alerts/centre/{CENTRE}/elsewhere": (
                    desk.sign(desk.alert(audience=Audience(kind="centres", names=["c-2"]))),
                    "is for centres c-2, not this centre",
                ),
                f"alerts/district/{DISTRICT}/elsewhere": (
                    desk.sign(desk.alert(audience=Audience(kind="district", names=["산내면"]))),
                    "is for district 산내면, not this centre",
                ),
                "alerts/all/malformed": (b'{"alert": "not base64"}', "not an alert envelope"),
            }
            for bad_topic, (payload, _) in refused.items():
                await publish(bad_topic, payload)
            # Larger than any alert: the broker drops it (and the box would refuse it).
            await publish("alerts/all/oversized", b"{" + b" " * MAX_ALERT_BYTES + b"}")
            marker = desk.alert()
            await publish(f"alerts/all/{marker.id}", desk.sign(marker))
            await box.board_changed()  # the broker keeps the order: the rest came first
            assert box.board.current == marker
            assert [k for k in box.board.receipts() if k.seq != marker.seq] == before

            lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            said = {line.split(": ")[0].removeprefix("alert refused on "): line for line in lines}
            assert said.keys() == refused.keys() and len(lines) == len(refused), lines
            for bad_topic, (_, reason) in refused.items():
                assert reason in said[bad_topic], said[bad_topic]
        finally:
            sender.close()
            await box.link.close()

    run(scenario)


@pytest.mark.allow_warnings
def test_with_the_broker_down_and_back_the_screen_turns_and_nothing_is_lost(
    enrolled: Paths,
    config: KioskConfig,
    broker: Broker,
    desk: AlertDesk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dials = Dials()

    async def scenario() -> None:
        box = Box(
            config,
            enrolled,
            connect=dials,
            backoff=lambda: Backoff(first=0.05, cap=0.3, steady_s=0),
        )
        box.link.start()
        with broker.city_hall().connect() as before:
            before.subscribe("fleet/#")
            await next_on(before, STATUS)
        caplog.clear()
        gaps = LoopGaps()
        gaps.start()
        await asyncio.to_thread(broker.stop)
        await dials.reach(dials.count + 3)  # refused, again and again, quickly
        assert box.link.state in (LinkState.WAITING, LinkState.CONNECTING)
        box.navigator.show_playing()  # what the screen does meanwhile reaches city hall later
        dials.gate.clear()  # the box stays away while city hall sends an alert
        await asyncio.to_thread(broker.start)
        hall = await asyncio.to_thread(lambda: broker.city_hall().connect())
        try:
            await asyncio.to_thread(hall.subscribe, "fleet/#")
            queued = desk.alert(audience=Audience(kind="centres", names=[CENTRE]))
            [topic] = queued.topics()
            await asyncio.to_thread(hall.publish, topic, desk.sign(queued), 1, True)
            dials.gate.set()
            back = status_of(
                await next_on(hall, STATUS, lambda m: status_of(m).screen == "programme")
            )
            assert back.online_since > 0
            await box.board_changed()
            assert box.board.current == queued
        finally:
            hall.close()
            longest = await gaps.stop()
            await box.link.close()
        # Blocking on the broker would stand still for a dial's timeout (seconds); a
        # loaded 2-core CI machine stalls a loop for tens of ms now and then.
        assert longest < 1.0, f"the loop stood still for {longest:.3f} s"
        lines = link_lines(caplog)
        assert [level for level, _ in lines][:2] == ["WARNING", "INFO"], lines
        assert lines[0][1].startswith("fleet link connected -> waiting: connection lost")
        assert lines[1][1] == "fleet link connecting -> connected: the broker answers again"
        assert [level for level, _ in lines[2:]] == ["INFO"] * len(lines[2:]), lines

    run(scenario)


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A broker address that accepts TCP connections (the kernel does) and never says
    a word: the TLS handshake waits until the dial's timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"mqtts://127.0.0.1:{listener.getsockname()[1]}"


def test_a_broker_that_never_answers_blocks_neither_the_screen_nor_the_stop(
    enrolled: Paths, config: KioskConfig, blackhole: str, desk: AlertDesk
) -> None:
    silent = with_fleet(config, blackhole, [desk.public], CENTRE, DISTRICT)
    dials = Dials()

    async def scenario() -> None:
        # The dial gives up after 4 s, longer than closing waits for it (3 s).
        box = Box(silent, enrolled, connect=dials, dial_timeout_s=4.0)
        alert = desk.alert()
        assert box.board.offer(alert) is None
        [known] = box.board.receipts()
        box.link.start()
        await dials.reach(1)
        gaps = LoopGaps()
        gaps.start()
        slowest = 0.0
        for _ in range(200):
            started = time.perf_counter()
            box.link.report_receipt(known)
            box.navigator.show_playing()
            box.navigator.go_home()
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0)
        assert box.link.state is LinkState.CONNECTING
        started = time.monotonic()
        await box.link.close()
        closing = time.monotonic() - started
        assert await gaps.stop() < 1.0
        assert slowest < 0.5, f"reporting took {slowest:.3f} s"
        assert closing < link_module.CLOSE_S + 1, f"closing took {closing:.1f} s"
        # The thread left behind ends with its dial, and tidies up after itself.
        [left] = [t for t in threading.enumerate() if t.name == "kiosk-fleet"]
        await asyncio.to_thread(left.join, WAIT_S)
        assert not left.is_alive() and box.link.state is LinkState.CLOSED

    run(scenario)
