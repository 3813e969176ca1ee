"""The console's fleet watch on a real mosquitto: what boxes report is what the pages
read; bad reports are ignored with one line; a broker that goes away is logged once,
its state kept, and found again; close() is prompt."""

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import msgspec
import pytest

from kiosk_contract.fleet import (
    BoxStatus,
    DeviceReport,
    Presence,
    Receipt,
    presence_topic,
    receipt_topic,
    status_topic,
)
from kiosk_provisioning.broker.config import parse_url
from kiosk_provisioning.broker.status import MAX_REPORT_BYTES, CentreState
from kiosk_provisioning.build import build
from kiosk_provisioning.console.fleetwatch import FleetWatch
from tests.broker import Broker, Peer
from tests.calls.identities import CityHallIdentity
from tests.console.fleet_city import Centre, build_city
from tests.webserver import free_port

CENTRES = [Centre("c-1", "화정경로당", "운봉읍"), Centre("c-2", "노암경로당", "금동")]
WAIT_S = 15.0
T = TypeVar("T")


def until(check: Callable[[], T | None], what: str) -> T:
    """*check*'s first truthy value, polled with a deadline."""
    deadline = time.monotonic() + WAIT_S
    while not (value := check()):
        assert time.monotonic() < deadline, f"not within {WAIT_S} s: {what}"
        time.sleep(0.01)  # polling the watch's state, with a deadline
    return value


class Fleet:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.repo = build_city(tmp_path, CENTRES)
        everyone = {"c-1": (), "c-2": (), "c-9": ()}
        self.identity = CityHallIdentity(self.repo, everyone)
        self.broker = Broker(tmp_path / "broker", self.identity, {"c-1": "운봉읍"})
        self.watch = FleetWatch(
            self.repo, parse_url(self.broker.tools_url), retry_s=(0.05, 0.3), build_check_s=0.05
        )

    def box(self, centre: str) -> Peer:
        return self.broker.box(self.identity.enrol(centre, self.tmp_path / centre)).connect()

    def row(self, centre: str) -> CentreState:
        return next(row for row in self.watch.centres() if row.centre == centre)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    made = Fleet(tmp_path)
    with made.broker:
        made.watch.start()
        try:
            until(lambda: made.watch.connected, "connected")
            yield made
        finally:
            made.watch.close()


def status(centre: str, **changes: object) -> bytes:
    device = DeviceReport(present=1, chosen="USB")
    made = BoxStatus(
        centre=centre, version="1.4.2", revision=1, camera=device, microphone=device,
        speaker=device, online_since=1_790_000_000, at=1_790_000_100,
    )  # fmt: skip
    return msgspec.json.encode(msgspec.structs.replace(made, **changes))


def online(since: int = 1_790_000_000) -> bytes:
    return msgspec.json.encode(Presence(online=True, since=since))


def test_what_the_boxes_report_is_what_the_pages_read(fleet: Fleet) -> None:
    assert [(r.centre, r.state) for r in fleet.watch.centres()] == [
        ("c-2", "never connected"),
        ("c-1", "never connected"),
    ], "the built centres, by district, before any box reported"
    before = fleet.row("c-2")
    with fleet.box("c-1") as box:
        box.publish(status_topic("c-1"), status("c-1", screen="call", room=1001), retain=True)
        box.publish(presence_topic("c-1"), online(), retain=True)
        until(lambda: fleet.row("c-1").state == "online", "c-1 online")
        row = fleet.row("c-1")
        assert row.screen == "call" and row.since == 1_790_000_000
        assert row.name == "화정경로당" and row.version == "1.4.2" and row.problems == ()
        assert row.room == 1001, "the meeting room its box is in"
        assert fleet.row("c-2") is before, "a centre that did not report keeps its row"
        # Gone offline, its last status still says room 1001: it is in no room any more.
        gone = msgspec.json.encode(Presence(online=False, since=1_790_000_200))
        box.publish(presence_topic("c-1"), gone, retain=True)
        until(lambda: fleet.row("c-1").state == "offline", "c-1 offline")
        assert fleet.row("c-1").room == 0
    with fleet.box("c-9") as stranger:  # enrolled, not in the build
        stranger.publish(status_topic("c-9"), status("c-9"), retain=True)
        row = until(lambda: next((r for r in fleet.watch.centres() if r.centre == "c-9"), None), "")
        assert "not in the fleet" in row.problems


def test_receipts_are_kept_per_alert(fleet: Fleet) -> None:
    def receipt(alert: str, state: str) -> bytes:
        made = Receipt(alert=alert, seq=1, state=state, at=1_790_000_000)  # type: ignore[arg-type]
        return msgspec.json.encode(made)

    with fleet.box("c-1") as one, fleet.box("c-2") as two:
        one.publish(receipt_topic("c-1", "a-1"), receipt("a-1", "shown"), retain=True)
        two.publish(receipt_topic("c-2", "a-2"), receipt("a-2", "delivered"), retain=True)
        one.publish(receipt_topic("c-1", "a-1"), receipt("a-1", "acknowledged"), retain=True)
        until(lambda: fleet.watch.receipts("a-2"), "a-2's receipt")
        until(
            lambda: (
                fleet.watch.receipts("a-1").get("c-1", None) is not None
                and fleet.watch.receipts("a-1")["c-1"].state == "acknowledged"
            ),
            "c-1 acknowledged a-1",
        )
        got = fleet.watch.receipts("a-1")
        assert list(got) == ["c-1"] and list(fleet.watch.receipts("a-2")) == ["c-2"]
        assert fleet.watch.receipts("a-3") == {}
        one.publish(receipt_topic("c-1", "a-1"), b"", retain=True)  # taken off the broker
        until(lambda: fleet.watch.receipts("a-1") == {}, "a-1's receipt gone")


@pytest.mark.allow_warnings
def test_a_bad_report_is_ignored_with_one_line(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    with fleet.box("c-1") as box:
        box.publish(status_topic("c-1"), status("c-1"), retain=True)
        box.publish(presence_topic("c-1"), online(), retain=True)
        until(lambda: fleet.row("c-1").state == "online", "c-1 online")
        caplog.clear()
        box.publish(status_topic("c-1"), b'{"centre": 5}', retain=True)
        box.publish(status_topic("c-1"), b"\xff\xfe", retain=True)
        big = (
            status("c-1", screen="x" * 300)[:-1] + b', "more": "' + b"x" * MAX_REPORT_BYTES + b'"}'
        )
        box.publish(status_topic("c-1"), big, retain=True)
        box.publish(receipt_topic("c-1", "a-1"), b"[]", retain=True)
        # The same box's next message comes after them: once it is in, they were read.
        box.publish(presence_topic("c-1"), online(since=1_790_000_500), retain=True)
        until(lambda: fleet.row("c-1").since == 1_790_000_500, "the presence after them")
    row = fleet.row("c-1")
    assert row.state == "online" and row.screen == "home", "the last good status is kept"
    assert fleet.watch.receipts("a-1") == {}
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 4, loud
    assert all("ignored" in line for line in loud)
    assert "too large" in loud[2]


@pytest.mark.allow_warnings
def test_a_broker_away_is_said_once_and_found_again(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    with fleet.box("c-1") as box:
        box.publish(status_topic("c-1"), status("c-1", screen="call"), retain=True)
        box.publish(presence_topic("c-1"), online(), retain=True)
    until(lambda: fleet.row("c-1").screen == "call", "c-1's status")
    caplog.clear()
    fleet.broker.stop()
    until(lambda: not fleet.watch.connected, "the loss noticed")
    snapshot = fleet.watch.snapshot()
    assert snapshot.lost_at is not None and abs(snapshot.lost_at - time.time()) < WAIT_S
    tries = fleet.watch.tries
    until(lambda: fleet.watch.tries >= tries + 3, "three more tries")
    assert fleet.row("c-1").screen == "call", "the last state is kept"
    fleet.broker.start()
    until(lambda: fleet.watch.connected, "connected again")
    assert fleet.watch.snapshot().lost_at is None
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if "fleet broker" in r.msg]
    assert [level for level, _ in lines] == ["WARNING", "INFO"], lines
    assert lines[1][1].endswith("connected again")
    with fleet.box("c-2") as box:
        box.publish(status_topic("c-2"), status("c-2"), retain=True)
        until(lambda: fleet.row("c-2").state == "online", "a status after the broker came back")


@pytest.mark.allow_warnings
def test_close_is_prompt_and_twice_is_harmless(tmp_path: Path) -> None:
    repo = build_city(tmp_path, CENTRES)
    CityHallIdentity(repo, {"c-1": ()})
    # Nobody listens there: the watch keeps trying.
    watch = FleetWatch(repo, parse_url(f"mqtts://127.0.0.1:{free_port()}"), retry_s=(0.05, 0.1))
    watch.start()
    until(lambda: watch.tries >= 2, "two tries")
    assert not watch.connected
    assert [r.state for r in watch.centres()] == ["never connected"] * 2
    started = time.monotonic()
    watch.close()
    assert time.monotonic() - started < 1.0
    assert "fleet-watch" not in [thread.name for thread in threading.enumerate()]
    watch.close()
    tries = watch.tries
    watch.start()  # a closed watch stays closed
    assert watch.tries == tries


def test_close_while_connected_says_goodbye(fleet: Fleet) -> None:
    started = time.monotonic()
    fleet.watch.close()
    fleet.watch.close()
    assert time.monotonic() - started < 1.0
    assert "fleet-watch" not in [thread.name for thread in threading.enumerate()]
    assert "city-hall-console-" in fleet.broker.log()
    until(lambda: "disconnected." in fleet.broker.log().split("city-hall-console-")[-1], "bye")


def test_a_centre_built_later_is_listed(fleet: Fleet, tmp_path: Path) -> None:
    inventory = tmp_path / "more.csv"
    listed = [*CENTRES, Centre("c-3", "월락경로당", "금동")]
    inventory.write_text(
        "id,name,district\n" + "".join(f"{c.id},{c.name},{c.district}\n" for c in listed)
    )
    build(fleet.repo, tmp_path / "fleet", inventory)
    row = until(lambda: next((r for r in fleet.watch.centres() if r.centre == "c-3"), None), "c-3")
    assert row.state == "never connected" and row.name == "월락경로당"


@pytest.mark.allow_warnings
def test_an_unreadable_certificate_is_said_once_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def unreadable(repo: Path) -> ssl.SSLContext:
        raise ValueError(f"{repo}/identity/city-hall.fleet.key: not a key")

    repo = build_city(tmp_path, CENTRES)
    watch = FleetWatch(
        repo, parse_url("mqtts://127.0.0.1:8884"), context=unreadable, retry_s=(0.01, 0.02)
    )
    watch.start()
    try:
        until(lambda: watch.tries >= 3, "three tries")
    finally:
        watch.close()
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and "not a key" in loud[0], loud
