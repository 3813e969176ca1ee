"""``kiosk doctor --json`` over umockdev rooms, field by field (the real command, as a process)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.devices.conftest import ROOMS

KIOSK = Path(sys.executable).parent / "kiosk"


def doctor(room: str, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["umockdev-run", "-d", str(ROOMS / f"{room}.umockdev"), "--"]
    command += [str(KIOSK), "--state-dir", str(state), "--etc-dir", str(state), "doctor", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def report(room: str, tmp_path: Path) -> dict[str, Any]:
    done = doctor(room, tmp_path, "--json")
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def test_the_centre_room_field_by_field(tmp_path: Path) -> None:
    found = report("centre-room", tmp_path)
    assert found["cameras"] == [
        {"name": "Logitech BRIO", "node": "/dev/video0", "link": "usb", "chosen": True}
    ]
    assert found["microphones"] == [
        {
            "name": "ALC897 Analog",
            "node": "plughw:CARD=PCH,DEV=0",
            "link": "analog",
            "chosen": False,
        },
        {
            "name": "Jabra SPEAK 510 USB",
            "node": "plughw:CARD=USB,DEV=0",
            "link": "speakerphone",
            "chosen": True,
        },
    ]
    assert [(s["name"], s["chosen"]) for s in found["speakers"]] == [
        ("ALC897 Analog", False),
        ("HDMI 0", False),
        ("Jabra SPEAK 510 USB", True),
    ]
    assert found["missing_devices"] == []
    assert found["network"]["config_server"] == {"checked": False, "why": "not_enrolled"}
    assert found["config"]["enrolled"] is False


def test_a_room_without_sound_names_what_is_missing(tmp_path: Path) -> None:
    found = report("odd-cameras", tmp_path)
    assert [(c["name"], c["node"], c["chosen"]) for c in found["cameras"]] == [
        ("", "/dev/video0", False),
        ("HD Pro Webcam C920", "/dev/video2", True),
        ("HD Pro Webcam C920", "/dev/video4", False),
    ]
    assert found["microphones"] == [] and found["speakers"] == []
    assert found["missing_devices"] == ["microphone", "speaker"]
    text = doctor("odd-cameras", tmp_path).stdout
    assert "  * HD Pro Webcam C920  /dev/video2  [usb]" in text
    assert "    (no name)  /dev/video0  [internal]" in text
