"""Recording a message: one ffmpeg child reads the chosen camera and microphone and
writes WebM (VP8 video, Opus sound) straight to a file. Qt-free.

Sized for city hall and for the box's small CPU: at most 640x360 at 15 pictures a
second, about 450 kbit/s of video and 32 kbit/s of mono speech, encoded with
libvpx's real-time settings (``-deadline realtime -cpu-used 8``), so a 60 s message
is about 3.6 MB and the encoder leaves the CPU mostly idle. Without a camera the
picture is a plain calm colour (city hall's check wants a picture and a sound in
every message) and the senior's voice is the message.

The child is polled (:meth:`Recording.finished`), never waited for on the GUI
thread; :meth:`Recording.stop` asks ffmpeg to finish the file (``q`` on its input),
so a message stopped early is a whole, playable file.

With a camera the same child also writes the senior's self-view: small raw pictures
(:data:`PREVIEW_WIDTH` x :data:`PREVIEW_HEIGHT` RGB, :data:`PREVIEW_FPS` a second,
already mirrored) to its standard output, the camera decoded once for both. They are
read on a worker thread (:func:`watch`) and handed to the GUI thread; the reader never
stops reading while ffmpeg runs, so a slow screen cannot hold the recording up.
"""

import logging
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from kiosk.work import HandBack, Worker, hand_back

log = logging.getLogger(__name__)

MOST_S = 60
"""The longest message, seconds."""
WIDTH, HEIGHT, FPS = 640, 360, 15
VIDEO_KBITS = 450
AUDIO_KBITS = 32
NO_CAMERA_COLOUR = "0x283450"
"""The picture of a message without a camera (the calls' "camera off" blue)."""
PREVIEW_WIDTH, PREVIEW_HEIGHT, PREVIEW_FPS = 320, 180, 10
PREVIEW_BYTES = PREVIEW_WIDTH * PREVIEW_HEIGHT * 3
"""One self-view picture: rgb24, rows top to bottom, mirrored like a mirror."""


def no_camera() -> list[str]:
    """ffmpeg's input for a message without a camera: the plain picture, in real time."""
    size = f"{WIDTH}x{HEIGHT}"
    return ["-re", "-f", "lavfi", "-i", f"color=c={NO_CAMERA_COLOUR}:s={size}:r={FPS}"]


def record_command(
    camera: Sequence[str] | None,
    microphone: Sequence[str],
    out: Path,
    most_s: float = MOST_S,
    preview: bool = False,
) -> list[str]:
    """The ffmpeg command that records from *camera* and *microphone* (ffmpeg input
    arguments, see :mod:`kiosk.devices.policy`; *camera* ``None``: the plain picture)
    into *out* for at most *most_s* seconds; with *preview* and a camera, it also
    writes the self-view's raw pictures to its standard output."""
    scale = (
        f"scale=w={WIDTH}:h={HEIGHT}:force_original_aspect_ratio=decrease"
        f":force_divisible_by=2,fps={FPS},format=yuv420p"
    )
    # A live camera and microphone deliver on their own clocks: a deeper queue per
    # input keeps one from stalling the other while the encoder catches up (64 raw
    # pictures at most, ~30 MB, should the encoder fall behind for seconds).
    queue = ["-thread_queue_size", "64"]
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        *queue, *(camera if camera is not None else no_camera()),
        *queue, *microphone,
        "-map", "0:v:0", "-map", "1:a:0",
        "-vf", scale,
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
        "-b:v", f"{VIDEO_KBITS}k", "-maxrate", f"{VIDEO_KBITS * 4 // 3}k",
        "-bufsize", f"{VIDEO_KBITS * 2}k", "-g", str(FPS * 4), "-auto-alt-ref", "0",
        "-c:a", "libopus", "-b:a", f"{AUDIO_KBITS}k", "-ac", "1", "-application", "voip",
        # Every packet written as it comes: the file grows from the first one (the
        # screen starts its countdown then), and a cut leaves what was recorded.
        "-flush_packets", "1",
        "-t", str(most_s), "-f", "webm", str(out),
        *(preview_output(most_s) if preview and camera is not None else []),
    ]  # fmt: skip


def preview_output(most_s: float) -> list[str]:
    """The second output: the camera thinned to :data:`PREVIEW_FPS`, made small first
    (cheap), letterboxed to 16:9, mirrored, raw RGB to standard output."""
    w, h = PREVIEW_WIDTH, PREVIEW_HEIGHT
    small = (
        f"fps={PREVIEW_FPS},scale=w={w}:h={h}:force_original_aspect_ratio=decrease"
        f":force_divisible_by=2,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,hflip,format=rgb24"
    )
    return [
        "-map", "0:v:0", "-vf", small, "-c:v", "rawvideo", "-pix_fmt", "rgb24",
        "-t", str(most_s), "-f", "rawvideo", "pipe:1",
    ]  # fmt: skip


def read_frames(stream: IO[bytes], show: Callable[[bytes], object]) -> int:
    """Read whole self-view pictures from *stream* until it ends, giving each to
    *show* (blocking; a worker thread). Closes *stream*; returns how many were read."""
    count = 0
    with stream:
        while True:
            frame = stream.read(PREVIEW_BYTES)
            if len(frame) < PREVIEW_BYTES:  # ffmpeg ended (a short tail is dropped)
                return count
            count += 1
            show(frame)


class LatestFrame:
    """Hands the newest picture to the GUI thread, at most one hand-back waiting at a
    time: a busy screen skips pictures instead of piling them up."""

    def __init__(self, to: HandBack, show: Callable[[bytes], object]) -> None:
        self._to, self._show = to, show
        self._lock = threading.Lock()
        self._frame: bytes | None = None
        self._waiting = False

    def offer(self, frame: bytes) -> None:  # the reader's thread
        with self._lock:
            self._frame = frame
            if self._waiting:
                return
            self._waiting = True
        hand_back(self._to, self._deliver)

    def _deliver(self) -> None:  # the GUI thread
        with self._lock:
            frame, self._frame, self._waiting = self._frame, None, False
        if frame is not None:
            self._show(frame)


class Recording:
    """One ffmpeg child writing one file; started at once. GUI thread (it never blocks
    but in :meth:`close`, which waits a moment for a child it has killed)."""

    def __init__(self, command: Sequence[str], out: Path) -> None:
        self.out = out
        self._log = out.with_suffix(".log")
        self.frames: IO[bytes] | None = None
        """The self-view pictures' pipe if *command* writes them (read it: :func:`watch`)."""
        previews = "pipe:1" in command
        with self._log.open("wb") as said:
            self._child = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE if previews else subprocess.DEVNULL,
                stderr=said,
            )
        self.frames = self._child.stdout
        log.info("recording a message to %s (ffmpeg %d)", out.name, self._child.pid)

    @property
    def pid(self) -> int:
        return self._child.pid

    def stop(self) -> None:
        """Finish the file now (the senior pressed stop). Safe to call twice."""
        stdin = self._child.stdin
        if stdin is not None and not stdin.closed and self._child.poll() is None:
            try:
                stdin.write(b"q")
                stdin.close()
            except OSError:  # it ended on its own meanwhile
                pass

    def finished(self) -> bool:
        """ffmpeg has ended (the file is complete if :meth:`succeeded`)."""
        return self._child.poll() is not None

    def succeeded(self) -> bool:
        """Ended and wrote something playable-sized; says why not in the log."""
        code = self._child.poll()
        if code is None:
            return False
        size = self.out.stat().st_size if self.out.exists() else 0
        if code != 0 or size == 0:
            said = (
                self._log.read_text(errors="replace").strip().splitlines()[-1:]
                if (self._log.exists())
                else []
            )
            log.error("recording failed (ffmpeg %s): %s", code, said[0] if said else "no output")
            return False
        return True

    def close(self) -> None:
        """Kill the child if it still runs; the files stay for the caller. Safe twice."""
        if self._child.poll() is None:
            self._child.kill()
            self._child.wait()
        if self._child.stdin is not None and not self._child.stdin.closed:
            self._child.stdin.close()
        self._log.unlink(missing_ok=True)


def watch(
    recording: Recording, worker: Worker, to: HandBack, show: Callable[[bytes], object]
) -> None:
    """Read *recording*'s self-view on *worker*'s thread (one of its own: the reader
    runs as long as the recording) and give the newest picture to *show* on the GUI
    thread. Nothing if the recording has no self-view."""
    frames = recording.frames
    if frames is None:
        return
    latest = LatestFrame(to, show)
    worker.run(lambda: read_frames(frames, latest.offer), lambda count: None)


def probe_duration(path: Path) -> float:
    """Seconds of *path* by ffprobe (blocking); raises ``ValueError`` if it cannot tell."""
    found = subprocess.run(
        [
            "ffprobe", "-v", "error", "-show_entries", "format=duration",
            "-of", "default=noprint_wrappers=1:nokey=1", str(path),
        ],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    try:
        return float(found.stdout.strip())
    except ValueError:
        raise ValueError(f"ffprobe cannot tell the length of {path.name}") from None
