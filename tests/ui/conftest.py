"""A built kiosk window (offscreen) on a fake clock."""

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, build_kiosk
from kiosk.config import ConfigSource, KioskConfig, LoadedConfig
from kiosk.paths import Paths
from kiosk.ui.qt import QApplication, QFont
from kiosk.ui.theme import FONT_FAMILY
from tests.sync.conftest import fleet  # noqa: F401 - the published fleet behind nginx


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


BuildKiosk = Callable[..., Kiosk]


@pytest.fixture
def build(qtbot: QtBot, paths: Paths, clock: FakeClock) -> Iterator[BuildKiosk]:
    """Builds a kiosk from a configuration, shows it at a size, and closes it afterwards."""
    built: list[Kiosk] = []
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setFont(QFont(FONT_FAMILY))

    def make(
        config: KioskConfig | LoadedConfig,
        size: tuple[int, int] = (1920, 1080),
        language: str | None = None,
    ) -> Kiosk:
        loaded = (
            config if isinstance(config, LoadedConfig) else LoadedConfig(config, ConfigSource.FILE)
        )
        kiosk = build_kiosk(loaded, paths, language, clock)
        qtbot.addWidget(kiosk.window)
        app.installEventFilter(kiosk.window)
        kiosk.window.resize(*size)
        kiosk.window.show()
        qtbot.waitExposed(kiosk.window)
        built.append(kiosk)
        return kiosk

    yield make
    for kiosk in built:
        app.removeEventFilter(kiosk.window)
        kiosk.close()
