"""Playback benchmark: press -> first video frame, and the cost of playing 720p.

On a virtual X screen (Xvfb), side by side, round by round:
  kiosk  a kiosk window (real KioskWindow, libvlc drawing into it by X11 window
         id) with a 720p H.264 file in its cache: the tile is pressed, and the
         time to libvlc's "Received first picture" is taken from its log.
  cvlc   Debian's ``cvlc`` opening the same file as a new process (run as
         ``nobody``: VLC refuses root), timed to the same log line.
Then the kiosk plays a 60 s 720p file: process CPU and RSS over those 60 s,
and the X server's CPU (it draws the frames).

On Xvfb there is no GPU: libvlc's default OpenGL output runs on Mesa's
software renderer (llvmpipe). ``--vlc-arg=--gl=none --vlc-arg=--gles2=none``
measures the plain X11 output instead. Figures for a box come from its GPU.

Usage: .venv/bin/python bench/playback.py [--rounds 20] [--play-s 60] [--vlc-arg=...]
Writes bench/results/playback.json.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from bench.proc import cpu_seconds  # noqa: E402
from tests.e2e.xserver import xvfb  # noqa: E402

FIRST_PICTURE = "Received first picture"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cvlc_first_picture(video: Path) -> float:
    """A fresh ``cvlc`` process: launch -> first picture, in seconds."""
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    command += ["cvlc", "-vv", "--aout=dummy", "--no-video-title-show", str(video)]
    began = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env={**os.environ, "HOME": "/tmp"},
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if FIRST_PICTURE in line:
                return time.monotonic() - began
        raise RuntimeError("cvlc ended without a picture")
    finally:
        process.kill()
        process.wait()


class _NoDownloads:
    """The benchmark's one video is in the cache already; nothing is fetched."""

    def redownload(self, media: object, bad: bool = False) -> None:
        raise RuntimeError(f"the benchmark's video should be in the cache: {media}")

    def probe(self, url: str, answer: Callable[[bool], None]) -> None:
        answer(False)


class KioskRig:
    """A kiosk window on the X server with *video* as its first tile's programme."""

    def __init__(self, folder: Path, video: Path, log: Path, extra: tuple[str, ...]) -> None:
        import msgspec

        from kiosk.app.kiosk import build_kiosk
        from kiosk.config import ConfigSource, LoadedConfig
        from kiosk.media.cache import MediaCache
        from kiosk.media.vlc_video import PlayerEvent, VlcVideo
        from kiosk.paths import Paths, default_assets
        from kiosk.ui.qt import QApplication
        from kiosk_contract.config import read_config
        from kiosk_contract.config.programmes import Programme, Video
        from kiosk_demo.media import describe

        self.app = QApplication.instance() or QApplication(["bench"])
        paths = Paths(folder / "etc", folder / "state", default_assets())
        base = read_config(paths.assets / "demo" / "config.json")
        item = Video(id="bench", title="720p", video=describe(video))
        config = msgspec.structs.replace(
            base,
            library=[item],
            programmes=[Programme(id="singing", title="720p", videos=["bench"])],
            schedule=[],
        )
        MediaCache(paths.media).import_file(item.video, video)
        self.kiosk = build_kiosk(LoadedConfig(config, ConfigSource.FILE), paths)
        self.kiosk.window.showFullScreen()
        self.events: list[PlayerEvent] = []
        self.log = log
        args = ("--aout=dummy", "--file-logging", f"--logfile={log}", "--log-verbose=2", *extra)
        self.video = VlcVideo(args, self.events.append)
        self.video.set_window(self.kiosk.window.playing.surface.window_id())
        self.kiosk.programmes.playback.attach(self.video, _NoDownloads())
        self._deadline(lambda: self.kiosk.window.isVisible(), 10)

    def _deadline(self, done: Callable[[], bool], seconds: float) -> None:
        limit = time.monotonic() + seconds
        while not done():
            self.app.processEvents()
            if time.monotonic() > limit:
                raise RuntimeError("timed out")
            time.sleep(0.001)

    def press_to_first_picture(self) -> float:
        seen = self.log.stat().st_size if self.log.exists() else 0

        def pictured() -> bool:
            with self.log.open("rb") as log:
                log.seek(seen)
                return FIRST_PICTURE.encode() in log.read()

        began = time.monotonic()
        self.kiosk.navigator.press_tile(0)
        self._deadline(lambda: self.log.exists() and pictured(), 15)
        took = time.monotonic() - began
        self.kiosk.navigator.go_home()
        self._deliver()
        return took

    def _deliver(self) -> None:
        for event in self.events:
            self.kiosk.programmes.playback.handle(event.generation, event.what)
        self.events.clear()

    def play_for(self, seconds: float, xserver_pid: int) -> dict[str, float]:
        self.kiosk.navigator.press_tile(0)
        self._deadline(lambda: self.video.position_ms() > 0, 15)
        start_cpu = resource.getrusage(resource.RUSAGE_SELF)
        x_start = cpu_seconds(xserver_pid)
        began = time.monotonic()
        samples = []
        while time.monotonic() - began < seconds:
            self.app.processEvents()
            self._deliver()
            samples.append(rss_mb())
            time.sleep(0.2)
        elapsed = time.monotonic() - began
        end_cpu = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (end_cpu.ru_utime - start_cpu.ru_utime) + (end_cpu.ru_stime - start_cpu.ru_stime)
        x_cpu = cpu_seconds(xserver_pid) - x_start
        still_playing = self.kiosk.programmes.playback.now is not None
        self.kiosk.navigator.go_home()
        return {
            "seconds": round(elapsed, 1),
            "kiosk_cpu_percent_of_one_core": round(100 * cpu / elapsed, 1),
            "xserver_cpu_percent_of_one_core": round(100 * x_cpu / elapsed, 1),
            "rss_mb_mean": round(statistics.mean(samples), 1),
            "rss_mb_peak": round(max(samples), 1),
            "played_through": still_playing,
        }

    def close(self) -> None:
        self.kiosk.close()
        self.video.close()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "min_s": round(ordered[0], 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--play-s", type=float, default=60.0)
    parser.add_argument(
        "--vlc-arg", action="append", default=[], help="extra libvlc option for the kiosk"
    )
    parser.add_argument("--play-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--xserver", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    extra = tuple(options.vlc_arg)
    if options.play_only:  # the child that plays, so that its RSS is its own
        folder = options.play_only.parent
        rig = KioskRig(folder / "long", options.play_only, folder / "long.log", extra)
        try:
            print(json.dumps(rig.play_for(options.play_s, options.xserver)))
        finally:
            rig.close()
        return 0
    if shutil.which("cvlc") is None or shutil.which("ffmpeg") is None:
        print("needs cvlc and ffmpeg: bash scripts/setup", file=sys.stderr)
        return 2
    from kiosk_demo.media import make_video

    with tempfile.TemporaryDirectory() as tmp, xvfb(1920, 1080) as display:
        folder = Path(tmp)
        folder.chmod(0o755)  # cvlc runs as nobody
        clip = make_video(folder / "clip-720p.mp4", 20, "1280x720")
        long_clip = make_video(folder / "long-720p.mp4", options.play_s + 15, "1280x720")
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        found = subprocess.run(["pgrep", "-n", "Xvfb"], capture_output=True, text=True)
        xserver = int(found.stdout.split()[0])
        rig = KioskRig(folder, clip, folder / "libvlc.log", extra)
        kiosk_times: list[float] = []
        cvlc_times: list[float] = []
        try:
            rig.press_to_first_picture()  # warm-up: the file in the page cache
            cvlc_first_picture(clip)
            for n in range(options.rounds):
                pair = [
                    ("kiosk", rig.press_to_first_picture),
                    ("cvlc", lambda: cvlc_first_picture(clip)),
                ]
                for name, measure in pair if n % 2 == 0 else pair[::-1]:
                    (kiosk_times if name == "kiosk" else cvlc_times).append(measure())
        finally:
            rig.close()
        child = [sys.executable, __file__, "--play-only", str(long_clip)]
        child += ["--play-s", str(options.play_s), "--xserver", str(xserver)]
        child += [f"--vlc-arg={arg}" for arg in extra]
        out = subprocess.run(child, capture_output=True, text=True, check=True).stdout
        playing = json.loads(out.strip().splitlines()[-1])
    result = {
        "machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "rounds": options.rounds,
        "kiosk_vlc_args": list(extra),
        "press_to_first_picture": {"kiosk": summary(kiosk_times), "cvlc": summary(cvlc_times)},
        "kiosk_over_cvlc_median_s": round(
            statistics.median(kiosk_times) - statistics.median(cvlc_times), 3
        ),
        "playing_720p": playing,
    }
    save("playback", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
