"""The real demo: ``kiosk run --demo`` on a real X server, calling the demo's city hall
(``python -m kiosk_demo.cityhall``: Janus in a network namespace, a staff desk)."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.calls.tracks import BARS
from kiosk_demo.network import PrivateNetwork
from tests.calls.signals import near
from tests.e2e.xserver import (
    RunningKiosk,
    running_kiosk,
    screenshot,
    wait_for,
    xdotool,
    xvfb,
)

pytestmark = pytest.mark.xvfb


@pytest.fixture
def city_hall(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    if os.geteuid() != 0:
        pytest.fail("the demo's city hall needs root (a network namespace)")
    log = (tmp_path / "city-hall.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk_demo.cityhall"],
        # City hall enrols the demo box where the kiosk below keeps its state.
        env={**os.environ, "KIOSK_STATE_DIR": str(tmp_path / "state")},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its Janus too can be killed as one group
    )
    try:
        wait_for(
            lambda: "city hall is ready" in (tmp_path / "city-hall.log").read_text(),
            30,
            "the demo city hall",
        )
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            # Fail, but leave nothing behind for the tests that follow.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            PrivateNetwork(0).remove_leftovers()
            raise
        finally:
            log.close()
    assert not PrivateNetwork(0).is_up(), "the demo left its network behind"


@pytest.fixture
def kiosk(tmp_path: Path, city_hall: subprocess.Popen[bytes]) -> Iterator[RunningKiosk]:
    with xvfb() as display, running_kiosk(display, tmp_path, ["run", "--demo"]) as k:
        yield k


def bars_shown(display: str) -> bool:
    """City hall's colour bars are on screen: along a line through the picture, every
    bar's colour appears (within what VP8 and scaling change)."""
    image = screenshot(display)
    y = image.height() * 2 // 5
    seen = [image.pixelColor(x, y) for x in range(0, image.width(), 4)]
    line = [(c.red(), c.green(), c.blue()) for c in seen]
    return all(any(near(pixel, bar, 40) for pixel in line) for bar in BARS)


def test_calling_city_hall_and_being_called(
    kiosk: RunningKiosk, city_hall: subprocess.Popen[bytes]
) -> None:
    kiosk.wait_log("registered with city hall as demo-centre")
    xdotool(kiosk.display, "key", "3")  # 시청과 화상통화
    kiosk.wait_log("call calling -> in_call")
    wait_for(lambda: bars_shown(kiosk.display), 20, "city hall's picture on the call screen")
    kiosk.shot("call-in-progress")
    xdotool(kiosk.display, "key", "Escape")
    kiosk.wait_log("call ended -> idle")
    assert not bars_shown(kiosk.display)
    city_hall.send_signal(signal.SIGUSR1)  # city hall calls the centre
    kiosk.wait_log("call idle -> ringing")
    kiosk.shot("call-ringing")
    xdotool(kiosk.display, "key", "Return")  # 받기
    kiosk.wait_log("call ringing -> in_call")
    wait_for(lambda: bars_shown(kiosk.display), 20, "city hall's picture after answering")
    xdotool(kiosk.display, "key", "4")  # a tile key during a call does nothing
    xdotool(kiosk.display, "key", "Escape")
    kiosk.wait_log("call ended -> idle")
