"""The alert, notice and leader's call screens on a real X server, photographed one
after the other.

``python -m tests.ui.shots OUT [WIDTHxHEIGHT]`` with ``DISPLAY`` set (an Xvfb of that
size): builds the demo kiosk full screen on its own state folder, goes through each
state, waits until the X server shows it (a pixel of the state's own colour at a
spot it names, read back with ImageMagick's ``import``) and saves ``OUT/<name>.png``.
Run by :mod:`tests.ui.test_screens_xvfb`; the same pictures are for people to look at.
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

import msgspec
from PySide6.QtGui import QGuiApplication

from kiosk.app.kiosk import Kiosk, build_kiosk
from kiosk.config import ConfigSource, LoadedConfig
from kiosk.navigation import ALERT_SETTLE_S
from kiosk.paths import Paths, default_assets
from kiosk.ui.alert import PALETTES
from kiosk.ui.leader import GREEN
from kiosk.ui.notices import ROW_COLOUR
from kiosk.ui.qt import QApplication, QFont, QPoint, QRectF, QWidget
from kiosk.ui.theme import FONT_FAMILY
from kiosk_contract.config import read_config
from kiosk_contract.config.calls import Contact
from kiosk_contract.fleet import Level
from tests.e2e.xserver import screenshot
from tests.ui.alerting import PICTURE, ring_a_call, send_alert
from tests.ui.conftest import HEADLESS, seed_demo_media


class _Clock:
    """Monotonic seconds that the photographer may move on (an alert's 확인 is taken
    only once it has been on the screen for a moment)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.ahead

    def skip(self, seconds: float) -> None:
        self.ahead += seconds


CLOCK = _Clock()

WALL = dt.datetime(2026, 11, 24, 15, 5, tzinfo=ZoneInfo("Asia/Seoul"))

Probe = tuple[QPoint, str]
"""A spot on the screen and the colour it has once the state is shown."""


def on_screen(widget: QWidget, rect: QRectF, inset: float = 6) -> QPoint:
    """The point just inside the left middle of *rect* (in *widget*'s coordinates)."""
    return widget.mapTo(widget.window(), QPoint(int(rect.left() + inset), int(rect.center().y())))


class Camera:
    """Shows states of one kiosk and photographs them once they are on screen."""

    def __init__(self, app: QApplication, kiosk: Kiosk, out: Path) -> None:
        self.app, self.kiosk, self.out = app, kiosk, out
        out.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str, probe: Callable[[], Probe]) -> None:
        self.app.processEvents()
        self.kiosk.window.repaint()
        self.app.processEvents()
        QGuiApplication.sync()
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


DISPLAY = os.environ.get("DISPLAY", "")


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
            CLOCK,
            wall_clock=lambda: WALL,
            vlc_args=HEADLESS,
            demo=True,
        )
        window = kiosk.window
        window.setGeometry(0, 0, width, height)
        window.showFullScreen()
        app.installEventFilter(window)
        try:
            photograph(Camera(app, kiosk, out), kiosk)
        finally:
            kiosk.close()


def corner(colour: str) -> Callable[[], Probe]:
    """The top left corner in *colour* (an alert's fill)."""
    return lambda: (QPoint(4, 4), colour)


def photograph(camera: Camera, kiosk: Kiosk) -> None:
    window, nav = kiosk.window, kiosk.navigator
    tile = window.home.buttons[5]

    def badge() -> Probe:
        window.grab()  # lays the tile out
        return on_screen(tile, tile.drawn[-1][2], tile.drawn[-1][2].height() / 3), "#FFE14D"

    camera.shot("home-badge", badge)

    nav.press_tile(5)

    def first_row() -> Probe:
        row = window.notices_page.rows[0]
        return on_screen(row, QRectF(row.rect()), window.theme.focus_width + 4), ROW_COLOUR

    camera.shot("notices", first_row)
    nav.key("1")

    def band() -> Probe:
        page = window.notice_page
        return on_screen(page, QRectF(page.rect()).adjusted(0, 0, 0, -page.height() * 0.7), 50), (
            ROW_COLOUR
        )

    camera.shot("notice", band)
    nav.go_home()

    for level in (Level.EMERGENCY, Level.CAUTION, Level.INFO):
        for picture in (False, True):
            english = "Typhoon warning: stay indoors tonight." if level is Level.EMERGENCY else ""
            text = "산불 조심: 논밭 태우기를 하지 마세요. 연기가 보이면 119에 알려 주세요."
            send_alert(
                kiosk,
                level,
                text if picture else "",
                picture=PICTURE.read_bytes() if picture else None,
                text_en="" if picture else english,
            )
            name = f"alert-{level.value}{'-picture' if picture else ''}"
            camera.shot(name, corner(PALETTES[level].fill))
            CLOCK.skip(ALERT_SETTLE_S)  # 확인 once the alert can have been read
            nav.acknowledge()

    ring_a_call(kiosk)
    send_alert(kiosk, Level.EMERGENCY)
    call = window.call
    assert call is not None

    def banner() -> Probe:
        bar = call.alert_bar
        return on_screen(bar, QRectF(bar.rect()), 4), PALETTES[Level.EMERGENCY].fill

    camera.shot("call-banner", banner)
    nav.go_home()  # the call ends: the alert fills the screen
    camera.shot("alert-after-call", corner(PALETTES[Level.EMERGENCY].fill))
    CLOCK.skip(ALERT_SETTLE_S)
    nav.acknowledge()

    nav.press_tile(5)

    def alert_row() -> Probe:
        row = window.notices_page.rows[0]
        inset = window.theme.focus_width + 4
        return on_screen(row, QRectF(row.rect()), inset), PALETTES[Level.EMERGENCY].fill

    camera.shot("notices-with-alerts", alert_row)
    nav.go_home()
    photograph_leader_calls(camera, kiosk)


OFFICES = [
    Contact(id="clerk", name="cityhall-clerk", label="남원시청 민원실", label_en="Civil affairs"),
    Contact(id="health", name="cityhall-health", label="남원시 보건소", label_en="Health centre"),
    Contact(id="mayor", name="cityhall-mayor", label="시장실", label_en="Mayor's office"),
]
"""City-hall offices a centre may be given to call, after the demo's welfare office."""


def photograph_leader_calls(camera: Camera, kiosk: Kiosk) -> None:
    """The leader's screen with its call entry, then its list of contacts: the demo's
    one, and four."""
    window, nav = kiosk.window, kiosk.navigator

    def unlocked() -> None:
        nav.open_leader()
        nav.unlocked("leader")

    def inside(button: QWidget) -> Probe:
        return on_screen(button, QRectF(button.rect()), window.theme.focus_width + 4), GREEN

    unlocked()
    camera.shot("leader", lambda: inside(window.leader.call))
    nav.open_leader_calls()
    camera.shot("leader-calls", lambda: inside(window.leader_calls.rows[0]))
    config = kiosk.loaded.config
    calls = msgspec.structs.replace(config.calls, contacts=[*config.calls.contacts, *OFFICES])
    nav.reconfigure(msgspec.structs.replace(config, calls=calls))  # goes home
    unlocked()
    nav.open_leader_calls()
    camera.shot("leader-calls-four", lambda: inside(window.leader_calls.rows[3]))


if __name__ == "__main__":
    size = sys.argv[2] if len(sys.argv) > 2 else "1920x1080"
    width, height = (int(n) for n in size.split("x"))
    main(Path(sys.argv[1]), width, height)
