"""The demo's media library, made on the spot with ffmpeg (also used by tests and benchmarks).

Videos are test patterns with a tone; lyrics are a Korean folk song's first
lines as SRT. Nothing here runs on a real box.
"""

import shutil
import subprocess
from pathlib import Path

from kiosk_contract.config.programmes import MediaFile
from kiosk_contract.files import sha256_of

LYRICS = (
    "나의 살던 고향은 꽃피는 산골",
    "복숭아꽃 살구꽃 아기 진달래",
    "울긋불긋 꽃대궐 차리인 동네",
    "그 속에서 놀던 때가 그립습니다",
)


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


def make_video(
    out: Path,
    seconds: float,
    size: str = "1280x720",
    tone_hz: int = 440,
    pattern: str = "testsrc2",
) -> Path:
    """An H.264/AAC MP4 of a moving test pattern and a sine tone (keyframe every second)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"{pattern}=size={size}:rate=25",
            "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:sample_rate=48000",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast",
            "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", "-b:a", "96k",
            "-movflags", "+faststart", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def make_lyrics(out: Path, seconds_per_line: float = 2.5, lines: tuple[str, ...] = LYRICS) -> Path:
    """An SRT file showing *lines* one after the other."""

    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3_600_000:02}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02},{ms % 1000:03}"

    cues = [
        f"{n}\n{stamp(i * seconds_per_line)} --> {stamp((i + 1) * seconds_per_line)}\n{line}\n"
        for n, (i, line) in enumerate(zip(range(len(lines)), lines, strict=True), start=1)
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(cues), encoding="utf-8")
    return out


def describe(path: Path) -> MediaFile:
    """The library entry for a local file (its hash names it)."""
    digest = sha256_of(path)
    return MediaFile(file=f"{digest}{path.suffix.lower()}", sha256=digest, size=path.stat().st_size)


CAPTION_FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf")


def live_feed_command(folder: Path, size: str = "960x540", caption: str = "") -> list[str]:
    """ffmpeg writing a live HLS stream (1 s segments, a sliding window of 6) into *folder*.

    *caption* is burnt into the picture with the time of day, so a viewer sees it is live.
    """
    filters = []
    if caption and CAPTION_FONT.exists():
        clock = r"%{localtime\:%H\\\:%M\\\:%S}"
        filters = [
            "-vf",
            f"drawtext=fontfile={CAPTION_FONT}:text='{caption} {clock}':fontsize=64:"
            "fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=16:x=40:y=40",
        ]
    return [
        "ffmpeg", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=500",
        *filters,
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
        "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
        "-hls_flags", "delete_segments", str(folder / "live.m3u8"),
    ]  # fmt: skip
