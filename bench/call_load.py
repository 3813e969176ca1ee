"""What a two-way 640×480 call costs: the kiosk's process beside Chromium's.

City hall is Chromium + janus.js (headless, in city hall's namespace) answering
as cityhall-welfare with a staff pass, Janus behind city hall's call gate (the
kiosk shows its box's certificate, as in the tests); both sides send the same
moving 640×480 test pattern at 15 frames a second and a tone. The kiosk side is
a separate process running the real call desk and the real call screen (Qt,
offscreen, 1920×1080, repainting at its own rate), so its CPU is its own. For
*--seconds* after the call is up:

- kiosk: CPU (user + system, % of one core) and peak RSS of its process;
- Chromium: CPU of all its processes together and the peak of their summed PSS
  (shared pages counted once, split between processes).

Until cameras are wired to calls (the devices issue) the kiosk's "camera" is the
test pattern read from a file: what it costs to encode is what a camera costs.

The call is made *--runs* times (a new kiosk process and browser each time); the
figures are the median of the runs, each run's beside them (a shared machine varies).

Usage (root): .venv/bin/python bench/call_load.py [--seconds 120] [--runs 3] [--network 0]
Writes bench/results/call_load.json.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_S = 5.0


def kiosk_side(url: str, box: Path, camera: Path, seconds: float) -> None:
    """The kiosk process: desk + call screen, showing the certificate of the box
    whose identity files (key.pem, cert.pem, ca.pem) are in *box*; prints its
    figures as JSON."""
    import ssl

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from aiortc.mediastreams import MediaStreamTrack

    from kiosk.calls.desk import CallDesk, CallView, Phase
    from kiosk.calls.line import identified
    from kiosk.calls.speaker import Mixer
    from kiosk.calls.tracks import ToneTrack
    from kiosk.i18n import Strings
    from kiosk.ui.call import CallPage
    from kiosk.ui.qt import QApplication
    from kiosk.ui.theme import Theme
    from kiosk_contract.config.calls import Calls, Contact
    from kiosk_contract.config.model import Display

    class PatternCamera:
        def __init__(self) -> None:
            self.mixer = Mixer()

        def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
            return ToneTrack(440), FileCamera(camera)

        def picture(self) -> MediaStreamTrack:
            track: MediaStreamTrack = FileCamera(camera)
            return track

        def hear(self, source: object, frame: Any) -> None:
            self.mixer.hear(source, frame)
            self.mixer.take(self.mixer.pending())  # what a speaker would consume

        def change_volume(self, delta: int) -> int:
            return self.mixer.change_volume(delta)

        def silence(self) -> None:
            self.mixer.clear()

        def forget(self, source: object) -> None:
            self.mixer.forget(source)

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    calls = Calls(
        server=url,
        call_name="centre-1",
        contacts=[Contact(id="city-hall", name="cityhall-welfare", label="시청")],
    )

    def tls() -> ssl.SSLContext:  # as the box's own (kiosk.identity.tls_context)
        context = ssl.create_default_context(cafile=box / "ca.pem")
        context.load_cert_chain(box / "cert.pem", box / "key.pem")
        return context

    desk = CallDesk(
        calls, "centre-1", PatternCamera(), dt.datetime.now, open_session=identified(tls)
    )
    page = CallPage(Strings("ko"), Theme(Display(), 1080, ROOT / "assets" / "icons"), desk)
    page.resize(1920, 1080)
    page.show()

    async def phase(*phases: Phase) -> None:
        reached = asyncio.Event()

        def listen(view: CallView) -> None:
            if view.phase in phases:
                reached.set()

        stop = desk.subscribe(listen)
        if desk.view.phase not in phases:
            await reached.wait()
        stop()

    async def call() -> dict[str, Any]:
        desk.start()
        await phase(Phase.IDLE)
        desk.call("city-hall")
        await phase(Phase.IN_CALL)
        await asyncio.sleep(WARM_UP_S)
        print("measuring", file=sys.stderr, flush=True)
        start_cpu, start = _own_cpu(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, wall = _own_cpu() - start_cpu, time.monotonic() - start
        frames = desk.remote_frames()
        figures = {
            "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "received": f"{frames[0].width}x{frames[0].height}" if frames else None,
            "still_in_call": desk.view.phase is Phase.IN_CALL,
        }
        desk.hang_up()
        await phase(Phase.IDLE)
        page.close_page()
        await desk.close()
        return figures

    with loop:
        print(json.dumps(loop.run_until_complete(call())), flush=True)


class _Y4m:
    """Frames of a yuv420p y4m file, read one at a time (as a camera hands them)."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        header = self.file.readline().split()
        self.width = int(next(p[1:] for p in header if p.startswith(b"W")))
        self.height = int(next(p[1:] for p in header if p.startswith(b"H")))
        self.start = self.file.tell()
        self.size = self.width * self.height * 3 // 2
        self.step = len(b"FRAME\n") + self.size
        self.count = (path.stat().st_size - self.start) // self.step

    def frame(self, index: int) -> bytes:
        self.file.seek(self.start + (index % self.count) * self.step + len(b"FRAME\n"))
        return self.file.read(self.size)


def FileCamera(path: Path) -> Any:  # noqa: N802 - builds a track class lazily (aiortc import)
    """A camera showing *path* (a y4m test pattern) in a loop at 15 frames a second."""
    import fractions

    from aiortc.mediastreams import MediaStreamTrack
    from av import VideoFrame

    from kiosk.calls.tracks import VIDEO_RATE

    class Camera(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.source = _Y4m(path)
            self.started = 0.0
            self.count = -1

        async def recv(self) -> VideoFrame:
            self.count += 1
            if self.count == 0:
                self.started = time.monotonic()
            await asyncio.sleep(max(0.0, self.started + self.count / 15 - time.monotonic()))
            data = self.source.frame(self.count)
            frame = VideoFrame(width=self.source.width, height=self.source.height, format="yuv420p")
            w, h = self.source.width, self.source.height
            offsets = (0, w * h, w * h + w * h // 4, w * h * 3 // 2)
            for index, plane in enumerate(frame.planes):
                width = w if index == 0 else w // 2
                rows = [
                    data[offsets[index] + r * width : offsets[index] + (r + 1) * width].ljust(
                        plane.line_size, b"\0"
                    )
                    for r in range(h if index == 0 else h // 2)
                ]
                plane.update(b"".join(rows))
            frame.pts = self.count * VIDEO_RATE // 15
            frame.time_base = fractions.Fraction(1, VIDEO_RATE)
            return frame

    return Camera()


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                pass
    return pids


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def watch_chromium(pgid: int, seconds: float) -> dict[str, Any]:
    """CPU and peak summed PSS of Chromium's processes over *seconds*."""
    start_ticks, start = _cpu_ticks(_group(pgid)), time.monotonic()
    peak = 0.0
    while time.monotonic() - start < seconds:
        peak = max(peak, _pss_mb(_group(pgid)))
        await asyncio.sleep(1)
    # Processes that ended in between take their ticks with them: a floor.
    ticks = _cpu_ticks(_group(pgid)) - start_ticks
    wall = time.monotonic() - start
    return {
        "cpu_percent_of_one_core": round(100 * ticks / TICKS / wall, 1),
        "peak_pss_mb": round(peak, 1),
        "processes": len(_group(pgid)),
    }


async def measure(seconds: float, folder: Path, index: int) -> dict[str, Any]:
    from kiosk_demo.network import PrivateNetwork
    from tests.calls.chromium import StaffBrowser, fake_media
    from tests.calls.identities import CallServer

    with (
        PrivateNetwork(index) as network,
        CallServer(network, folder, {"centre-1": ()}, {}, "centre-1") as janus,
    ):
        # Chromium reaches the gate's staff listener (TLS asking for no certificate).
        token = janus.identity.staff_pass(("cityhall-welfare",))
        door = janus.staff_door
        browser = StaffBrowser(
            network, door, folder / "browser", None, 1000, token=token, trust=door.cert
        )
        camera, _ = fake_media(folder, None, 440, seconds=10)
        try:
            with browser.showing(me="cityhall-welfare", answer="1") as chromium:
                await browser.next(
                    lambda r: r["event"] == "videocall" and r["name"] == "registered"
                )
                kiosk = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--kiosk",
                    janus.url,
                    str(janus.box.key.parent),
                    str(camera),
                    str(seconds),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                assert kiosk.stderr is not None and kiosk.stdout is not None
                while b"measuring" not in (line := await kiosk.stderr.readline()):
                    if not line:  # its stderr closed: it ended (its last words are lost)
                        raise RuntimeError("the kiosk side ended early")
                drain = asyncio.create_task(kiosk.stderr.read())
                browser_figures = await watch_chromium(chromium.pid, seconds)
                out = await kiosk.stdout.read()
                await kiosk.wait()
                await drain
                colours = await browser.next(lambda r: r["event"] == "picture")
        finally:
            browser.close()
    kiosk_figures = json.loads(out.decode().strip().splitlines()[-1])
    return {
        "seconds": seconds,
        "kiosk": kiosk_figures,
        "chromium": {**browser_figures, "received_width": colours.get("width")},
    }


def main() -> int:
    if len(sys.argv) == 6 and sys.argv[1] == "--kiosk":
        kiosk_side(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), float(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--network", type=int, default=0, help="PrivateNetwork index")
    options = parser.parse_args()
    runs = []
    for _ in range(options.runs):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(asyncio.run(measure(options.seconds, Path(folder), options.network)))
            print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    results: dict[str, Any] = {"seconds": options.seconds, "runs": runs}
    for side, figure in (
        ("kiosk", "cpu_percent_of_one_core"),
        ("kiosk", "peak_rss_mb"),
        ("chromium", "cpu_percent_of_one_core"),
        ("chromium", "peak_pss_mb"),
    ):
        results[f"median_{side}_{figure}"] = statistics.median(r[side][figure] for r in runs)
    results["machine"] = f"{os.cpu_count()} cores, python {sys.version.split()[0]}"
    save("call_load", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
