"""Playback rules over a fake player and a fake clock (the real libvlc runs in tests/media)."""

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from kiosk.config import builtin_config
from kiosk.media.cache import MediaCache
from kiosk.programmes.playback import GIVE_UP_S, STALL_S, Happened, Mode, Notice, Playback
from kiosk_contract.config.programmes import MediaFile, Programme


class FakePlayer:
    def __init__(self) -> None:
        self.generation = 0
        self.position = 0
        self.played: list[str] = []

    def play(self, source: str | Path, subtitles: Path | None = None) -> int:
        self.generation += 1
        self.played.append(str(source))
        return self.generation

    def pause(self, paused: bool) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, percent: int) -> None: ...

    def position_ms(self) -> int:
        return self.position


class FakeSupply:
    """The media service: records what playback asks; probes are answered by the test."""

    def __init__(self) -> None:
        self.probes: list[str] = []
        self.answers: list[Callable[[bool], None]] = []
        self.refetched: list[tuple[str, bool]] = []

    def redownload(self, media: MediaFile, bad: bool = False) -> None:
        self.refetched.append((media.file, bad))

    def probe(self, url: str, answer: Callable[[bool], None]) -> None:
        self.probes.append(url)
        self.answers.append(answer)


LIVE = Programme(id="live", title="시청 방송", live_url="https://198.18.0.1/live.m3u8")


@pytest.fixture
def clock() -> list[float]:
    return [100.0]


def playback(tmp_path: Path, clock: list[float]) -> tuple[Playback, FakePlayer, list[str]]:
    config = msgspec.structs.replace(builtin_config(), programmes=[LIVE])
    player, supply = FakePlayer(), FakeSupply()
    made = Playback(config, MediaCache(tmp_path), lambda: clock[0])
    made.attach(player, supply)
    return made, player, supply.probes


@pytest.mark.allow_warnings
def test_a_frozen_stream_is_lost_then_probed_then_given_up(
    tmp_path: Path, clock: list[float]
) -> None:
    pb, player, probes = playback(tmp_path, clock)
    pb.start(LIVE)
    for _ in range(3):
        player.position += 1000
        clock[0] += 1
        pb.tick()
    clock[0] += STALL_S
    pb.tick()
    assert pb.now is not None and pb.now.notice is Notice.LIVE_DOWN and not pb.now.live
    clock[0] += 3
    pb.tick()
    assert probes == [LIVE.live_url]
    pb.live_checked(str(LIVE.live_url), False)
    clock[0] += GIVE_UP_S
    pb.tick()
    assert pb.now is None and pb.finished_with is Notice.LIVE_DOWN


@pytest.mark.allow_warnings
def test_the_stream_comes_back_when_a_probe_answers(tmp_path: Path, clock: list[float]) -> None:
    pb, player, _ = playback(tmp_path, clock)
    generation = player.generation + 1
    pb.start(LIVE)
    pb.handle(generation, Happened.ENDED)
    assert pb.now is not None and pb.now.notice is Notice.LIVE_DOWN
    pb.live_checked(str(LIVE.live_url), True)
    assert pb.now is not None and pb.now.live and pb.now.notice is Notice.LIVE_BACK
    assert player.played == [LIVE.live_url, LIVE.live_url]


def test_events_of_an_earlier_media_are_ignored(tmp_path: Path, clock: list[float]) -> None:
    pb, player, _ = playback(tmp_path, clock)
    pb.start(LIVE)
    old = player.generation
    pb.start(LIVE)
    pb.handle(old, Happened.ENDED)
    assert pb.now is not None and pb.now.live and pb.now.notice is None


def test_a_scheduled_broadcast_ends_at_its_end_time(tmp_path: Path, clock: list[float]) -> None:
    pb, player, _ = playback(tmp_path, clock)
    pb.start(LIVE, until=clock[0] + 60)
    clock[0] += 59
    player.position = 5
    pb.tick()
    assert pb.now is not None
    clock[0] += 1
    pb.tick()
    assert pb.now is None and pb.finished_with is None


def test_volume_stays_within_the_room_range(tmp_path: Path, clock: list[float]) -> None:
    pb, _, _ = playback(tmp_path, clock)
    assert pb.change_volume(+5) == 100
    assert pb.change_volume(-20) == 0


def test_media_file_names_must_be_their_hash() -> None:
    with pytest.raises(ValueError, match="not named by its sha256"):
        MediaFile(file="a" * 64 + ".mp4", sha256="b" * 64, size=1)


@pytest.mark.allow_warnings
def test_when_the_recording_runs_out_the_screen_waits_for_live(
    tmp_path: Path, clock: list[float]
) -> None:
    clip = tmp_path / "rec.mp4"
    clip.write_bytes(b"recording")
    from kiosk_contract.config.programmes import Video
    from kiosk_demo.media import describe

    rec = Video(id="rec", title="녹화", video=describe(clip))
    live = msgspec.structs.replace(LIVE, fallback="rec")
    config = msgspec.structs.replace(builtin_config(), library=[rec], programmes=[live])
    cache = MediaCache(tmp_path / "cache")
    cache.import_file(rec.video, clip)
    player = FakePlayer()
    pb = Playback(config, cache, lambda: clock[0])
    pb.attach(player, FakeSupply())
    pb.start(live)
    pb.handle(player.generation, Happened.ERROR)
    assert pb.now is not None and pb.now.notice is Notice.LIVE_FALLBACK
    assert pb.mode is Mode.FALLBACK
    clock[0] += 3000  # a long recording
    pb.handle(player.generation, Happened.FIRST_FRAME)
    pb.handle(player.generation, Happened.ENDED)
    assert pb.now is not None and pb.now.notice is Notice.LIVE_DOWN
    assert pb.mode is Mode.WAITING
    pb.tick()
    assert pb.now is not None, "the wait starts when the recording ends"
    clock[0] += GIVE_UP_S
    pb.tick()
    assert pb.now is None and pb.finished_with is Notice.LIVE_DOWN


@pytest.mark.allow_warnings
def test_a_broken_file_is_handed_to_the_caches_writer_to_delete_and_fetch_again(
    tmp_path: Path, clock: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    clip = tmp_path / "class.mp4"
    clip.write_bytes(b"not really a video")
    from kiosk_contract.config.programmes import Video
    from kiosk_demo.media import describe

    video = Video(id="class", title="노래교실", video=describe(clip))
    class_ = Programme(id="class", title="노래교실", videos=["class"])
    config = msgspec.structs.replace(builtin_config(), library=[video], programmes=[class_])
    cache = MediaCache(tmp_path / "cache")
    cache.import_file(video.video, clip)
    player, supply = FakePlayer(), FakeSupply()
    pb = Playback(config, cache, lambda: clock[0])
    pb.attach(player, supply)
    assert pb.start(class_) and pb.mode is Mode.RECORDING
    pb.handle(player.generation, Happened.ENDED)  # an end before any picture: broken
    assert pb.now is None and pb.finished_with is Notice.NOT_READY
    assert supply.refetched == [(video.video.file, True)]
    assert cache.ready(video.video), "playback itself never writes to the cache"
    assert "playback recording -> stopped" in caplog.text


@pytest.mark.allow_warnings
def test_the_mode_changes_in_one_place_and_says_so(
    tmp_path: Path, clock: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", "kiosk.programmes.playback")
    pb, player, _ = playback(tmp_path, clock)
    pb.start(LIVE)
    pb.handle(player.generation, Happened.ERROR)
    pb.live_checked(str(LIVE.live_url), True)
    pb.stop()
    said = [r.getMessage() for r in caplog.records if " -> " in r.getMessage()]
    assert said == [
        "playback stopped -> live (live)",
        "playback live -> waiting (nothing to show meanwhile)",
        "playback waiting -> live (live)",
        "playback live -> stopped",
    ]


@pytest.mark.allow_warnings
def test_one_probe_at_a_time_however_slow_the_server(tmp_path: Path, clock: list[float]) -> None:
    config = msgspec.structs.replace(builtin_config(), programmes=[LIVE])
    player, supply = FakePlayer(), FakeSupply()
    pb = Playback(config, MediaCache(tmp_path), lambda: clock[0])
    pb.attach(player, supply)
    pb.start(LIVE)
    pb.handle(player.generation, Happened.ERROR)  # lost, nothing to show: probing
    for _ in range(5):
        clock[0] += 3 * 3  # three probe intervals, and the first is still unanswered
        pb.tick()
    assert supply.probes == [LIVE.live_url]
    supply.answers[0](False)  # the slow server answers at last: no
    clock[0] += 3
    pb.tick()
    assert supply.probes == [LIVE.live_url, LIVE.live_url]


@pytest.mark.allow_warnings
def test_a_detached_playback_never_touches_the_freed_player(
    tmp_path: Path, clock: list[float]
) -> None:
    pb, player, _ = playback(tmp_path, clock)
    pb.start(LIVE)
    played = list(player.played)
    pb.detach()
    assert pb.now is None
    pb.start(LIVE)
    pb.tick()
    assert player.played == played, "nothing reached the old player"
