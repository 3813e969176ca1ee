"""The run loop's media wiring: libvlc started in the background and attached, the library
downloaded from a real nginx into the cache, progress shown, and a tile then plays."""

import asyncio
import queue
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.media.runtime import MediaService
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


def service(kiosk: Kiosk, loop: Loop, repository_media: str | None = None) -> MediaService:
    parts = kiosk.parts
    return MediaService(
        parts.loaded.config,
        parts.playback,
        parts.cache,
        parts.status,
        loop,
        ("--vout=dummy", "--aout=dummy"),
        repository_media,
    )


def test_the_library_downloads_and_a_tile_then_plays(
    build: BuildKiosk,
    demo_config: KioskConfig,
    qtbot: QtBot,
    media_server: str,
) -> None:
    config = msgspec.structs.replace(demo_config, downloads=Downloads(base_url=media_server))
    kiosk: Kiosk = build(config)
    loop = Loop()
    media = service(kiosk, loop)
    media.start()
    try:

        def done() -> bool:
            loop.run_pending()
            progress = kiosk.status.status.downloads
            return media.video is not None and progress.items_ready == 8 and not progress.current

        qtbot.waitUntil(done, timeout=30_000)
        assert kiosk.window.leader.downloads.text() == "8/8개 준비됨 · 0개 남음"
        qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
        assert kiosk.navigator.view.screen is Screen.PLAYING

        def moving() -> bool:
            loop.run_pending()
            return media.video is not None and media.video.position_ms() > 0

        qtbot.waitUntil(moving, timeout=10_000)
        qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    finally:
        asyncio.run(media.close())


@pytest.mark.allow_warnings
def test_a_new_download_address_is_used_without_a_restart(
    build: BuildKiosk,
    demo_config: KioskConfig,
    qtbot: QtBot,
    media_server: str,
    tmp_path: Path,
) -> None:
    """``downloads.base_url`` was read once at start: a new configuration never moved it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    with nginx(empty, tmp_path / "nginx-empty") as nowhere:
        config = msgspec.structs.replace(demo_config, downloads=Downloads(base_url=nowhere))
        kiosk: Kiosk = build(config)
        loop = Loop()
        media = service(kiosk, loop)
        media.start()
        try:

            def failed() -> bool:
                loop.run_pending()
                return len(kiosk.status.status.downloads.errors) == 8

            qtbot.waitUntil(failed, timeout=30_000)
            moved = msgspec.structs.replace(config, downloads=Downloads(base_url=media_server))
            media.reconfigure(moved)

            def done() -> bool:
                loop.run_pending()
                return kiosk.status.status.downloads.items_ready == 8

            qtbot.waitUntil(done, timeout=30_000)
        finally:
            asyncio.run(media.close())
