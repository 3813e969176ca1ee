"""Start-up benchmark: process start -> home screen painted (first frame).

Three contenders, interleaved round by round on the same virtual screen:
  kiosk     ``kiosk run --demo`` (READY=1 is sent right after the first frame)
  bare-qt   a bare PySide6 script showing the same six tiles (the floor)
  chromium  Debian's Chromium, headless, showing an equivalent local HTML home page
            (what many kiosk projects ship instead); its page reports its second
            animation frame to a local HTTP server.
Also the idle kiosk's peak RSS (VmHWM) after 10 s with libvlc loaded.

Usage: .venv/bin/python bench/startup.py [--rounds N]
Writes bench/results/startup.json. Needs Debian's chromium:
`KIOSK_EXTRA_APT=chromium bash scripts/setup`.
"""

import argparse
import compileall
import http.server
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from tests.e2e.xserver import xvfb  # noqa: E402

VENV_BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1920,1080",
]


class Notify:
    """A systemd-style notification socket the contenders report READY=1 to."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(30)

    def wait_ready(self) -> float:
        while self.sock.recv(256) != b"READY=1":
            pass
        return time.perf_counter()


def run_qt(
    command: list[str], env: dict[str, str], notify: Notify, hold: float = 0
) -> tuple[float, int]:
    """Seconds from spawn to READY=1, and peak RSS in kB after *hold* seconds idle."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        ready = notify.wait_ready() - start
        peak = 0
        if hold:
            time.sleep(hold)  # the figure is the RSS of an idle kiosk: it must idle
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
        return ready, peak
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_chromium(page: Path, profile: Path) -> float:
    painted = threading.Event()
    stamp: list[float] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stamp.append(time.perf_counter())
            painted.set()
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"{page.as_uri()}#{server.server_address[1]}"
    start = time.perf_counter()
    process = subprocess.Popen(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if not painted.wait(60):
            raise RuntimeError("chromium never painted")
        return stamp[0] - start
    finally:
        # Chromium's helpers outlive the browser process: end the whole group and
        # wait until it is gone, so the next contender does not start beside them.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        while _group_alive(process.pid):
            time.sleep(0.05)
        server.shutdown()
        server.server_close()


def enrolled_idle_rss(folder: Path, env: dict[str, str], notify: Notify) -> int:
    """Peak RSS (kB) of an enrolled kiosk (signature stack loaded) idle for 10 s."""
    from kiosk.paths import Paths
    from kiosk.sync.client import sync_once
    from kiosk.sync.enrolment import enrol
    from kiosk_provisioning.build import build, publish
    from kiosk_provisioning.repository import Repository
    from tests.provision.fleets import put_example_media
    from tests.webserver import nginx

    examples = ROOT / "provisioning" / "examples"
    repo = Repository(folder / "repo")
    repo.init()
    put_example_media(repo.path)  # the example's library and notices name them
    build(repo.path, examples / "fleet", examples / "centres.csv")
    publish(repo)
    state = folder / "enrolled"
    paths = Paths(state / "etc", state / "state", ROOT / "assets")
    with nginx(repo.public, folder / "nginx") as url:
        sync_once(paths, enrol(paths, url, "namwon-001", (repo.path / "root.json").read_bytes()))
        enrolled_env = {**env, "KIOSK_STATE_DIR": str(paths.state), "KIOSK_ETC_DIR": str(paths.etc)}
        command = [str(VENV_BIN / "kiosk"), "run"]
        return run_qt(command, enrolled_env, notify, hold=10)[1]


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    # As on an installed box: the package's bytecode is compiled (this machine sets
    # PYTHONDONTWRITEBYTECODE, so nothing would ever be cached otherwise).
    compileall.compile_dir(str(ROOT / "kiosk"), quiet=1)
    samples: dict[str, list[float]] = {"kiosk": [], "bare-qt": [], "chromium": []}
    with tempfile.TemporaryDirectory() as tmp, xvfb(1920, 1080) as display:
        folder = Path(tmp)
        notify = Notify(folder)
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "NOTIFY_SOCKET": str(notify.path),
            "KIOSK_STATE_DIR": str(folder / "state"),
            "KIOSK_VLC_ARGS": "--aout=dummy",
        }
        kiosk = [str(VENV_BIN / "kiosk"), "run", "--demo"]
        bare = [sys.executable, str(ROOT / "bench" / "bare_qt_home.py")]
        page = ROOT / "bench" / "chromium_home.html"
        contenders: dict[str, Callable[[], float]] = {
            "kiosk": lambda: run_qt(kiosk, env, notify)[0],
            "bare-qt": lambda: run_qt(bare, env, notify)[0],
            "chromium": lambda: run_chromium(page, folder / "chromium-profile"),
        }
        for contender in contenders.values():
            contender()  # warm-up: caches, Chromium's profile; not counted
        names = list(contenders)
        for round_ in range(args.rounds):
            # Rotate the order so that no contender always follows the same one.
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(contenders[name]())
            print(
                f"round {round_ + 1}/{args.rounds}: "
                + ", ".join(f"{n} {s[-1] * 1000:.0f} ms" for n, s in samples.items()),
                flush=True,
            )
        _, peak_kb = run_qt(kiosk, env, notify, hold=10)
        enrolled_kb = enrolled_idle_rss(folder, env, notify)

    median = {name: statistics.median(values) for name, values in samples.items()}
    result = {
        "what": "process start -> home screen painted, seconds",
        "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.platform()}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rounds": args.rounds,
        "median_s": {n: round(v, 3) for n, v in median.items()},
        "p90_s": {n: round(statistics.quantiles(v, n=10)[-1], 3) for n, v in samples.items()},
        "samples_s": {n: [round(x, 3) for x in v] for n, v in samples.items()},
        "kiosk_over_bare_qt": round(median["kiosk"] / median["bare-qt"], 2),
        "chromium_over_kiosk": round(median["chromium"] / median["kiosk"], 2),
        "idle_kiosk_peak_rss_mb": round(peak_kb / 1024, 1),
        "idle_enrolled_kiosk_peak_rss_mb": round(enrolled_kb / 1024, 1),
        "targets": {
            "kiosk median <= 1.0 s": median["kiosk"] <= 1.0,
            "kiosk <= 1.5x bare Qt": median["kiosk"] <= 1.5 * median["bare-qt"],
            "kiosk >= 2x faster than chromium": median["chromium"] >= 2 * median["kiosk"],
            "idle peak RSS <= 150 MB (demo)": peak_kb / 1024 <= 150,
            "idle peak RSS <= 150 MB (enrolled)": enrolled_kb / 1024 <= 150,
        },
    }
    written = save("startup", result, show=False)
    print()
    for name in samples:
        print(
            f"{name:9s} median {median[name] * 1000:6.0f} ms"
            f"   p90 {result['p90_s'][name] * 1000:6.0f} ms"
        )
    print(f"kiosk / bare Qt   {result['kiosk_over_bare_qt']:.2f}x")
    print(f"chromium / kiosk  {result['chromium_over_kiosk']:.2f}x")
    print(f"idle kiosk peak RSS {result['idle_kiosk_peak_rss_mb']} MB (demo)")
    print(f"idle kiosk peak RSS {result['idle_enrolled_kiosk_peak_rss_mb']} MB (enrolled)")
    for target, met in result["targets"].items():
        print(f"  {'met ' if met else 'MISS'} {target}")
    print(f"written to {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
