"""What the message screen's self-view costs the box's ffmpeg (issue 15): the CPU of
recording a message with and without the second output of small mirrored pictures.

The box's own command (:func:`kiosk.messages.recorder.record_command`, ``preview`` on
and off) records *seconds* from devices that deliver in real time, as in
``bench/messages.py``: ffmpeg's generated camera (moving test pattern, raw 640x480 at
15 fps) and microphone, each paced by an ffmpeg of its own and read through a FIFO.
With the self-view, its pictures are read off ffmpeg's standard output by the box's
own reader (:func:`kiosk.messages.recorder.read_frames`) on a thread, as the kiosk
does (its thread's CPU is reported; the drawing on the screen is not measured). The
figure is the box's ffmpeg's own user+sys CPU seconds (``wait4``); rounds alternate
without, with, and the self-view alone. libvpx's real-time mode adapts its effort to
the time it has, so on a loaded machine the encoder's CPU swings by seconds from round
to round; the self-view alone is the steady bound on what the second output adds.

Usage: .venv/bin/python bench/message_self_view.py [--seconds 20] [--rounds 3] [--static-speed]
Writes bench/results/message_self_view.json (``_static_speed.json`` with the option:
libvpx held at one speed, a diagnostic that shows the difference under load).
"""

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from kiosk.messages.recorder import preview_output, read_frames, record_command  # noqa: E402
from tests.messages.rig import camera, microphone  # noqa: E402


def record(
    folder: Path, seconds: float, preview: bool, alone: bool = False, static: bool = False
) -> dict[str, Any]:
    """One recording; its ffmpeg's CPU seconds, wall seconds and self-view pictures.
    *alone*: an ffmpeg that makes only the self-view from the same camera (no file, no
    sound): what the second output adds, without the encoder's noise around it."""
    camera_fifo, microphone_fifo = folder / "camera.nut", folder / "microphone.nut"
    for fifo in (camera_fifo, microphone_fifo):
        fifo.unlink(missing_ok=True)
        os.mkfifo(fifo)
    devices = [
        subprocess.Popen([
            "ffmpeg", "-v", "error", "-y", *camera(seconds, True),
            "-c:v", "rawvideo", "-f", "nut", str(camera_fifo),
        ]),
        subprocess.Popen([
            "ffmpeg", "-v", "error", "-y", *microphone(seconds, True),
            "-c:a", "pcm_s16le", "-f", "nut", str(microphone_fifo),
        ]),
    ]  # fmt: skip
    out = folder / "message.webm"
    command = record_command(
        ["-f", "nut", "-i", str(camera_fifo)],
        ["-f", "nut", "-i", str(microphone_fifo)],
        out,
        preview=preview,
    )
    if static:  # libvpx at a fixed speed 8 (a negative cpu-used): no load-driven swings
        command[command.index("-cpu-used") + 1] = "-8"
    if alone:
        command = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "nut", "-i", str(camera_fifo), *preview_output(seconds),
        ]  # fmt: skip
        devices[1].kill()  # no microphone read
        microphone_fifo.unlink()
    started = time.monotonic()
    box = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if preview else subprocess.DEVNULL,
    )
    pictures: list[int] = []
    reader_cpu: list[float] = []
    reader = None
    if box.stdout is not None:
        stream = box.stdout

        def read() -> None:
            began = time.thread_time()
            pictures.append(read_frames(stream, lambda frame: None))
            reader_cpu.append(time.thread_time() - began)

        reader = threading.Thread(target=read)
        reader.start()
    _, status, usage = os.wait4(box.pid, 0)
    wall = time.monotonic() - started
    if reader is not None:
        reader.join()
    for device in devices:
        device.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the box's ffmpeg failed: {status}")
    return {
        "self_view": "alone" if alone else preview,
        "ffmpeg_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "wall_s": round(wall, 2),
        "cpu_share_of_one_core": round((usage.ru_utime + usage.ru_stime) / wall, 3),
        "self_view_pictures": pictures[0] if pictures else 0,
        "reader_thread_cpu_s": round(reader_cpu[0], 3) if reader_cpu else 0.0,
        "file_bytes": 0 if alone else out.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--static-speed",
        action="store_true",
        help="diagnostic, not the box's command: libvpx at a fixed speed (-cpu-used -8), "
        "so that the with/without difference is not drowned by its load-driven speed",
    )
    options = parser.parse_args()
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as name:
        for n in range(options.rounds):
            for preview, alone in ((False, False), (True, False), (True, True)):
                figures = record(Path(name), options.seconds, preview, alone, options.static_speed)
                print(f"round {n + 1}: {figures}", flush=True)
                rounds.append(figures)

    def median(preview: bool | str, key: str) -> float:
        return round(
            float(statistics.median(r[key] for r in rounds if r["self_view"] is preview)), 3
        )

    keys = [
        "ffmpeg_cpu_s", "cpu_share_of_one_core", "self_view_pictures", "reader_thread_cpu_s",
        "file_bytes",
    ]  # fmt: skip
    save(
        "message_self_view" + ("_static_speed" if options.static_speed else ""),
        {
            "what": f"a {options.seconds:.0f} s video message recorded by the box's ffmpeg "
            "command, without and with the self-view's second output, and an ffmpeg "
            "making the self-view alone from the same camera",
            "encoder_speed": "fixed (-cpu-used -8, diagnostic)"
            if options.static_speed
            else "the box's (-cpu-used 8: libvpx picks its speed by the time it has)",
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.node()}",
            "median_without": {key: median(False, key) for key in keys},
            "median_with": {key: median(True, key) for key in keys},
            "median_self_view_alone": {key: median("alone", key) for key in keys},
            "rounds": rounds,
        },
    )


if __name__ == "__main__":
    main()
