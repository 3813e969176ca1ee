"""The run loop's media wiring: libvlc started in the background and attached, the library
downloaded from a real nginx into the cache, progress shown, and a tile then plays."""

import queue
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk
from kiosk.media.cache import MediaCache
from kiosk.media.runtime import MediaRuntime
from kiosk.navigation import Screen
from kiosk.paths import Paths
from kiosk.ui.qt import Qt
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.programmes import Downloads
from kiosk_demo.media import describe
from tests.ui.conftest import BuildKiosk
from tests.webserver import nginx


class Loop:
    """Stands in for the asyncio loop: callbacks from other threads wait here for the test."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[Callable[..., object], tuple[object, ...]]] = queue.Queue()

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> None:
        self.calls.put((callback, args))

    def run_pending(self) -> None:
        while not self.calls.empty():
            callback, args = self.calls.get()
            callback(*args)


@pytest.fixture
def media_server(tmp_path: Path, paths: Paths) -> Iterator[str]:
    """The demo videos published as a repository publishes them: ``<sha256>.<file>``."""
    www = tmp_path / "www"
    www.mkdir()
    for source in (paths.assets / "demo" / "media").iterdir():
        media = describe(source)
        shutil.copyfile(source, www / f"{media.sha256}.{media.file}")
    with nginx(www, tmp_path / "nginx") as url:
        yield url


def test_the_library_downloads_and_a_tile_then_plays(
    build: BuildKiosk,
    demo_config: KioskConfig,
    paths: Paths,
    qtbot: QtBot,
    media_server: str,
) -> None:
    config = msgspec.structs.replace(demo_config, downloads=Downloads(base_url=media_server))
    kiosk: Kiosk = build(config)
    loop = Loop()
    runtime = MediaRuntime(
        MediaCache(paths.media),
        loop,
        lambda: kiosk,
        kiosk.hooks,
        ("--vout=dummy", "--aout=dummy"),
        None,
    )
    runtime.start()
    try:

        def done() -> bool:
            loop.run_pending()
            progress = kiosk.status.status.downloads
            return runtime.video is not None and progress.items_ready == 5 and not progress.current

        qtbot.waitUntil(done, timeout=30_000)
        assert kiosk.window.leader.downloads.text() == "5/5개 준비됨 · 0개 남음"
        qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
        assert kiosk.navigator.view.screen is Screen.PLAYING

        def moving() -> bool:
            loop.run_pending()
            return runtime.video is not None and runtime.video.position_ms() > 0

        qtbot.waitUntil(moving, timeout=10_000)
        qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    finally:
        runtime.close()
