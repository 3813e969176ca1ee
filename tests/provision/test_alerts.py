"""Alerts from city hall through a real mosquitto to boxes logged in with their own
certificates: signed so that the key in the box's built configuration accepts them,
receipts followed, withdrawn and expired ones cleared, numbers never repeated; and
what ``build`` puts in each configuration (the alert key, every layer's notices)."""

import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from kiosk_contract.config import parse_config
from kiosk_contract.fleet import (
    Alert,
    Level,
    Receipt,
    alert_subscriptions,
    open_alert,
    receipt_topic,
)
from kiosk_provisioning.broker.alertkey import alert_key_path, alert_public_key
from kiosk_provisioning.broker.alerts import AlertRecord, media_kind, speak
from kiosk_provisioning.broker.config import parse_url
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.build import build
from kiosk_provisioning.cli import main
from kiosk_provisioning.problems import ProvisionError
from tests.broker import Broker, Peer, peers
from tests.calls.identities import CityHallIdentity
from tests.provision.fleets import EXAMPLES, make_fleet

CENTRES = {"c-1": "운봉읍", "c-2": "운봉읍", "c-3": "금동"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


@pytest.fixture
def identity(tmp_path: Path) -> CityHallIdentity:
    return CityHallIdentity(tmp_path / "repo", {centre: () for centre in CENTRES})


@pytest.fixture
def broker(identity: CityHallIdentity, tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", identity, CENTRES) as running:
        yield running


@pytest.fixture
def repo(broker: Broker, tmp_path: Path) -> Path:
    return make_fleet(tmp_path, CENTRES, {"fleet": {"broker": broker.url}})


def listening(broker: Broker, identity: CityHallIdentity, tmp_path: Path, centre: str) -> Peer:
    """Centre *centre*'s box, connected and subscribed as a box subscribes."""
    box = broker.box(identity.enrol(centre, tmp_path / centre)).connect()
    box.subscribe(*alert_subscriptions(centre, CENTRES[centre]))
    return box


def send(repo: Path, broker: Broker, *options: str) -> int:
    return main(["alert", str(repo), "--broker", broker.tools_url, *options])


def test_a_box_gets_a_genuine_alert_its_configuration_accepts(
    repo: Path,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "map.png").write_bytes(PNG)
    with peers(listening(broker, identity, tmp_path, "c-1")) as (box,):
        text = "태풍 경보: 경로당 안에 계세요"
        options = ("--level", "긴급", "--text", text, "--text-en", "Typhoon: stay inside")
        picture = ("--picture", str(tmp_path / "map.png"))
        assert send(repo, broker, *options, *picture, "--district", "운봉읍") == 0
        message = box.next()
    config = parse_config((repo / "build" / "centres" / "c-1.json").read_bytes())
    assert config.fleet is not None
    alert = open_alert(message.payload, config.fleet.public_keys(), time.time())
    assert (alert.level, alert.text, alert.text_en) == (
        Level.EMERGENCY,
        text,
        "Typhoon: stay inside",
    )
    assert alert.audience.includes("c-1", "운봉읍") and not alert.audience.includes("c-3", "금동")
    assert message.topic == f"alerts/district/운봉읍/{alert.id}"
    assert alert.picture == PNG
    assert alert.voice is not None and media_kind(alert.voice) == "ogg", "the text, spoken"
    assert alert.expires_at - alert.issued_at == 6 * 3600, "six hours unless told"
    out = capsys.readouterr().out
    assert f"{alert.id} (긴급, #{alert.seq}) sent to 2 centres" in out
    assert main(["alerts", str(repo), "--broker", broker.tools_url]) == 0
    listed = capsys.readouterr().out
    assert alert.id in listed and "0/2 acknowledged" in listed and "district 운봉읍" in listed


def keys_of(repo: Path, centre: str) -> list[bytes]:
    config = parse_config((repo / "build" / "centres" / f"{centre}.json").read_bytes())
    assert config.fleet is not None
    return config.fleet.public_keys()


def receipts(box: Peer, centre: str, alert: Alert, states: tuple[str, ...]) -> None:
    """*box* tells city hall how far *alert* got, as a box does (retained)."""
    for n, state in enumerate(states):
        receipt = msgspec.json.encode(
            Receipt(alert=alert.id, seq=alert.seq, state=state, at=1_790_000_000 + n)  # type: ignore[arg-type]
        )
        box.publish(receipt_topic(centre, alert.id), receipt, retain=True)


def test_receipts_show_live_and_in_the_record(
    repo: Path,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    boxes = {c: listening(broker, identity, tmp_path, c) for c in ("c-1", "c-2")}
    result: list[int] = []
    options = ("--level", "주의", "--text", "폭염 주의", "--centre", "c-1", "c-2")
    watch = threading.Thread(
        target=lambda: result.append(send(repo, broker, *options, "--watch", "60"))
    )
    with peers(*boxes.values()):
        watch.start()
        got = {
            c: open_alert(box.next().payload, keys_of(repo, c), time.time())
            for c, box in boxes.items()
        }
        receipts(boxes["c-1"], "c-1", got["c-1"], ("delivered", "shown", "acknowledged"))
        receipts(boxes["c-2"], "c-2", got["c-2"], ("delivered", "shown"))
        assert watch.is_alive(), "c-2 has not acknowledged: still watching"
        receipts(boxes["c-2"], "c-2", got["c-2"], ("acknowledged",))
        watch.join(30)
    assert not watch.is_alive() and result == [0], "it stops once every centre acknowledged"
    out = capsys.readouterr().out
    alert_id = got["c-1"].id
    for centre in ("c-1", "c-2"):
        assert f"{centre}  shown" in out and f"{centre}  acknowledged" in out
    assert "2 centres: 2 acknowledged, 0 shown, 0 delivered, 0 nothing yet" in out
    assert main(["alerts", str(repo), alert_id, "--broker", broker.tools_url]) == 0
    listed = capsys.readouterr().out
    assert "2/2 acknowledged" in listed
    assert [line.split()[:2] for line in listed.splitlines() if line.startswith("c-")] == [
        ["c-1", "acknowledged"],
        ["c-2", "acknowledged"],
    ]


def test_watch_ends_when_its_time_is_up(
    repo: Path, broker: Broker, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    assert send(repo, broker, "--level", "안내", "--text", "안내", "--all", "--watch", "1") == 0
    assert 1 <= time.monotonic() - started < 10
    assert "3 centres: 0 acknowledged, 0 shown, 0 delivered, 3 nothing yet" in (
        capsys.readouterr().out
    )


def fenced(broker: Broker, box: Peer, centre: str) -> list[str]:
    """The alert topics *box* got before city hall's next message to it."""
    with broker.city_hall().connect() as hall:
        hall.publish(f"alerts/centre/{centre}/fence", b"")
    return [m.topic for m in box.until(f"alerts/centre/{centre}/fence")][:-1]


def test_withdrawn_and_expired_alerts_leave_the_broker(
    repo: Path,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for text in ("첫째", "둘째"):
        assert send(repo, broker, "--level", "안내", "--text", text, "--all") == 0
    first, second = AlertRecord(repo).alerts()
    with peers(listening(broker, identity, tmp_path, "c-1")) as (box,):
        assert fenced(broker, box, "c-1") == [f"alerts/all/{first.id}", f"alerts/all/{second.id}"]
    assert main(["alert", str(repo), "--withdraw", first.id, "--broker", broker.tools_url]) == 0
    # The second expires (as if its hours had passed); the next send clears it.
    with sqlite3.connect(AlertRecord(repo).path) as db:
        db.execute("UPDATE alerts SET expires_at = ? WHERE id = ?", (time.time() - 1, second.id))
    assert send(repo, broker, "--level", "안내", "--text", "셋째", "--centre", "c-1") == 0
    third = AlertRecord(repo).alerts()[-1]
    assert f"cleared from the broker: {second.id}" in capsys.readouterr().out
    with peers(listening(broker, identity, tmp_path / "again", "c-1")) as (box,):
        assert fenced(broker, box, "c-1") == [f"alerts/centre/c-1/{third.id}"]
    assert main(["alerts", str(repo), "--broker", broker.tools_url]) == 0
    listed = capsys.readouterr().out
    assert f"{first.id}  안내" in listed and "withdrawn" in listed and "expired" in listed


def test_numbers_are_never_handed_out_twice_even_to_two_runs_at_once(tmp_path: Path) -> None:
    AlertRecord(tmp_path)  # made once before the race
    script = (
        "import sys; from pathlib import Path;"
        "from kiosk_provisioning.broker.alerts import AlertRecord;"
        "r = AlertRecord(Path(sys.argv[1]));"
        "print(*[r.reserve(1000) for _ in range(150)])"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    numbers = [int(n) for run in runs for n in run.communicate(timeout=60)[0].split()]
    assert all(run.returncode == 0 for run in runs)
    assert len(numbers) == 300 == len(set(numbers))
    assert min(numbers) == 1000, "the current second first (here: 1000), then one more"
    later = AlertRecord(tmp_path).reserve(int(time.time()))
    assert later > max(numbers) and abs(later - time.time()) < 5


def refusal(repo: Path, broker: Broker, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    assert send(repo, broker, *options) == 1
    return capsys.readouterr().err


def test_mistakes_are_refused_naming_them_and_take_no_number(
    repo: Path, broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = ("--level", "긴급", "--text", "대피하세요")
    (tmp_path / "big.png").write_bytes(PNG + bytes(400_000))
    (tmp_path / "photo.gif").write_bytes(b"GIF89a" + bytes(100))
    (tmp_path / "voice.txt").write_text("not a recording")
    assert "not in the fleet: c-9" in refusal(repo, broker, capsys, *ok, "--centre", "c-1", "c-9")
    assert "no centre is in 남원동" in refusal(repo, broker, capsys, *ok, "--district", "남원동")
    assert "--all, --district or --centre" in refusal(repo, broker, capsys, *ok)
    big = refusal(repo, broker, capsys, *ok, "--all", "--picture", str(tmp_path / "big.png"))
    assert "big.png: the picture is larger than 400000 bytes" in big
    gif = refusal(repo, broker, capsys, *ok, "--all", "--picture", str(tmp_path / "photo.gif"))
    assert "photo.gif: the picture is not PNG or JPEG" in gif
    text = refusal(repo, broker, capsys, *ok, "--all", "--voice", str(tmp_path / "voice.txt"))
    assert "the recording is not OGG or WAV or MP3" in text
    assert "at most 168 hours" in refusal(repo, broker, capsys, *ok, "--all", "--hours", "169")
    assert "at most 300 characters" in refusal(
        repo, broker, capsys, "--level", "주의", "--text", "가" * 301, "--all"
    )
    assert AlertRecord(repo).alerts() == []


def test_the_box_can_hear_the_alert_spoken() -> None:
    """espeak-ng (scripts/setup installs it) reads the Korean text; OGG/Opus, small."""
    voice = speak("태풍 경보입니다")
    assert voice is not None and media_kind(voice) == "ogg" and len(voice) < 50_000


def test_build_gives_every_centre_the_alert_key_and_every_layer_s_notices(
    tmp_path: Path,
) -> None:
    notice = {"title": "무료 검진", "text": "보건소", "valid_from": "2026-01-01"}
    repo = make_fleet(
        tmp_path,
        {"c-1": "운봉읍", "c-2": "금동"},
        {
            "fleet": {"broker": "mqtts://fleet.example", "alert_keys": ["A" * 43 + "="]},
            "notices": [{**notice, "id": "all", "valid_to": "2026-01-02"}],
        },
    )
    fleet = tmp_path / "fleet"
    (fleet / "districts" / "운봉읍.json").write_text(
        json.dumps({"notices": [{**notice, "id": "unbong", "valid_to": "2026-01-03"}]})
    )
    (fleet / "centres").mkdir()
    (fleet / "centres" / "c-1.json").write_text(
        json.dumps({"notices": [{**notice, "id": "c-1-only", "valid_to": "2026-01-04"}]})
    )
    inventory = str(tmp_path / "centres.csv")
    assert main(["build", str(repo), "--fleet", str(fleet), "--inventory", inventory]) == 0
    one = parse_config((repo / "build" / "centres" / "c-1.json").read_bytes())
    two = parse_config((repo / "build" / "centres" / "c-2.json").read_bytes())
    assert [n.id for n in one.notices] == ["all", "unbong", "c-1-only"]
    assert [n.id for n in two.notices] == ["all"]
    assert one.fleet is not None and two.fleet is not None
    assert one.fleet.alert_keys == [alert_public_key(repo), "A" * 43 + "="], "city hall's first"
    assert stat.S_IMODE(alert_key_path(repo).stat().st_mode) == 0o600
    (fleet / "centres" / "c-1.json").write_text(
        json.dumps({"notices": [{**notice, "id": "unbong", "valid_to": "2026-01-04"}]})
    )
    with pytest.raises(ProvisionError) as refused:
        build(repo, fleet, tmp_path / "centres.csv")
    (problem,) = refused.value.problems
    assert str(problem) == (
        "fleet/centres/c-1.json: notices: notice 'unbong' is also in fleet/districts/운봉읍.json"
    )


def _calls_without_floors() -> object:
    """The example city's calls, its town meetings without a floor (a floor needs the
    fleet channel)."""
    calls = json.loads((EXAMPLES / "fleet" / "fleet.json").read_text())["calls"]
    for room in calls["rooms"]:
        room.pop("floor", None)
    return calls


def test_no_alert_key_is_made_for_a_fleet_without_a_channel(tmp_path: Path) -> None:
    no_channel: dict[str, object] = {"fleet": None, "calls": _calls_without_floors()}
    repo = make_fleet(tmp_path, {"c-1": "운봉읍"}, no_channel)
    assert not alert_key_path(repo).exists()
    config = parse_config((repo / "build" / "centres" / "c-1.json").read_bytes())
    assert config.fleet is None


def test_a_town_meeting_with_a_floor_needs_the_fleet_channel(tmp_path: Path) -> None:
    """말하기 sends the hand on the fleet channel: a floor room without one is refused
    at the build, not found out by a senior whose hand went nowhere."""
    with pytest.raises(ProvisionError, match="needs the fleet channel"):
        make_fleet(tmp_path, {"c-1": "운봉읍"}, {"fleet": None})


def test_espeak_is_in_setup() -> None:
    setup = (Path(__file__).resolve().parents[2] / "scripts" / "setup").read_text()
    assert "espeak-ng" in setup and shutil.which("espeak-ng")


def test_init_makes_city_halls_alert_key(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "repo")]) == 0
    assert stat.S_IMODE(alert_key_path(tmp_path / "repo").stat().st_mode) == 0o600
    before = alert_public_key(tmp_path / "repo")
    assert alert_public_key(tmp_path / "repo") == before, "made once, then kept"


def test_the_record_lists_alerts_even_when_the_broker_is_away(
    repo: Path, broker: Broker, capsys: pytest.CaptureFixture[str]
) -> None:
    assert send(repo, broker, "--level", "info", "--text", "안내", "--centre", "c-3") == 0
    broker.stop()
    assert main(["alerts", str(repo), "--broker", broker.tools_url]) == 0
    out = capsys.readouterr().out
    assert "centres c-3  0/1 acknowledged" in out
    assert f"receipts not read: {broker.tools_url}: cannot reach the broker" in out


def test_the_broker_itself_forgets_an_alert_once_it_expires(
    repo: Path, broker: Broker, identity: CityHallIdentity, tmp_path: Path
) -> None:
    """City hall publishes with MQTT 5's message expiry: a box that connects after an
    alert expired is not handed it (and does not log a refusal), even when nobody sent
    anything since to clear it. (The first box listens before the alerts are sent: a
    box enrolling takes long enough for two seconds to pass.)"""
    with peers(listening(broker, identity, tmp_path, "c-1")) as (box,):
        with HallSession.open(parse_url(broker.tools_url), identity.folder) as hall:
            hall.publish("alerts/all/short", b"lasts two seconds", lasts_s=2)
            sent = time.monotonic()
            hall.publish("alerts/all/long", b"lasts an hour", lasts_s=3600)
        assert sorted(fenced(broker, box, "c-1")) == ["alerts/all/long", "alerts/all/short"]
    time.sleep(max(0.0, sent + 2.5 - time.monotonic()))  # the two seconds it lasts go by
    with peers(listening(broker, identity, tmp_path / "later", "c-1")) as (box,):
        assert fenced(broker, box, "c-1") == ["alerts/all/long"]
