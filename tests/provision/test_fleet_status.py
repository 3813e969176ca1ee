"""``kiosk-provision status`` against a real mosquitto, with statuses published by boxes
logging in with their own certificates, and ``broker-config``'s files."""

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from kiosk_contract.fleet import (
    BoxStatus,
    DeviceReport,
    Presence,
    presence_topic,
    receipt_topic,
    status_topic,
)
from kiosk_provisioning.broker.config import parse_url
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.cli import main
from tests.broker import Broker, Peer
from tests.calls.identities import CityHallIdentity
from tests.provision.fleets import make_fleet

CENTRES = {"c-1": "운봉읍", "c-2": "운봉읍", "c-3": "금동", "c-4": "금동"}
NOW = 1_790_000_000


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_fleet(tmp_path, CENTRES, {})


@pytest.fixture
def identity(repo: Path) -> CityHallIdentity:
    return CityHallIdentity(repo, {centre: () for centre in CENTRES})


@pytest.fixture
def broker(identity: CityHallIdentity, tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", identity, CENTRES) as running:
        yield running


def report(box: Peer, status: BoxStatus, online: bool = True) -> None:
    box.publish(status_topic(status.centre), msgspec.json.encode(status), retain=True)
    presence = Presence(online=online, since=status.online_since if online else status.at)
    box.publish(presence_topic(status.centre), msgspec.json.encode(presence), retain=True)


def healthy(centre: str, **changes: object) -> BoxStatus:
    device = DeviceReport(present=1, chosen="USB")
    status = BoxStatus(
        centre=centre,
        version="0.1.0",
        revision=1,
        camera=device,
        microphone=device,
        speaker=device,
        online_since=NOW - 3600,
        at=NOW,
    )
    return msgspec.structs.replace(status, **changes)


def status(repo: Path, broker: Broker, *options: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["status", str(repo), "--broker", broker.tools_url, *options]) == 0
    return capsys.readouterr().out


def rows_of(text: str) -> dict[str, dict[str, object]]:
    return {row["centre"]: row for row in json.loads(text)}


def test_the_fleet_as_a_technician_reads_it(
    repo: Path,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    boxes = {c: identity.enrol(c, tmp_path / c) for c in ("c-1", "c-2", "c-3")}
    with broker.box(boxes["c-1"]).connect() as one:
        report(one, healthy("c-1"))
    with broker.box(boxes["c-3"]).connect() as three:
        report(
            three,
            healthy(
                "c-3",
                camera=DeviceReport(),
                speaker=DeviceReport(present=2),
                last_error="카메라 없음",
                screen="programme",
            ),
        )
    # c-2 reports, then vanishes: the broker sends its last will (offline, no time).
    two = broker.box(boxes["c-2"])
    will = msgspec.json.encode(Presence(online=False))
    two.client.will_set(presence_topic("c-2"), will, qos=1, retain=True)
    two.connect()
    report(two, healthy("c-2", at=NOW - 60))
    two.drop()
    with broker.city_hall().connect() as hall:
        hall.subscribe(presence_topic("c-2"))
        assert hall.next().payload == will, "the will is in place before status asks"

    rows = rows_of(status(repo, broker, "--json", capsys=capsys))
    assert list(rows) == ["c-3", "c-4", "c-1", "c-2"], "by district (금동, 운봉읍), then centre"
    assert rows["c-1"]["state"] == "online" and rows["c-1"]["since"] == NOW - 3600
    assert rows["c-1"]["problems"] == []
    assert rows["c-2"]["state"] == "offline"
    assert rows["c-2"]["since"] == NOW - 60, "a last will: offline since its last status"
    assert rows["c-3"]["camera"] == "missing" and rows["c-3"]["speaker"] == "none chosen"
    assert rows["c-3"]["last_error"] == "카메라 없음" and rows["c-3"]["screen"] == "programme"
    assert rows["c-4"]["state"] == "never connected"
    assert rows["c-1"]["name"] == "c-1 경로당" and rows["c-4"]["district"] == "금동"

    table = status(repo, broker, capsys=capsys)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["읍면동", "centre", "이름", "state"]
    line = next(line for line in lines if " c-3 " in line)
    assert "✗ ✓ ?" in line and "카메라 없음" in line
    assert "4 centres: 2 online, 1 offline, 1 never connected; 3 with problems" in lines[-1]

    assert list(rows_of(status(repo, broker, "--json", "--offline", capsys=capsys))) == [
        "c-4",
        "c-2",
    ]
    problems = status(repo, broker, "--json", "--problems", capsys=capsys)
    assert list(rows_of(problems)) == ["c-3", "c-4", "c-2"]
    district = status(repo, broker, "--json", "--district", "운봉읍", capsys=capsys)
    assert list(rows_of(district)) == ["c-1", "c-2"]


def test_a_box_behind_the_built_configuration_is_a_problem(
    repo: Path,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with broker.box(identity.enrol("c-1", tmp_path / "c-1")).connect() as box:
        report(box, healthy("c-1", revision=0))
    rows = rows_of(status(repo, broker, "--json", capsys=capsys))
    assert rows["c-1"]["problems"] == ["configuration 0 of 1"]


def test_status_has_every_retained_message_without_waiting(
    broker: Broker, identity: CityHallIdentity, tmp_path: Path
) -> None:
    """The marker comes back after every retained message, however many: 3,000 of 8 kB
    from one box (receipts), more than mosquitto's default queue (1,000 per client)
    holds while the reader catches up: with that default this fails."""
    box_files = identity.enrol("c-1", tmp_path / "c-1")
    with broker.box(box_files).connect() as box:
        for n in range(3000):
            box.publish(receipt_topic("c-1", f"a-{n}"), bytes(8000), qos=0, retain=True)
        box.publish(receipt_topic("c-1", "last"), b"{}", retain=True)  # QoS 1: all are in
    address = parse_url(broker.tools_url)
    with HallSession.open(address, identity.folder, timeout_s=30) as hall:
        found = hall.retained(["fleet/+/receipts/+"])
    assert len(found) == 3001 == len({m.topic for m in found})


def test_status_says_plainly_when_the_broker_is_not_there(
    repo: Path, broker: Broker, capsys: pytest.CaptureFixture[str]
) -> None:
    broker.stop()
    assert main(["status", str(repo), "--broker", broker.tools_url]) == 1
    err = capsys.readouterr().err
    assert f"{broker.tools_url}: cannot reach the broker" in err


def test_broker_config_writes_what_mosquitto_and_city_hall_need(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "etc-broker"
    url = "mqtts://fleet.namwon.example:8883"
    assert main(["broker-config", str(repo), "--url", url, "--out", str(out)]) == 0
    conf = (out / "mosquitto.conf").read_text().splitlines()
    for line in (
        f"cafile {out / 'ca.pem'}",
        f"certfile {out / 'server.pem'}",
        f"keyfile {out / 'server.key'}",
        f"crlfile {out / 'crl.pem'}",
        f"acl_file {out / 'acl'}",
        "listener 8883",
        "listener 8884 127.0.0.1",
        "persistence_location /var/lib/kiosk-broker/",
    ):
        assert line in conf
    identity = repo / "identity"
    assert (out / "acl").read_bytes() == (identity / "broker.acl").read_bytes()
    assert "topic read alerts/district/금동/+" in (out / "acl").read_text()
    assert (out / "crl.pem").read_bytes() == (identity / "crl.pem").read_bytes()
    assert json.loads((identity / "broker.json").read_text()) == {
        "url": url,
        "tools": "mqtts://127.0.0.1:8884",
    }
    assert stat.S_IMODE((identity / "city-hall.fleet.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "server.key").stat().st_mode) == 0o640
    with pytest.raises(SystemExit):
        main(["broker-config", str(repo), "--out", str(out)])
    assert main(["broker-config", str(repo), "--url", "mqtt://x", "--out", str(out)]) == 1
    assert "mqtts://HOST[:PORT] (always TLS)" in capsys.readouterr().err


def test_build_rewrites_the_access_list_when_the_fleet_changes(tmp_path: Path) -> None:
    repo = make_fleet(tmp_path, {"c-1": "운봉읍"}, {})
    acl = repo / "identity" / "broker.acl"
    assert "user c-1\ntopic read alerts/all/+\ntopic read alerts/district/운봉읍/+" in (
        acl.read_text()
    )
    again = make_fleet(tmp_path / "again", {"c-1": "금동", "c-2": "금동"}, {})
    text = (again / "identity" / "broker.acl").read_text()
    assert "alerts/district/운봉읍" not in text and "user c-2" in text


@pytest.mark.allow_warnings
def test_a_box_that_reports_garbage_cannot_break_status_or_the_terminal(
    repo: Path,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A box owns its topics and may write anything there: bad UTF-8, times no clock
    can show, terminal escapes. Its row says what can be read; every other row stands."""
    boxes = {c: broker.box(identity.enrol(c, tmp_path / c)).connect() for c in ("c-1", "c-2")}
    with boxes["c-1"] as bad, boxes["c-2"] as good:
        report(good, healthy("c-2"))
        bad.publish(status_topic("c-1"), b'{"centre": "c-1", "version": "\xff"}', retain=True)
        bad.publish(
            presence_topic("c-1"), b'{"online": false, "since": 99999999999999}', retain=True
        )
        bad.publish(
            receipt_topic("c-1", "a-1"), b'{"alert": "a-1", "seq": 1, "state": "shown", "at": -5}'
        )
        table = status(repo, broker, capsys=capsys)
        rows = rows_of(status(repo, broker, "--json", capsys=capsys))
        report(bad, healthy("c-1", last_error="\x1b[2J\x1b[31m지워졌다"))
        escaped = status(repo, broker, capsys=capsys)
    assert rows["c-2"]["state"] == "online" and rows["c-1"]["state"] == "never connected"
    assert "c-2" in table
    assert "\x1b" not in escaped and "?[2J?[31m지워졌다" in escaped
