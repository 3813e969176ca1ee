"""Writes the example fleet: defaults, Namwon's 23 districts, 496 synthetic centres.

Run from anywhere: ``python provisioning/examples/generate.py``. Deterministic:
the same files every time. Names are synthetic; districts are Namwon's real ones.

PINs are per centre, in the inventory only (never in fleet.json or a district file).
The example gives the first :data:`PILOT_CENTRES` centres a leader's and a
technician's PIN of their own, made up here; the others have no leader mode and no
diagnostics screen yet (``kiosk doctor`` over SSH still works). A real inventory gets
PINs chosen by city hall, one pair per centre.
"""

import csv
import json
import random
from pathlib import Path

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
    ("singing", "노래교실", "Singing class", "singing", "#9B1C1C", "programme", "singing.wav"),
    ("exercise", "건강체조", "Health exercise", "exercise", "#14532D", "programme", "exercise.wav"),
    ("city-hall", "시청과 화상통화", "Call city hall", "call", "#1E3A8A", "call", "call.wav"),
    ("meeting", "마을 회의", "Town meeting", "meeting", "#581C87", "group", "meeting.wav"),
]


def tile(spec: tuple[str, ...]) -> dict[str, str]:
    tid, label, label_en, icon, colour, action, prompt = spec
    return {
        "id": tid,
        "label": label,
        "label_en": label_en,
        "icon": icon,
        "colour": colour,
        "action": action,
        "target": tid,
        "prompt": prompt,
    }


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
    }
    (fleet / "fleet.json").write_text(json.dumps(defaults, ensure_ascii=False, indent=2) + "\n")
    for district in DISTRICTS:
        override: dict[str, object] = {}
        if district.endswith("동"):  # town districts: younger visitors, English line on
            override = {"display": {"show_english": True}}
        elif district in ("산내면", "아영면", "운봉읍"):  # mountain halls: louder prompts
            override = {"voice": {"volume": 100}, "idle": {"return_home_after_s": 180}}
        (fleet / "districts" / f"{district}.json").write_text(
            json.dumps(override, ensure_ascii=False, indent=2) + "\n"
        )
    broadcast = {
        "tiles": [tile(t) for t in TILES]
        + [
            tile(
                (
                    "broadcast",
                    "시청 방송",
                    "City hall broadcast",
                    "broadcast",
                    "#134E4A",
                    "live",
                    "broadcast.wav",
                )
            )
        ]
    }
    (fleet / "centres" / "namwon-001.json").write_text(
        json.dumps(broadcast, ensure_ascii=False, indent=2) + "\n"
    )
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
