"""Writes the example city: defaults, Namwon's 23 districts, 496 synthetic centres.

Run from anywhere with the project's tools on the PATH (``.venv/bin/python
provisioning/examples/generate.py``). Deterministic: the same files every time.
Names are synthetic; districts are Namwon's real ones.

Every centre gets six tiles, and each points at something real: the singing class
(아리랑, with its lyrics) and the two-part exercise series from the library, city
hall's live broadcast with its recording as fallback, a call to city hall's welfare
policy division, the town meeting's room, and today's notices. A weekly timetable,
a second city-hall contact (the senior welfare team, who may be answered by
themselves at the pilot centre namwon-001), city hall's call server and fleet
broker complete it. The library's and the notices' media are the small files in
``media/`` (made by ``media/make``); their entries are filled in by ``add-media``
(``kiosk-provision media add --into``), never copied by hand.

PINs are per centre, in the inventory only (never in fleet.json or a district file).
The example gives the first :data:`PILOT_CENTRES` centres a leader's and a
technician's PIN of their own, made up here; the others have no leader mode and no
diagnostics screen yet (``kiosk doctor`` over SSH still works). A real inventory gets
PINs chosen by city hall, one pair per centre.
"""

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PILOT_CENTRES = 12
"""Centres with PINs in the example (each PIN costs the build a deliberately slow hash)."""
DISTRICTS = [
    "운봉읍",
    "주천면",
    "수지면",
    "송동면",
    "주생면",
    "금지면",
    "대강면",
    "대산면",
    "사매면",
    "덕과면",
    "보절면",
    "산동면",
    "이백면",
    "아영면",
    "산내면",
    "인월면",
    "동충동",
    "죽항동",
    "노암동",
    "금동",
    "왕정동",
    "향교동",
    "도통동",
]
VILLAGES = ["신기", "상촌", "하촌", "내동", "외동", "평촌", "원촌", "송정", "월평", "장동", "덕산"]
TILES = [
    ("singing", "노래교실", "Singing class", "singing", "#9B1C1C", "programme", "singing"),
    ("exercise", "건강체조", "Health exercise", "exercise", "#14532D", "programme", "exercise"),
    ("city-hall", "시청과 화상통화", "Call city hall", "call", "#1E3A8A", "call", "city-hall"),
    ("meeting", "마을 회의", "Town meeting", "meeting", "#581C87", "group", "meeting"),
    (
        "broadcast",
        "시청 방송",
        "City hall broadcast",
        "broadcast",
        "#134E4A",
        "live",
        "city-hall-live",
    ),
    ("notices", "오늘의 안내", "Today's notices", "info", "#7C2D12", "info", "notices"),
]
PROMPTS = {"city-hall": "call"}
"""Voice prompts named otherwise than their tile (``assets/voice/ko``)."""
PROGRAMMES = [
    {"id": "singing", "title": "노래교실", "videos": ["arirang"]},
    {"id": "exercise", "title": "건강체조", "videos": ["exercise-1", "exercise-2"]},
    {
        "id": "city-hall-live",
        "title": "시청 방송",
        "live_url": "https://live.namwon.example/hls/live.m3u8",
        "fallback": "broadcast-recording",
    },
]
TIMETABLE = [
    {"programme": "singing", "days": ["tue", "thu"], "start": "10:00", "minutes": 60},
    {
        "programme": "exercise",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "14:00",
        "minutes": 30,
        "auto_start": True,
    },
    {"programme": "city-hall-live", "days": ["fri"], "start": "15:00", "minutes": 60},
]
CALLS = {
    "server": "wss://calls.namwon.example:8989/",
    "contacts": [
        {
            "id": "city-hall",
            "name": "cityhall-welfare-policy",
            "label": "남원시청 복지정책과",
            "label_en": "City hall, welfare policy",
        },
        {
            "id": "senior-welfare",
            "name": "cityhall-senior-welfare",
            "label": "남원시청 노인복지팀",
            "label_en": "City hall, senior welfare",
            "auto_answer": True,
        },
    ],
    "rooms": [
        {
            "id": "meeting",
            "number": 1001,
            "title": "남원시 마을 회의",
            "host": "cityhall-host",
            # 496 centres: each watches, raises its hand (말하기), speaks when given the floor.
            "floor": True,
        }
    ],
}
NOTICES = [
    {
        "id": "health-check",
        "title": "이번 달 건강검진",
        "text": "이번 달 건강검진은 셋째 주 수요일 오전 10시, 경로당에서 합니다. "
        "보건소 간호사가 혈압과 혈당을 재어 드립니다. 신분증을 가져오세요.",
        "title_en": "This month's health check",
        "text_en": "The health check is on the third Wednesday at 10:00, here at the centre.",
        "valid_from": "2025-01-01",
        "valid_to": "2099-12-31",
    },
    {
        "id": "phone-scam",
        "title": "전화 사기 조심",
        "text": "시청이나 은행은 전화로 통장 번호나 비밀번호를 묻지 않습니다. "
        "돈을 보내라는 전화는 끊고 가족에게 알려 주세요.",
        "title_en": "Beware of phone scams",
        "valid_from": "2025-01-01",
        "valid_to": "2099-12-31",
    },
]
MOUNTAIN_NOTICE = {
    "id": "wildfire",
    "title": "산불 조심",
    "text": "봄과 가을에는 논밭 태우기를 하지 마세요. 산에 불씨를 가져가지 마세요.",
    "valid_from": "2025-01-01",
    "valid_to": "2099-12-31",
}


def tile(spec: tuple[str, ...]) -> dict[str, str]:
    tid, label, label_en, icon, colour, action, target = spec
    return {
        "id": tid,
        "label": label,
        "label_en": label_en,
        "icon": icon,
        "colour": colour,
        "action": action,
        "target": target,
        "prompt": f"{PROMPTS.get(tid, tid)}.wav",
    }


def write_json(path: Path, document: Any) -> None:
    """As ``kiosk-provision media add --into`` writes a fleet file (so it rewrites an
    unchanged one byte for byte)."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def fill_media(fleet_json: Path) -> None:
    """The library entries and the notices' media, filled in by ``add-media`` (the real
    ``kiosk-provision media add --into``) into a repository thrown away after."""
    tools = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [HERE / "add-media", scratch, fleet_json],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def main() -> None:
    fleet = HERE / "fleet"
    (fleet / "districts").mkdir(parents=True, exist_ok=True)
    (fleet / "centres").mkdir(exist_ok=True)
    defaults = {
        "schema_version": 1,
        "display": {"language": "ko", "show_english": False},
        "tiles": [tile(t) for t in TILES],
        "idle": {"return_home_after_s": 120},
        "voice": {"enabled": True, "volume": 85},
        "programmes": PROGRAMMES,
        "schedule": TIMETABLE,
        "calls": CALLS,
        "fleet": {"broker": "mqtts://fleet.namwon.example:8883"},
        "notices": NOTICES,
    }
    write_json(fleet / "fleet.json", defaults)
    fill_media(fleet / "fleet.json")
    for district in DISTRICTS:
        override: dict[str, object] = {}
        if district.endswith("동"):  # town districts: younger visitors, English line on
            override = {"display": {"show_english": True}}
        elif district in ("산내면", "아영면", "운봉읍"):  # mountain halls: louder prompts
            override = {
                "voice": {"volume": 100},
                "idle": {"return_home_after_s": 180},
                "notices": [MOUNTAIN_NOTICE],  # added to the city's
            }
        write_json(fleet / "districts" / f"{district}.json", override)
    # The pilot centre: a call from the senior welfare team is answered by itself after
    # 10 s of ringing, in opening hours (the team checks on the centre).
    write_json(fleet / "centres" / "namwon-001.json", {"calls": {"auto_answer": {"after_s": 10}}})
    pins = random.Random(13)  # example PINs, the same every run
    rows = []
    for n in range(496):
        district = DISTRICTS[n % len(DISTRICTS)]
        village = VILLAGES[(n // len(DISTRICTS)) % len(VILLAGES)]
        number = n // (len(DISTRICTS) * len(VILLAGES)) + 1
        name = f"{district[:-1]} {village}{'' if number == 1 else number}마을 경로당"
        contact = f"063-6{n % 10}{n % 7}-{1000 + n:04d}"
        volume = "100" if n % 50 == 7 else ""
        leader, technician = "", ""
        if n < PILOT_CENTRES:  # 6 digits and 8 digits: never the same PIN
            leader = str(pins.randrange(10**5, 10**6))  # no leading zero: spreadsheets drop it
            technician = str(pins.randrange(10**7, 10**8))
        rows.append([f"namwon-{n + 1:03d}", name, district, contact, volume, leader, technician])
    with (HERE / "centres.csv").open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out, lineterminator="\r\n")  # as spreadsheets export it
        writer.writerow(["id", "이름", "읍면동", "연락처", "음량", "리더PIN", "기술자PIN"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
