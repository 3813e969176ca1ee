"""A new box on a real X server: enrolled from its own screen with city hall's one-time
code, then following the centre over mutual TLS."""

import json
import os
import signal
from pathlib import Path

import pytest

from kiosk.ui.qt import QImage
from tests.e2e.xserver import colour_share, running_kiosk, screenshot, wait_for, xdotool, xvfb
from tests.sync.conftest import Fleet

pytestmark = pytest.mark.xvfb

BROADCAST = {
    "id": "broadcast",
    "label": "시청 방송",
    "icon": "broadcast",
    "colour": "#134E4A",
    "action": "live",
    "target": "city-hall-live",
    "prompt": "broadcast.wav",
}


def settled(display: str, unlike: QImage) -> None:
    """Wait until the screen differs from *unlike* and two pictures in a row agree (the
    keys sent are all drawn)."""
    shots = [unlike]

    def still() -> bool:
        shots.append(screenshot(display))
        return shots[-1] != unlike and shots[-1] == shots[-2]

    wait_for(still, 10, "the screen to settle")


def test_enrol_on_screen_then_a_central_change_reaches_the_screen(
    fleet: Fleet, identity_service: str, tmp_path: Path
) -> None:
    fleet.set_default("sync", "quiet_s", 0)  # apply as soon as the home screen is idle
    fleet.publish()
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "root.json").write_bytes((fleet.repo.path / "root.json").read_bytes())
    defaults = {
        "server": fleet.url,
        "identity": identity_service,
        "centre_prefix": "namwon-",
        "digits": 3,
    }
    code = fleet.authority.issue_code("namwon-002")
    (etc / "enrolment.json").write_text(json.dumps(defaults))

    with (
        xvfb() as display,
        running_kiosk(display, tmp_path, ["run"], {"KIOSK_ETC_DIR": str(etc)}) as kiosk,
    ):
        kiosk.wait_log("not enrolled: showing the enrolment screen")
        kiosk.shot("enrolment")
        before = screenshot(display)
        for key in ("0", "0", "2", "Return", *code[:8]):
            xdotool(display, "key", key)
        kiosk.wait_log("enrolment: namwon-002, asking for the code")
        settled(display, before)
        kiosk.shot("enrolment-code")
        for key in (*code[8:], "Return"):
            xdotool(display, "key", key)
        kiosk.wait_ready()  # the home screen of namwon-002
        (box,) = fleet.authority.boxes()
        assert box.centre_id == "namwon-002" and box.revoked_at is None
        kiosk.wait_log("home screen painted")
        home = kiosk.shot("home")
        assert colour_share(home, "#9B1C1C")[0] > 0.03, "the fleet's tiles are shown"
        assert colour_share(home, BROADCAST["colour"])[0] == 0

        centre = fleet.fleet_dir / "centres" / "namwon-002.json"
        centre.parent.mkdir(exist_ok=True)
        tiles = json.loads((fleet.fleet_dir / "fleet.json").read_text())["tiles"]
        centre.write_text(json.dumps({"tiles": [*tiles, BROADCAST]}, ensure_ascii=False))
        # Settings the kiosk used to read only at start reach its services at once.
        fleet.set_default("sync", "interval_s", 600)
        fleet.set_default("downloads", "quota_mb", 500)
        fleet.set_default("maintenance", "restart_at", "03:30")
        fleet.set_default("devices", "camera_model", "BRIO")
        fleet.publish()
        os.kill(kiosk.process.pid, signal.SIGHUP)  # "check now", as `systemctl reload` does
        kiosk.wait_log("configuration revision 3 in force")
        for service_said in (
            "configuration checks every 600 s (was 900 s)",
            ", within 500 MB",
            "quiet-hours restart at 03:30",
            "device policy changed: choosing again",
        ):
            assert service_said in kiosk.log_text(), service_said
        wait_for(
            lambda: colour_share(screenshot(display), BROADCAST["colour"])[0] > 0.02,
            10,
            "the new tile on screen",
        )
        kiosk.shot("home-after-change")

        (fleet.repo.public / "metadata" / "timestamp.json").write_text('{"forged": true}')
        os.kill(kiosk.process.pid, signal.SIGHUP)
        kiosk.wait_log("configuration check failing")
        assert colour_share(screenshot(display), BROADCAST["colour"])[0] > 0.02, "still serving"

        kiosk.process.send_signal(signal.SIGTERM)
        assert kiosk.process.wait(timeout=15) == 0
    assert "Traceback" not in kiosk.log_text()
