"""How playback's ending moves the screens (fake player; real libvlc runs in tests/media)."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from kiosk.config import builtin_config
from kiosk.media.cache import MediaCache
from kiosk.navigation import Navigator, Screen
from kiosk.programmes.conductor import Programmes
from kiosk.programmes.playback import Happened, Playback
from kiosk_contract.config.model import KioskConfig
from kiosk_contract.config.programmes import Programme, Video
from kiosk_demo.media import describe
from tests.unit.programmes.test_playback import FakePlayer, FakeSupply

LIVE = Programme(id="live", title="시청 방송", live_url="https://198.18.0.1/live.m3u8")


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Programmes, FakePlayer, Navigator]:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"pretend video")
    video = Video(id="clip", title="체조", video=describe(clip))
    config: KioskConfig = msgspec.structs.replace(
        builtin_config(),
        library=[video],
        programmes=[LIVE, Programme(id="exercise", title="체조", videos=["clip"])],
    )
    cache = MediaCache(tmp_path / "cache")
    cache.import_file(video.video, clip)
    player = FakePlayer()
    nav = Navigator(config.tiles, config.keys, config.idle, lambda: 0.0)
    playback = Playback(config, cache, lambda: 0.0)
    playback.attach(player, FakeSupply())
    wall = dt.datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    return Programmes(config, nav, playback, lambda: wall, lambda: 0.0), player, nav


def test_the_end_of_the_last_video_returns_home(
    parts: tuple[Programmes, FakePlayer, Navigator],
) -> None:
    programmes, player, nav = parts
    assert programmes.start("exercise")
    assert nav.view.screen is Screen.PLAYING and nav.busy
    programmes.playback.handle(player.generation, Happened.FIRST_FRAME)
    programmes.playback.handle(player.generation, Happened.ENDED)
    assert nav.view.screen is Screen.HOME and not nav.busy


@pytest.mark.allow_warnings
def test_a_file_that_will_not_play_says_not_ready(
    parts: tuple[Programmes, FakePlayer, Navigator],
) -> None:
    programmes, player, nav = parts
    programmes.start("exercise")
    programmes.playback.handle(player.generation, Happened.ERROR)
    assert nav.view.screen is Screen.NOT_READY and nav.view.notice == "video_not_ready"


def test_leaving_the_screen_stops_playback(
    parts: tuple[Programmes, FakePlayer, Navigator],
) -> None:
    programmes, _, nav = parts
    programmes.start("live")
    nav.go_home()
    assert programmes.playback.now is None
