"""The message screen on a real X server, driven by real key presses (xdotool) and
photographed at each step.

``python -m tests.messages.screen_child OUT STATE URL REPO`` with ``DISPLAY`` set (an Xvfb
of 1920x1080): the demo kiosk, its 5th tile made "의견 남기기", full screen on the
enrolled box's state folder *STATE*, its messages sent to the identity service at
*URL* (whose repository *REPO* the staff's "handled" is written to); the camera and
microphone are ffmpeg's generated ones. Prints one JSON line
per step (``{"step": ...}``) and saves ``OUT/<step>.png``. Run by
:mod:`tests.e2e.test_messages`.
"""

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ["QT_QPA_PLATFORM"] = "xcb"
os.environ.setdefault("QT_API", "pyside6")

import msgspec
import qasync

from kiosk.app.kiosk import Kiosk, build_kiosk
from kiosk.config import ConfigSource, LoadedConfig
from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from kiosk.devices.status import facts
from kiosk.identity import tls_context
from kiosk.messages.desk import Stage
from kiosk.messages.service import MessageService
from kiosk.messages.spool import State
from kiosk.navigation import Screen
from kiosk.paths import Paths, default_assets
from kiosk.ui.qt import QApplication, QFont, QImage
from kiosk.ui.theme import FONT_FAMILY
from kiosk_contract.config import KioskConfig, read_config
from kiosk_contract.config.model import Tile
from kiosk_provisioning.messages import MessageStore
from tests.calls.stand_ins import picture_of, tone_of
from tests.e2e.xserver import colour_share, screenshot

DISPLAY = os.environ.get("DISPLAY", "")
WALL = dt.datetime(2026, 11, 30, 15, 5, tzinfo=ZoneInfo("Asia/Seoul"))
CAMERA = Device(Kind.CAMERA, "/dev/video0", "BRIO", Link.USB)
MICROPHONE = Device(Kind.MICROPHONE, "plughw:CARD=USB,DEV=0", "Jabra", Link.USB)
MESSAGE_TILE = Tile(
    id="message",
    label="의견 남기기",
    label_en="Message city hall",
    icon="call",
    colour="#134E4A",
    action="message",
)
KEY = "5"
"""The message tile's key (the 5th tile)."""
LIMIT_S = 30.0


def with_message_tile(config: KioskConfig) -> KioskConfig:
    tiles = list(config.tiles)
    tiles[4] = MESSAGE_TILE
    return msgspec.structs.replace(config, tiles=tiles)


def key(name: str) -> None:
    subprocess.run(["xdotool", "key", name], env={**os.environ, "DISPLAY": DISPLAY}, check=True)


def say(step: str, **facts: object) -> None:
    print(json.dumps({"step": step, **facts}), flush=True)


class Photographer:
    def __init__(self, app: QApplication, kiosk: Kiosk, out: Path) -> None:
        self.app, self.kiosk, self.out = app, kiosk, out

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Let the kiosk run (its loop, its timers) until *condition*."""
        deadline = time.monotonic() + LIMIT_S
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)

    async def shot(self, name: str, colour: str) -> QImage:
        """Photograph the screen once *colour* fills a visible part of it."""
        # No QGuiApplication.sync() here: it runs Qt's events, and so the loop's, inside
        # this task's step ("Cannot enter into task ..."), and the task woken that way
        # is never woken again: the run hangs.
        self.kiosk.window.repaint()
        image = screenshot(DISPLAY)
        deadline = time.monotonic() + LIMIT_S
        while colour_share(image, colour)[0] < 0.01:
            if time.monotonic() > deadline:
                image.save(str(self.out / f"{name}-timed-out.png"))
                raise SystemExit(f"{name}: {colour} never showed")
            await asyncio.sleep(0.1)
            image = screenshot(DISPLAY)
        image.save(str(self.out / f"{name}.png"))
        return image


async def photograph(
    app: QApplication, kiosk: Kiosk, service: MessageService, out: Path, repo: Path
) -> None:
    camera = Photographer(app, kiosk, out)
    nav, desk, window = kiosk.navigator, service.desk, kiosk.window
    kiosk.status.update(**facts([CAMERA, MICROPHONE], Choice(CAMERA, MICROPHONE, None)))
    await camera.shot("home-with-message-tile", MESSAGE_TILE.colour)  # on the X screen

    key(KEY)
    await camera.until(lambda: nav.view.screen is Screen.MESSAGE, "the message screen")
    await camera.shot("message-ready", "#991B1B")
    say("ready", stage=desk.view.stage.value, buttons=list(desk.view.buttons))

    key("1")
    await camera.until(lambda: desk.view.stage is Stage.RECORDING, "recording")
    await camera.until(lambda: desk.view.left_s <= 57, "three seconds recorded")
    page = window.message
    assert page is not None
    await camera.until(lambda: page.self_view.image is not None, "the senior's self-view")
    await camera.shot("message-countdown", window.theme.display.accent)
    say("recording", left_s=desk.view.left_s, text=window.message.countdown.text())  # type: ignore[union-attr]

    key("Return")
    await camera.until(lambda: desk.view.stage is Stage.REVIEW, "the review")
    await camera.shot("message-review", "#14532D")
    say("review", length_s=desk.view.length_s, buttons=list(desk.view.buttons))
    key("Right")
    await camera.until(lambda: desk.view.focus == 1, "the ring on 다시 하기")
    key("Left")
    await camera.until(lambda: desk.view.focus == 0, "the ring back on 보내기")
    key("Return")
    await camera.until(lambda: desk.view.stage is Stage.SENT, "sent")
    await camera.shot("message-sent", "#374151")
    say("sent", title=window.message.title.text(), detail=window.message.detail.text())  # type: ignore[union-attr]

    await camera.until(lambda: nav.view.screen is Screen.HOME, "home after sending")
    await camera.until(lambda: service.uploader.delivered == 1, "the message delivered")
    await camera.until(lambda: service.badge == "message_delivered", "the tile's badge")
    await camera.shot("home-message-delivered", window.theme.display.accent)
    say("delivered", badge=window.home.buttons[4].badge)

    [delivered] = service.spool.in_state(State.DELIVERED)
    assert MessageStore.open(repo).mark_handled(delivered.id, "staff-kim") is not None
    service.uploader.wake()  # the box would ask within minutes; now, for the test
    await camera.until(lambda: service.badge == "message_handled", "staff's 'handled' heard")
    await camera.shot("home-message-handled", window.theme.display.accent)
    say("handled", badge=window.home.buttons[4].badge)

    kiosk.status.update(**facts([MICROPHONE], Choice(None, MICROPHONE, None)))
    key(KEY)
    await camera.until(lambda: desk.view.stage is Stage.VOICE_ONLY, "the no-camera screen")
    await camera.shot("message-no-camera", "#991B1B")
    say("no_camera", title=window.message.title.text(), buttons=list(desk.view.buttons))  # type: ignore[union-attr]
    key("Escape")
    await camera.until(lambda: nav.view.screen is Screen.HOME, "home by Escape")
    say("done", badge=window.home.buttons[4].badge)


def main(out: Path, state: Path, url: str, repo: Path) -> None:
    app = QApplication([sys.argv[0]])
    app.setFont(QFont(FONT_FAMILY))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    out.mkdir(parents=True, exist_ok=True)
    paths = Paths(state.parent / "etc", state, default_assets())
    config = with_message_tile(read_config(default_assets() / "demo" / "config.json"))
    kiosk = build_kiosk(
        LoadedConfig(config, ConfigSource.FILE),
        paths,
        None,
        wall_clock=lambda: WALL,
        vlc_args=("--vout=dummy", "--aout=dummy"),
        demo=True,
    )
    window = kiosk.window
    window.setGeometry(0, 0, 1920, 1080)
    window.showFullScreen()
    app.installEventFilter(window)
    kiosk.start_ticking()
    service = MessageService(
        paths,
        kiosk.navigator,
        kiosk.status,
        loop,
        url,
        lambda: tls_context(paths),
        picture_of,
        tone_of,
    )
    kiosk.attach_messages(service)
    service.start()

    async def run() -> None:
        try:
            await photograph(app, kiosk, service, out, repo)
        finally:
            await service.close()

    try:
        loop.run_until_complete(run())
    finally:
        kiosk.close()
        loop.close()  # its worker threads (the uploads' requests) end with it


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
