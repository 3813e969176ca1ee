"""The alert, notice and leader's call screens painted on a real X server (Xvfb), photographed by
:mod:`tests.ui.shots` in its own process (Qt on xcb), and the photographs checked."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui.alert import PALETTES
from kiosk.ui.leader import GREEN
from kiosk.ui.notices import ROW_COLOUR
from kiosk.ui.qt import QImage
from kiosk_contract.fleet import Level
from tests.e2e.xserver import colour_share, xvfb

pytestmark = pytest.mark.xvfb

SHOTS = [
    "home-badge",
    "notices",
    "notice",
    *(f"alert-{level.value}{kind}" for level in Level for kind in ("", "-picture")),
    "call-banner",
    "alert-after-call",
    "notices-with-alerts",
    "leader",
    "leader-calls",
    "leader-calls-four",
]


def test_every_alert_and_notice_screen_on_a_real_x_server(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    with xvfb(1920, 1080) as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        done = subprocess.run(
            [sys.executable, "-m", "tests.ui.shots", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(SHOTS)
    images = {name: QImage(str(out / f"{name}.png")) for name in SHOTS}
    for level, colours in PALETTES.items():
        for kind in ("", "-picture"):
            share, _, _ = colour_share(images[f"alert-{level.value}{kind}"], colours.fill)
            assert share > (0.4 if kind else 0.6), (level, kind, share)
            _, x, _ = colour_share(images[f"alert-{level.value}{kind}"], colours.button)
            assert abs(x - 960) < 60, "one big 확인, in the middle"
    picture, _, _ = colour_share(images["alert-emergency-picture"], "#E8F1FA")
    assert picture > 0.1, "the picture beside the text"
    top = images["call-banner"].copy(0, 0, 1920, 160)
    banner, _, _ = colour_share(top, PALETTES[Level.EMERGENCY].fill)
    assert banner > 0.5, "a band in the alert's colour across the top of the call page"
    rows, _, _ = colour_share(images["notices"], ROW_COLOUR)
    assert rows > 0.15, "three rows of notices"
    notices_tile = images["home-badge"].copy(1280, 540, 640, 540)
    badge, _, _ = colour_share(notices_tile, "#FFE14D", step=3)
    assert badge > 0.01, "the badge on the notices tile, lower right"
    one, _, _ = colour_share(images["leader-calls"], GREEN)
    four, _, _ = colour_share(images["leader-calls-four"], GREEN)
    assert one > 0.04 and 3.5 < four / one < 4.5, "a wide green row for each contact"
    for left in (80, 1600):  # the rows go across the screen
        side, _, _ = colour_share(images["leader-calls-four"].copy(left, 0, 240, 1080), GREEN)
        assert side > 0.1, left
