"""Programmes in the window: a tile plays with real libvlc, the banner counts down and joins,
the timetable starts a class by itself, and playback ends back home."""

from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.media.cache import MediaCache
from kiosk.navigation import BANNER, Screen
from kiosk.paths import Paths
from kiosk.ui.qt import Qt
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.programmes import Programme, Video
from kiosk_demo.media import describe, make_video
from tests.ui.conftest import BuildKiosk, FakeClock, Player, Supply, WallClock


def test_a_singing_tile_plays_with_lyrics_and_big_controls(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player
) -> None:
    kiosk = build(demo_config, player=player)
    window = kiosk.window
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert kiosk.navigator.view.screen is Screen.PLAYING
    assert window.stack.currentWidget() is window.playing
    assert window.playing.title.text() == "고향의 봄"

    def pictured() -> bool:
        player.deliver(kiosk)
        return player.video.position_ms() > 0

    qtbot.waitUntil(pictured, timeout=10_000)
    assert player.video.subtitle_tracks() == 1
    assert window.playing.controls.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.playing.buttons["pause"].text() == "계속 보기"
    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert window.playing.volume.text() == "소리 90"
    window.playing.hide_timer.timeout.emit()
    assert window.playing.controls.isVisible(), "controls stay while paused"
    qtbot.keyClick(window, Qt.Key.Key_Return)
    window.playing.hide_timer.timeout.emit()
    assert not window.playing.controls.isVisible(), "then fold away: the video fills the screen"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert kiosk.navigator.view.screen is Screen.HOME
    assert kiosk.programmes.playback.now is None and not kiosk.navigator.busy


def test_the_banner_counts_down_and_one_press_joins(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player, wall: WallClock
) -> None:
    wall.set(9, 49)  # Tuesday: singing class at 10:00, announced from 09:50
    kiosk = build(demo_config, player=player)
    window = kiosk.window
    kiosk.tick()
    assert not window.banner.isVisible()
    wall.set(9, 52)
    kiosk.tick()
    assert window.banner.isVisible()
    assert window.banner.text() == "노래교실 — 8분 뒤 시작"
    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert kiosk.navigator.view.focus == BANNER and window.banner.focused
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert kiosk.navigator.view.screen is Screen.PLAYING
    assert window.playing.title.text() == "고향의 봄"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    wall.set(10, 0)
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.HOME, "joined by hand: no second start"
    assert window.banner.text() == "노래교실 — 지금 하고 있습니다"


def test_auto_start_plays_only_when_nobody_is_using_the_kiosk(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, player: Player, wall: WallClock
) -> None:
    wall.set(13, 59)
    kiosk = build(demo_config, player=player)
    window = kiosk.window
    qtbot.keyClick(window, Qt.Key.Key_6)  # someone reads today's notices
    wall.set(14, 0)
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.NOTICES
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    wall.set(14, 1)
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.PLAYING
    assert window.playing.title.text().startswith("건강체조 1부")


@pytest.mark.allow_warnings
def test_a_programme_not_downloaded_yet_says_so_and_goes_home(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot, clock: FakeClock
) -> None:
    kiosk = build(demo_config)  # no player, nothing in the cache
    kiosk.programmes.playback.attach(_SilentOutput(), Supply())
    qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
    assert kiosk.navigator.view.screen is Screen.NOT_READY
    assert kiosk.window.page.title.text() == "이 영상은 아직 준비 중입니다"
    clock.now += demo_config.idle.please_wait_s
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.HOME


class _SilentOutput:
    def play(self, source: object, subtitles: object = None) -> int:
        raise AssertionError("nothing should play")

    def pause(self, paused: bool) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, percent: int) -> None: ...

    def position_ms(self) -> int:
        return 0


def test_a_class_that_plays_to_its_end_returns_home(
    build: BuildKiosk,
    demo_config: KioskConfig,
    qtbot: QtBot,
    player: Player,
    tmp_path: Path,
    paths: Paths,
) -> None:
    clip = make_video(tmp_path / "short.mp4", 1.5, "320x240")
    short = Video(id="short", title="짧은 노래", video=describe(clip))
    config = msgspec.structs.replace(
        demo_config,
        library=[*demo_config.library, short],
        programmes=[Programme(id="singing", title="노래교실", videos=["short"])],
        schedule=[],
    )
    kiosk = build(config, player=player)
    MediaCache(paths.media).import_file(short.video, clip)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_1)
    assert kiosk.navigator.view.screen is Screen.PLAYING

    def home() -> bool:
        player.deliver(kiosk)
        return kiosk.navigator.view.screen is Screen.HOME

    qtbot.waitUntil(home, timeout=15_000)
    assert kiosk.programmes.playback.finished_with is None
