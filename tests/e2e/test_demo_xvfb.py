"""The real ``kiosk run --demo`` as its own process on a real X server."""

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.ui.qt import QImage
from tests.conftest import DEMO_CONFIG
from tests.e2e.xserver import colour_share, screenshot, wait_for, xdotool, xvfb

pytestmark = pytest.mark.xvfb

DEMO = json.loads(DEMO_CONFIG.read_text())
WIDTH, HEIGHT = 1920, 1080


@dataclass
class RunningKiosk:
    display: str
    process: subprocess.Popen[bytes]
    log: Path
    shots: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, text: str) -> None:
        wait_for(lambda: text in self.log_text(), 20, f"log line {text!r}")

    def shot(self, name: str) -> QImage:
        image = screenshot(self.display)
        image.save(str(self.shots / f"{name}.png"))
        return image


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[RunningKiosk]:
    with xvfb(WIDTH, HEIGHT) as display:
        notify_path = tmp_path / "notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(notify_path))
        notify.settimeout(60)
        log = tmp_path / "kiosk.log"
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "NOTIFY_SOCKET": str(notify_path),
            "KIOSK_STATE_DIR": str(tmp_path / "state"),
            "KIOSK_VLC_ARGS": "--aout=dummy",
        }
        kiosk_bin = Path(sys.executable).parent / "kiosk"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [kiosk_bin, "run", "--demo"], env=env, stderr=log_file, stdout=log_file
            )
        try:
            # systemd's readiness protocol: READY=1 once the home screen is painted.
            assert notify.recv(4096) == b"READY=1", log.read_text()
            shots = tmp_path / "screens"
            shots.mkdir()
            yield RunningKiosk(display, process, log, shots)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            notify.close()


def home_is_shown(image: QImage) -> bool:
    return all(colour_share(image, tile["colour"])[0] > 0.03 for tile in DEMO["tiles"])


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

    xdotool(kiosk.display, "key", "1")
    kiosk.wait_log("screen home -> not_available (singing)")
    singing = DEMO["tiles"][0]["colour"]
    wait_for(lambda: colour_share(screenshot(kiosk.display), singing)[0] > 0.5, 10, "tile page")
    kiosk.shot("singing-page")

    xdotool(kiosk.display, "key", "Escape")
    kiosk.wait_log("screen not_available -> home")
    wait_for(lambda: home_is_shown(screenshot(kiosk.display)), 10, "home again")

    kiosk.process.send_signal(signal.SIGTERM)
    assert kiosk.process.wait(timeout=15) == 0
    text = kiosk.log_text()
    assert "kiosk stopped" in text
    assert "Traceback" not in text
