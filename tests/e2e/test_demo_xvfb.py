"""The real ``kiosk run --demo`` as its own process on a real X server."""

import datetime as dt
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.ui.notices import ROW_COLOUR
from kiosk.ui.qt import QImage
from tests.conftest import DEMO_CONFIG
from tests.e2e.xserver import (
    RunningKiosk,
    colour_share,
    running_kiosk,
    xdotool,
    xvfb,
)

pytestmark = pytest.mark.xvfb

DEMO = json.loads(DEMO_CONFIG.read_text())
WIDTH, HEIGHT = 1920, 1080
PICTURE = "#E8F1FA"
"""The background of the demo's flu-shot notice picture."""


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[RunningKiosk]:
    # The demo's 건강체조 starts by itself at 14:00 every day: the keys below would meet
    # a programme instead of home between 14:00 and 14:30 (centre time). Recorded as
    # started already, today and tomorrow, as a kiosk restarted after it would have.
    today = dt.datetime.now(ZoneInfo(DEMO["centre"].get("timezone", "Asia/Seoul"))).date()
    started = [
        [slot["programme"], slot["start"], (today + dt.timedelta(days=d)).isoformat()]
        for slot in DEMO["schedule"]
        if slot.get("auto_start")
        for d in (0, 1)
    ]
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "auto-started.json").write_text(json.dumps(started))
    with xvfb(WIDTH, HEIGHT) as display, running_kiosk(display, tmp_path, ["run", "--demo"]) as k:
        yield k


def home_is_shown(image: QImage) -> bool:
    return all(colour_share(image, tile["colour"])[0] > 0.03 for tile in DEMO["tiles"])


def is_black(image: QImage, x: float, y: float) -> bool:
    colour = image.pixelColor(int(image.width() * x), int(image.height() * y))
    return max(colour.red(), colour.green(), colour.blue()) < 16


def test_demo_fills_the_screen_with_tiles_and_keys_work(kiosk: RunningKiosk) -> None:
    window = xdotool(kiosk.display, "search", "--onlyvisible", "--pid", str(kiosk.process.pid))
    geometry = xdotool(kiosk.display, "getwindowgeometry", "--shell", window.split()[0])
    assert "X=0\n" in geometry and "Y=0\n" in geometry
    assert f"WIDTH={WIDTH}\n" in geometry and f"HEIGHT={HEIGHT}\n" in geometry

    image = kiosk.shot("home")
    assert home_is_shown(image), "every demo tile's colour fills part of the screen"
    centres = [colour_share(image, tile["colour"])[1:] for tile in DEMO["tiles"]]
    top_row, bottom_row = centres[:3], centres[3:]
    assert all(y < HEIGHT / 2 for _, y in top_row) and all(y > HEIGHT / 2 for _, y in bottom_row)
    assert [x for x, _ in top_row] == sorted(x for x, _ in top_row), "tiles in configured order"

    kiosk.wait_log("video player ready")
    kiosk.wait_log("media on disk: 8 of 8 files")
    xdotool(kiosk.display, "key", "1")
    kiosk.wait_log("screen home -> playing (singing)")
    # libvlc draws the video into the window: the middle of the screen turns from
    # black to the demo's colour gradient.
    kiosk.see(lambda image: not is_black(image, 0.5, 0.5), "video on screen")
    kiosk.shot("singing-class")

    xdotool(kiosk.display, "key", "Escape")
    kiosk.wait_log("screen playing -> home")
    kiosk.see(home_is_shown, "home again")

    # The technician: F12 three times, PIN 4321, the diagnostics screen with the demo's
    # test pattern standing in for a camera (libvlc draws it into the window).
    xdotool(kiosk.display, "key", "F12", "F12", "F12")
    kiosk.wait_log("screen home -> leader_pin")
    xdotool(kiosk.display, "key", "4", "3", "2", "1", "Return")
    kiosk.wait_log("screen leader_pin -> diagnostics")
    kiosk.wait_log("camera preview showing file://")  # libvlc's first picture
    kiosk.see(lambda image: not is_black(image, 0.5, 0.45), "camera preview")
    kiosk.shot("diagnostics")
    xdotool(kiosk.display, "key", "Escape")
    kiosk.wait_log("screen diagnostics -> home")

    # 오늘의 안내: the demo's notices, a quiet badge on the tile until they are opened;
    # the first one large, with its picture (from the cache, verified as a download).
    def badge(image: QImage) -> bool:
        tile = image.copy(1280, 540, 640, 540)  # the notices' tile
        return colour_share(tile, "#FFE14D", 3)[0] > 0.01

    kiosk.see(badge, "the yellow 새 안내 badge on the notices' tile")
    xdotool(kiosk.display, "key", "6")
    kiosk.wait_log("screen home -> notices (notices)")
    kiosk.see(lambda image: colour_share(image, ROW_COLOUR)[0] > 0.15, "rows")
    kiosk.shot("notices")
    xdotool(kiosk.display, "key", "1")
    kiosk.wait_log("screen notices -> notice (notices)")
    kiosk.see(lambda image: colour_share(image, PICTURE)[0] > 0.05, "picture")
    kiosk.shot("notice")
    xdotool(kiosk.display, "key", "Escape")
    kiosk.wait_log("screen notice -> home")

    kiosk.process.send_signal(signal.SIGTERM)
    assert kiosk.process.wait(timeout=15) == 0
    text = kiosk.log_text()
    assert "kiosk stopped" in text
    assert "Traceback" not in text


def test_under_systemd_ready_then_watchdog_pings(tmp_path: Path) -> None:
    # Offscreen: no X server needed for the protocol itself.
    env = {"QT_QPA_PLATFORM": "offscreen", "WATCHDOG_USEC": "600000"}
    with running_kiosk(":0", tmp_path, ["run", "--demo"], env) as kiosk:  # READY=1 came
        assert kiosk.notify.recv(64) == b"WATCHDOG=1"
        assert "pinging systemd every 200 ms" in kiosk.log_text()
