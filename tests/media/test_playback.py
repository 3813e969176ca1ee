"""Programmes played by real libvlc from real files (no screen: dummy video and audio out)."""

import threading
import time
from pathlib import Path

import pytest

from kiosk.programmes.playback import Happened, Notice, NowPlaying
from tests.media.conftest import Rig


def count(folder: str) -> int:
    return sum(1 for _ in Path(folder).iterdir())


def programme(rig: Rig, pid: str):  # type: ignore[no-untyped-def]
    found = rig.playback._config.programme(pid)
    assert found is not None
    return found


def test_singing_class_shows_a_picture_with_lyrics_then_goes_home(rig: Rig) -> None:
    seen: list[NowPlaying | None] = []
    rig.playback.subscribe(seen.append)
    assert rig.playback.start(programme(rig, "singing"))
    assert rig.pump(lambda: any(e.what is Happened.FIRST_FRAME for e in rig.events))
    assert rig.pump(lambda: rig.video.position_ms() > 500)
    assert rig.video.subtitle_tracks() == 1
    assert rig.pump(lambda: rig.playback.now is None)
    assert rig.playback.finished_with is None
    assert seen[0] is not None and seen[0].title == "song 영상" and seen[-1] is None


def test_pause_holds_the_position_and_resume_moves_on(rig: Rig) -> None:
    rig.playback.start(programme(rig, "singing"))
    assert rig.pump(lambda: rig.video.position_ms() > 300)
    rig.playback.toggle_pause()
    assert rig.pump(lambda: rig.video.state() == "paused")
    held = rig.video.position_ms()
    rig.pump(lambda: False, timeout=0.7)
    assert rig.video.position_ms() == held
    assert rig.playback.now is not None and rig.playback.now.paused
    rig.playback.toggle_pause()
    assert rig.pump(lambda: rig.video.position_ms() > held)


def test_an_exercise_series_plays_in_order(rig: Rig) -> None:
    order: list[tuple[str, int]] = []
    rig.playback.subscribe(lambda now: order.append((now.title, now.position)) if now else None)
    rig.playback.start(programme(rig, "exercise"))
    assert rig.pump(lambda: rig.playback.now is None)
    assert order == [("part1 영상", 1), ("part2 영상", 2)]
    assert rig.playback.finished_with is None


@pytest.mark.allow_warnings
def test_a_video_not_downloaded_yet_does_not_start_and_is_asked_for(rig: Rig) -> None:
    song = rig.playback._config.video("song")
    assert song is not None
    rig.playback._cache.forget(song.video)
    assert not rig.playback.start(programme(rig, "singing"))
    assert rig.playback.finished_with is Notice.NOT_READY
    assert rig.redownloads == [song.video]


@pytest.mark.allow_warnings
def test_a_corrupt_file_ends_with_a_message_and_a_new_download(rig: Rig) -> None:
    assert rig.playback.start(programme(rig, "broken"))
    assert rig.pump(lambda: rig.playback.now is None)
    assert rig.playback.finished_with is Notice.NOT_READY
    broken = rig.playback._config.video("broken")
    assert broken is not None and rig.redownloads == [broken.video]
    assert rig.bad == [broken.video], "marked bad, for the cache's writer to delete"
    assert not rig.playback._cache.ready(broken.video)


def test_two_hundred_play_stop_cycles_leak_nothing_and_never_hang(rig: Rig) -> None:
    singing = programme(rig, "singing")
    for _ in range(5):  # warm up libvlc's lazily started threads
        rig.playback.start(singing)
        rig.playback.stop()
    fds, threads = count("/proc/self/fd"), threading.active_count()
    tasks = count("/proc/self/task")
    slowest = 0.0
    for cycle in range(200):
        began = time.monotonic()
        rig.playback.start(singing)
        if cycle % 20 == 0:
            assert rig.pump(lambda: rig.video.position_ms() > 0)
        rig.playback.stop()
        slowest = max(slowest, time.monotonic() - began)
    rig.pump(lambda: rig.inbox.empty())
    assert count("/proc/self/fd") <= fds
    assert threading.active_count() == threads
    assert count("/proc/self/task") <= tasks
    assert slowest < 2.0, f"a play/stop cycle took {slowest:.2f} s (a hang)"
    print(f"slowest play/stop cycle: {slowest * 1000:.0f} ms")
