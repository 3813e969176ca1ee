"""A video message from a kiosk to city hall, end to end (issue 15): on a real X
server, real key presses open the message tile, record from ffmpeg's generated
camera and microphone, stop, send; the box's uploader sends it to city hall's real
identity service as the box's own identity; the tile then says it arrived and, once
staff mark it handled, says so until the tile is pressed. Without a camera the screen
says so and offers the voice alone. Screenshots of each screen are saved in
``build/issue15-shots/`` for people to look at."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ASSETS
from tests.e2e.xserver import xvfb
from tests.messages.rig import CENTRE, CityHallRig, decodes, streams

pytestmark = pytest.mark.xvfb

SHOTS = ASSETS.parent / "build" / "issue15-shots"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[CityHallRig]:
    made = CityHallRig(tmp_path)
    try:
        yield made
    finally:
        made.close()


def test_a_message_is_recorded_sent_and_arrives_whole(rig: CityHallRig, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    with xvfb(1920, 1080) as display:
        done = subprocess.run(
            [
                sys.executable, "-m", "tests.messages.screen_child",
                str(out), str(rig.paths.state), rig.url, str(rig.identity.repo),
            ],
            env={**os.environ, "DISPLAY": display},
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    steps: dict[str, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            step = json.loads(line)
            steps[step["step"]] = step
    assert steps["ready"]["buttons"] == ["message_start", "message_cancel"]
    assert steps["recording"]["text"] == f"{steps['recording']['left_s']}초"
    assert steps["review"]["length_s"] >= 3
    assert steps["review"]["buttons"] == ["message_send", "message_again", "message_cancel"]
    assert steps["sent"]["title"] == "시청으로 보냅니다"
    assert steps["sent"]["detail"].startswith("보내지면 알려 드립니다")
    assert steps["delivered"]["badge"] == "시청에 보냈습니다"
    assert steps["handled"]["badge"] == "시청에서 확인했습니다"
    assert steps["no_camera"]["title"] == "카메라가 없습니다"
    assert steps["no_camera"]["buttons"] == ["message_voice_only_button", "message_cancel"]
    assert steps["done"]["badge"] == "", "said once: gone once the tile was pressed"

    store = rig.store()
    [message] = store.delivered()
    assert message.centre == CENTRE
    path = store.file(message)
    assert streams(path) == ["vp8 480x360", "opus"]
    assert decodes(path)
    assert 3 <= message.duration_s <= 60
    assert list(rig.spool.root.glob("*.webm")) == [], "the box keeps no copy city hall has"

    SHOTS.mkdir(parents=True, exist_ok=True)
    for shot in out.glob("*.png"):
        shutil.copy(shot, SHOTS / shot.name)
