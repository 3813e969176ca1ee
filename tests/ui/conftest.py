"""A built kiosk window (offscreen) on a fake clock, optionally with a real libvlc player."""

import datetime as dt
import queue
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk, build_kiosk
from kiosk.config import ConfigSource, LoadedConfig
from kiosk.media.runtime import wanted_for
from kiosk.media.vlc_video import PlayerEvent, VlcVideo
from kiosk.paths import Paths
from kiosk.ui.qt import QApplication, QFont
from kiosk.ui.theme import FONT_FAMILY
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.programmes import MediaFile
from tests.sync.conftest import fleet  # noqa: F401 - the published fleet behind nginx

HEADLESS = ("--vout=dummy", "--aout=dummy")


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class WallClock:
    """The centre's wall clock, set by the test (default: Tuesday 2026-11-24 08:00 in Seoul)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Seoul"))

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, hour: int, minute: int, second: int = 0) -> None:
        self.now = self.now.replace(hour=hour, minute=minute, second=second)


class Player:
    """A real libvlc player (no picture, no sound) whose events the test delivers."""

    def __init__(self) -> None:
        self.events: queue.Queue[PlayerEvent] = queue.Queue()
        self.video = VlcVideo(HEADLESS, self.events.put)

    def deliver(self, kiosk: Kiosk) -> None:
        """Hand queued events to the kiosk, as the run loop does."""
        while not self.events.empty():
            event = self.events.get()
            kiosk.programmes.playback.handle(event.generation, event.what)


class Supply:
    """Stands in for the media service: keeps what playback asks for; nothing arrives."""

    def __init__(self) -> None:
        self.asked: list[MediaFile] = []
        self.probed: list[str] = []

    def redownload(self, media: MediaFile, bad: bool = False) -> None:
        self.asked.append(media)

    def probe(self, url: str, answer: Callable[[bool], None]) -> None:
        self.probed.append(url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


BuildKiosk = Callable[..., Kiosk]


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def player() -> Iterator[Player]:
    made = Player()
    yield made
    made.video.close()


def seed_demo_media(paths: Paths, config: KioskConfig) -> None:
    """Put the bundled demo videos into the kiosk's cache, verified, as the demo does."""
    from kiosk.media.cache import MediaCache

    wanted = [w.media for w in wanted_for(config)]
    MediaCache(paths.media).import_folder(paths.assets / "demo" / "media", wanted)


@pytest.fixture
def build(qtbot: QtBot, paths: Paths, clock: FakeClock, wall: WallClock) -> Iterator[BuildKiosk]:
    """Builds a kiosk from a configuration, shows it at a size, and closes it afterwards.

    With *player*, the demo media are in its cache and the player is attached.
    """
    built: list[Kiosk] = []
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setFont(QFont(FONT_FAMILY))

    def make(
        config: KioskConfig | LoadedConfig,
        size: tuple[int, int] = (1920, 1080),
        language: str | None = None,
        player: Player | None = None,
    ) -> Kiosk:
        loaded = (
            config if isinstance(config, LoadedConfig) else LoadedConfig(config, ConfigSource.FILE)
        )
        kiosk = build_kiosk(
            loaded, paths, language, clock, wall_clock=wall, vlc_args=HEADLESS, demo=True
        )
        if player is not None:
            seed_demo_media(paths, loaded.config)
            kiosk.programmes.playback.attach(player.video, Supply())
        qtbot.addWidget(kiosk.window)
        app.installEventFilter(kiosk.window)
        kiosk.start_ticking()
        kiosk.window.resize(*size)
        kiosk.window.show()
        qtbot.waitExposed(kiosk.window)
        built.append(kiosk)
        return kiosk

    yield make
    for kiosk in built:
        app.removeEventFilter(kiosk.window)
        kiosk.close()
