"""Real media made with ffmpeg, a real libvlc player, and a stand-in for the GUI loop."""

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest

from kiosk.config import builtin_config
from kiosk.media.cache import MediaCache
from kiosk.media.live_probe import stream_answers
from kiosk.media.vlc_video import PlayerEvent, VlcVideo
from kiosk.programmes.playback import Playback
from kiosk_contract.config.model import KioskConfig
from kiosk_contract.config.programmes import MediaFile, Programme, Video
from kiosk_demo.media import describe, make_lyrics, make_video

HEADLESS = ("--vout=dummy", "--aout=dummy")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "song": make_video(folder / "song.mp4", 3, "320x240", 440),
        "lyrics": make_lyrics(folder / "song.srt", 1.0),
        "part1": make_video(folder / "part1.mp4", 1.5, "320x240", 550, "smptebars"),
        "part2": make_video(folder / "part2.mp4", 1.5, "320x240", 660, "rgbtestsrc"),
        "broken": _broken(folder / "broken.mp4"),
        "recording": make_video(folder / "recording.mp4", 12, "320x240", 330, "smptehdbars"),
    }


def _broken(path: Path) -> Path:
    path.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(range(256)) * 40)
    return path


def library_config(clips: dict[str, Path], live_url: str | None = None) -> KioskConfig:
    def video(vid: str, clip: str, subtitles: str | None = None) -> Video:
        subs = describe(clips[subtitles]) if subtitles else None
        return Video(id=vid, title=f"{vid} 영상", video=describe(clips[clip]), subtitles=subs)

    library = [
        video("song", "song", "lyrics"),
        video("part1", "part1"),
        video("part2", "part2"),
        video("broken", "broken"),
        video("recording", "recording"),
    ]
    programmes = [
        Programme(id="singing", title="노래교실", videos=["song"]),
        Programme(id="exercise", title="건강체조", videos=["part1", "part2"]),
        Programme(id="broken", title="고장", videos=["broken"]),
    ]
    if live_url:
        programmes.append(
            Programme(id="live", title="시청 방송", live_url=live_url, fallback="recording")
        )
    return msgspec.structs.replace(builtin_config(), library=library, programmes=programmes)


def fill_cache(cache: MediaCache, config: KioskConfig, clips: dict[str, Path]) -> None:
    by_file = {describe(p).file: p for p in clips.values()}
    for video in config.library:
        for media in (video.video, video.subtitles):
            if media is not None:
                cache.import_file(media, by_file[media.file])


class Rig:
    """A Playback over real libvlc, with events pumped as the GUI loop would."""

    def __init__(self, config: KioskConfig, cache: MediaCache) -> None:
        self.inbox: queue.Queue[PlayerEvent | Callable[[], None]] = queue.Queue()
        self.video = VlcVideo(HEADLESS, self.inbox.put)
        self.cache = cache
        self.redownloads: list[MediaFile] = []
        self.bad: list[MediaFile] = []
        self.events: list[PlayerEvent] = []
        self.playback = Playback(config, cache, time.monotonic)
        self.playback.attach(self.video, self)

    def redownload(self, media: MediaFile, bad: bool = False) -> None:
        """As the download thread: a bad file is deleted, then fetched again."""
        self.redownloads.append(media)
        if bad:
            self.bad.append(media)
            self.cache.forget(media)

    def probe(self, url: str, answer: Callable[[bool], None]) -> None:
        """The real probe, off this thread; its answer is pumped like an event."""

        def check() -> None:
            answers = stream_answers(url)
            self.inbox.put(lambda: answer(answers))

        threading.Thread(target=check, daemon=True).start()

    def pump(self, until: Callable[[], bool], timeout: float = 30) -> bool:
        """Deliver events and ticks until *until()* holds (or *timeout* passes)."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                return False
            try:
                item = self.inbox.get(timeout=0.05)
            except queue.Empty:
                self.playback.tick()
                continue
            if isinstance(item, PlayerEvent):
                self.events.append(item)
                self.playback.handle(item.generation, item.what)
            else:
                item()
        return True

    def close(self) -> None:
        self.video.close()


@pytest.fixture
def rig(tmp_path: Path, clips: dict[str, Path]) -> Iterator[Rig]:
    config = library_config(clips)
    cache = MediaCache(tmp_path / "cache")
    fill_cache(cache, config, clips)
    made = Rig(config, cache)
    yield made
    made.close()
