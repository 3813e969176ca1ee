"""A built city for the fleet page's tests and benchmark, and a lightweight publisher
that makes a whole fleet report on a real broker.

:func:`build_city` builds centres with the build's own code (a fleet document with
calls only: no programme media, so nothing depends on the example's media).
:func:`namwon` is a city of *count* centres over the example's 23 districts, named as
Namwon's are. :func:`publish_fleet` logs in as each centre (its own certificate from
the fleet CA, issued as ``bench/fleet_boxes.py`` issues them), publishes a retained
presence and status, and says goodbye: the broker keeps them as a connected box's.
"""

import asyncio
import json
import random
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from bench.fleet_boxes import DISTRICTS, issue
from bench.mqtt_lite import open_link
from kiosk_contract.fleet import BoxStatus, DeviceReport, Presence, presence_topic, status_topic
from kiosk_provisioning.build import build
from kiosk_provisioning.identity.authority import Authority

EXAMPLES = Path(__file__).resolve().parents[2] / "provisioning" / "examples"
CALLS = {
    "server": "wss://calls.namwon.example/janus",
    "contacts": [{"id": "city-hall", "name": "cityhall-welfare", "label": "남원시청 복지과"}],
    "rooms": [{"id": "meeting", "number": 1001, "title": "마을 회의"}],
}
VILLAGES = [
    "화정",
    "월락",
    "노암",
    "금평",
    "갈치",
    "신촌",
    "죽산",
    "용정",
    "내척",
    "광치",
    "어현",
    "식정",
    "고죽",
    "향교",
    "왕정",
    "도통",
    "신생",
    "광석",
    "하정",
    "상정",
    "매내",
    "주촌",
    "산동",
    "대상",
    "목동",
    "부절",
    "입암",
    "석동",
    "호경",
    "서곡",
    "양가",
    "덕치",
    "호곡",
    "신계",
    "율치",
    "송내",
    "평촌",
    "계수",
    "중기",
    "상우",
    "하우",
    "대곡",
    "안터",
    "원천",
    "봉대",
    "사석",
    "장교",
    "공안",
    "방동",
    "용동",
    "행정",
    "대강",
    "수홍",
    "옥율",
    "평지",
    "반계",
    "신기",
    "오신",
    "월산",
    "동림",
    "비전",
]
USB_CAMERA = DeviceReport(present=1, chosen="USB Camera")


@dataclass(frozen=True)
class Centre:
    id: str
    name: str
    district: str


def build_city(tmp_path: Path, centres: Iterable[Centre]) -> Path:
    """City hall's repository (``tmp_path/repo``) with *centres* built."""
    folder = tmp_path / "fleet"
    (folder / "districts").mkdir(parents=True)
    document = {
        "schema_version": 1,
        "display": {"language": "ko", "show_english": False},
        "tiles": [
            {
                "id": "city-hall", "label": "시청과 화상통화", "label_en": "Call city hall",
                "icon": "call", "colour": "#1E3A8A", "action": "call", "target": "city-hall",
            },
            {
                "id": "meeting", "label": "마을 회의", "label_en": "Town meeting",
                "icon": "meeting", "colour": "#581C87", "action": "group", "target": "meeting",
            },
        ],
        "calls": CALLS,
        # A town meeting's hands and floors travel on the fleet channel.
        "fleet": {"broker": "mqtts://broker.cityhall.example"},
    }  # fmt: skip
    (folder / "fleet.json").write_text(json.dumps(document, ensure_ascii=False))
    listed = list(centres)
    for district in {centre.district for centre in listed}:
        (folder / "districts" / f"{district}.json").write_text("{}")
    inventory = tmp_path / "centres.csv"
    rows = "".join(f"{c.id},{c.name},{c.district}\n" for c in listed)
    inventory.write_text("id,name,district\n" + rows)
    repo = tmp_path / "repo"
    build(repo, folder, inventory)
    return repo


def namwon(count: int = 496) -> list[Centre]:
    """*count* centres dealt over the example's districts, each a village's 경로당."""
    centres = []
    for i in range(count):
        village = VILLAGES[i % len(VILLAGES)]
        round_ = i // len(VILLAGES)
        name = f"{village}경로당" if round_ == 0 else f"{village}{round_ + 1}경로당"
        centres.append(Centre(f"nw-{i + 1:03d}", name, DISTRICTS[i % len(DISTRICTS)]))
    return centres


@dataclass(frozen=True)
class Report:
    """What one centre's box says: its status, and whether it is online."""

    status: BoxStatus
    online: bool = True


def mixed_reports(centres: list[Centre], now: int, seed: int = 16) -> dict[str, Report]:
    """A realistic morning: most boxes online on the home screen, some in a programme
    or a call, a few offline for minutes to days, a few with a device or an error;
    about one in forty never connected (left out)."""
    chance = random.Random(seed)
    reports = {}
    for centre in centres:
        roll = chance.random()
        if roll < 0.025:
            continue
        screen = chance.choices(["home", "programme", "call", "alert"], [70, 20, 7, 3])[0]
        status = BoxStatus(
            centre=centre.id,
            district=centre.district,
            name=centre.name,
            version="1.4.2" if chance.random() < 0.9 else "1.4.1",
            revision=1 if chance.random() < 0.97 else 0,
            camera=USB_CAMERA if chance.random() < 0.96 else DeviceReport(),
            microphone=USB_CAMERA,
            speaker=DeviceReport(present=1, chosen="HDMI") if chance.random() < 0.97 else
            DeviceReport(present=1),
            screen=screen,
            last_error="영상 내려받기 실패: 연결 시간 초과" if chance.random() < 0.04 else "",
            online_since=now - chance.randint(60, 3 * 86400),
            at=now - chance.randint(0, 120),
        )  # fmt: skip
        online = roll > 0.12
        if not online:
            status = msgspec.structs.replace(status, at=now - chance.randint(120, 2 * 86400))
        reports[centre.id] = Report(status, online)
    return reports


def box_certificates(authority: Authority, centres: list[str], folder: Path) -> None:
    """A key and certificate for each centre in ``folder/<centre>/`` (issued once)."""
    missing = [c for c in centres if not (folder / c / "cert.pem").exists()]
    if missing:
        issue(authority, missing, folder)


async def _publish(
    host: str, port: int, ca: Path, folder: Path, reports: Mapping[str, Report], in_flight: int
) -> None:
    gate = asyncio.Semaphore(in_flight)

    async def one(centre: str, report: Report) -> None:
        context = ssl.create_default_context(cafile=ca)
        context.load_cert_chain(folder / centre / "cert.pem", folder / centre / "key.pem")
        async with gate:
            link = await open_link(host, port, context, centre)
            status = report.status
            presence = Presence(
                online=report.online, since=status.online_since if report.online else status.at
            )
            await link.publish(status_topic(centre), msgspec.json.encode(status), retain=True)
            await link.publish(presence_topic(centre), msgspec.json.encode(presence), retain=True)
            link.close()
            await link.closed  # TLS shut down before the loop ends (no unclosed transport)

    await asyncio.gather(*(one(c, r) for c, r in reports.items()))


def publish_fleet(
    host: str,
    port: int,
    authority: Authority,
    folder: Path,
    reports: Mapping[str, Report],
    in_flight: int = 32,
) -> None:
    """Each of *reports* published retained by its own box (certificates in *folder*,
    issued there if missing), as the box's link does on connect; the box then says
    goodbye (no last will: the broker keeps what it said)."""
    box_certificates(authority, list(reports), folder)
    asyncio.run(_publish(host, port, authority.ca_path, folder, reports, in_flight))
