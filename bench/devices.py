"""Devices benchmark: a udev add/remove event -> the status strip updated, and idle cost.

Runs a real kiosk window (Qt offscreen) with the app's device watch on the
asyncio loop (qasync), among umockdev's fake devices: the USB webcam is
unplugged and plugged back (real uevents through real libudev) and the time
from the uevent to the strip showing the change is taken each way. Then the
process's CPU over an idle minute with the watch running.

Usage: umockdev-wrapper .venv/bin/python bench/devices.py [--rounds 50] [--idle-s 60]
(re-runs itself under umockdev-wrapper if needed). Writes bench/results/devices.json.
"""

import argparse
import asyncio
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--idle-s", type=float, default=60.0)
    options = parser.parse_args()
    if "libumockdev-preload" not in os.environ.get("LD_PRELOAD", ""):
        os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable, *sys.argv])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")

    import gi

    gi.require_version("UMockdev", "1.0")
    import pyudev
    import qasync
    from gi.repository import UMockdev

    from kiosk.app.kiosk import build_kiosk
    from kiosk.config import ConfigSource, LoadedConfig
    from kiosk.devices.status import levels
    from kiosk.devices.watch import DeviceWatch
    from kiosk.paths import Paths, default_assets
    from kiosk.status import Level
    from kiosk.ui.qt import QApplication
    from kiosk_contract.config import read_config
    from tests.devices.conftest import Hotplug

    webcam = Hotplug("centre-room", "1-1")
    testbed = UMockdev.Testbed.new()
    rooms = ROOT / "tests" / "devices" / "rooms"
    assert testbed.add_from_file(str(rooms / "centre-room.umockdev"))
    app = QApplication.instance() or QApplication(["bench"])
    with tempfile.TemporaryDirectory() as tmp:
        paths = Paths(Path(tmp), Path(tmp), default_assets())
        config = read_config(paths.assets / "demo" / "config.json")
        kiosk = build_kiosk(LoadedConfig(config, ConfigSource.FILE), paths)
        kiosk.window.resize(1920, 1080)
        kiosk.window.show()
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        changed = asyncio.Event()
        strip = kiosk.window.status_strip.items["camera"]

        def on_change(devices: Any, choice: Any) -> None:
            kiosk.status.update(**levels(choice))

        kiosk.status.subscribe(lambda status: changed.set())  # after the strip's own listener
        watch = DeviceWatch(pyudev.Context(), config.devices, on_change)
        watch.start(loop)

        async def one(action: Any) -> float:
            changed.clear()
            began = time.perf_counter()
            action(testbed)
            await asyncio.wait_for(changed.wait(), 10)
            return time.perf_counter() - began

        async def run() -> dict[str, Any]:
            removed, added = [], []
            for _ in range(options.rounds):
                removed.append(await one(webcam.unplug))
                assert strip.level is Level.MISSING
                added.append(await one(webcam.plug))
            assert strip.level is Level.OK
            start = resource.getrusage(resource.RUSAGE_SELF)
            began = time.monotonic()
            await asyncio.sleep(options.idle_s)
            end = resource.getrusage(resource.RUSAGE_SELF)
            elapsed = time.monotonic() - began
            cpu = (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
            return {
                "machine": f"{platform.node()} {os.cpu_count()} cores",
                "rounds": options.rounds,
                "unplug_to_strip_ms": _summary(removed),
                "plug_to_strip_ms": _summary(added),
                "idle_s": round(elapsed, 1),
                "idle_cpu_percent_of_one_core": round(100 * cpu / elapsed, 3),
                "idle_cpu_s": round(cpu, 3),
            }

        with loop:
            result = loop.run_until_complete(run())
            loop.run_until_complete(watch.close())
        kiosk.close()
    save("devices", result)
    return 0


def _summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "median": round(statistics.median(ms), 2),
        "p90": round(ms[int(0.9 * (len(ms) - 1))], 2),
        "max": round(ms[-1], 2),
    }


if __name__ == "__main__":
    sys.exit(main())
