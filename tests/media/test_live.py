"""A live broadcast over HLS from a real nginx, fed live by ffmpeg: drop, fallback, return."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.media.cache import MediaCache
from kiosk.programmes.playback import Notice
from kiosk_demo.media import live_feed_command
from tests.media.conftest import Rig, fill_cache, library_config
from tests.webserver import free_port, nginx


@pytest.fixture
def live_feed(tmp_path: Path) -> Iterator[Path]:
    """ffmpeg writing a live HLS stream (1 s segments, sliding window) into a folder."""
    www = tmp_path / "www"
    www.mkdir()
    feed = subprocess.Popen(live_feed_command(www, size="320x180"))
    yield www
    feed.terminate()
    feed.wait(10)


@pytest.mark.allow_warnings
def test_live_drop_falls_back_to_the_recording_and_returns_to_live(
    tmp_path: Path, clips: dict[str, Path], live_feed: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/live.m3u8"
    config = library_config(clips, live_url=url)
    cache = MediaCache(tmp_path / "cache")
    fill_cache(cache, config, clips)
    rig = Rig(config, cache)
    live = config.programme("live")
    assert live is not None
    notices: list[Notice | None] = []
    rig.playback.subscribe(lambda now: notices.append(now.notice) if now else None)
    try:
        with nginx(live_feed, tmp_path / "ng1", port=port):
            assert rig.pump(lambda: (live_feed / "live.m3u8").exists())
            assert rig.playback.start(live)
            assert rig.pump(lambda: rig.video.position_ms() > 1000)
            assert rig.playback.now is not None and rig.playback.now.live
        # The server is gone: the recording of the same programme takes over.
        assert rig.pump(lambda: Notice.LIVE_FALLBACK in notices)
        now = rig.playback.now
        assert now is not None and not now.live and now.title == "recording 영상"
        with nginx(live_feed, tmp_path / "ng2", port=port):
            assert rig.pump(lambda: Notice.LIVE_BACK in notices)
            assert rig.playback.now is not None and rig.playback.now.live
            resumed = rig.video.position_ms()
            assert rig.pump(lambda: rig.video.position_ms() > max(resumed, 0) + 500)
        rig.playback.stop()
    finally:
        rig.close()
