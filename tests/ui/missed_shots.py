"""The home screen with the missed-call notice on a real X server, photographed, and its
buttons reached with real key presses (xdotool).

``python -m tests.ui.missed_shots OUT [WIDTHxHEIGHT]`` with ``DISPLAY`` set (an Xvfb of
that size): builds the demo kiosk full screen on its own state folder, in which city
hall's welfare office rang twice and nobody answered; saves ``OUT/home-missed.png``;
presses Up on the X server (the ring on 전화하기) and saves ``home-missed-focus.png``;
presses Right then Return (확인) and saves ``home-missed-gone.png``. Each picture is
taken once the X server shows the state (a pixel of its colour at a spot it names).
Run by :mod:`tests.ui.test_missed_home`; the pictures are for people to look at too.
"""

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtGui import QGuiApplication

from kiosk.app.kiosk import Kiosk, build_kiosk
from kiosk.config import ConfigSource, LoadedConfig
from kiosk.navigation import MISSED_CALL, MISSED_OK
from kiosk.paths import Paths, default_assets
from kiosk.ui.leader import GREEN
from kiosk.ui.qt import QApplication, QFont, QPoint, QRectF
from kiosk.ui.theme import FONT_FAMILY
from kiosk_contract.config import read_config
from tests.e2e.xserver import screenshot, xdotool
from tests.ui.conftest import HEADLESS, seed_demo_media
from tests.ui.shots import on_screen

WALL = dt.datetime(2026, 11, 24, 15, 5, tzinfo=ZoneInfo("Asia/Seoul"))
DISPLAY = os.environ.get("DISPLAY", "")

Probe = tuple[QPoint, str]


class Camera:
    def __init__(self, app: QApplication, kiosk: Kiosk, out: Path) -> None:
        self.app, self.kiosk, self.out = app, kiosk, out
        out.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str, probe: Callable[[], Probe]) -> None:
        self.settle()
        spot, colour = probe()
        deadline = time.monotonic() + 15
        while True:
            image = screenshot(DISPLAY)
            if image.pixelColor(spot).name() == colour.lower():
                break
            if time.monotonic() > deadline:
                image.save(str(self.out / f"{name}-timed-out.png"))
                raise SystemExit(f"{name}: {colour} never showed at {spot.toTuple()}")
            self.app.processEvents()
        image.save(str(self.out / f"{name}.png"))
        print(name, flush=True)

    def settle(self) -> None:
        self.app.processEvents()
        self.kiosk.window.repaint()
        self.app.processEvents()
        QGuiApplication.sync()

    def key(self, name: str, then: Callable[[], bool]) -> None:
        """Press *name* on the X server; wait until the kiosk has taken it."""
        xdotool(DISPLAY, "key", name)
        deadline = time.monotonic() + 15
        while not then():
            if time.monotonic() > deadline:
                raise SystemExit(f"the key {name} never reached the kiosk")
            self.app.processEvents()
            time.sleep(0.01)


def main(out: Path, width: int, height: int) -> None:
    app = QApplication([sys.argv[0]])
    app.setFont(QFont(FONT_FAMILY))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "etc").mkdir()
        paths = Paths(root / "etc", root / "state", default_assets())
        config = read_config(default_assets() / "demo" / "config.json")
        seed_demo_media(paths, config)
        kiosk = build_kiosk(
            LoadedConfig(config, ConfigSource.FILE),
            paths,
            None,
            time.monotonic,
            wall_clock=lambda: WALL,
            vlc_args=HEADLESS,
            demo=True,
        )
        welfare = config.calls.contacts[0]
        kiosk.parts.missed.missed(welfare, WALL - dt.timedelta(hours=1, minutes=20))
        kiosk.parts.missed.missed(welfare, WALL - dt.timedelta(minutes=50))
        window = kiosk.window
        window.setGeometry(0, 0, width, height)
        window.showFullScreen()
        app.installEventFilter(window)
        window.activateWindow()
        try:
            photograph(Camera(app, kiosk, out), kiosk)
        finally:
            kiosk.close()


def photograph(camera: Camera, kiosk: Kiosk) -> None:
    band = kiosk.window.home.missed
    nav = kiosk.navigator

    def green() -> Probe:
        button = band.call_back
        inset = kiosk.window.theme.focus_width + kiosk.window.theme.px(12)
        return on_screen(button, QRectF(button.rect()), inset), GREEN

    camera.shot("home-missed", green)
    xdotool(DISPLAY, "mousemove", "5", str(kiosk.window.height() - 5))  # the pointer away

    def ring() -> Probe:
        button = band.call_back
        ring_width = kiosk.window.theme.focus_width
        return on_screen(
            button, QRectF(button.rect()), ring_width / 2
        ), kiosk.window.theme.display.accent

    camera.key("Up", lambda: nav.view.focus == MISSED_CALL)
    camera.shot("home-missed-focus", ring)
    camera.key("Right", lambda: nav.view.focus == MISSED_OK)
    camera.key("Return", lambda: kiosk.parts.missed.notice() is None)

    def tile() -> Probe:
        first = kiosk.window.home.buttons[0]
        inset = kiosk.window.theme.focus_width + kiosk.window.theme.px(20)
        return on_screen(first, QRectF(first.rect()), inset), first.tile.colour

    camera.shot("home-missed-gone", tile)


if __name__ == "__main__":
    size = sys.argv[2] if len(sys.argv) > 2 else "1920x1080"
    width, height = (int(n) for n in size.split("x"))
    main(Path(sys.argv[1]), width, height)
