"""What a 60 s video message costs (issue 15): the box's CPU to record and encode it,
the bytes it sends, and the time to deliver it to city hall over a 1 Mbit/s link.

1. **Encoding**: the box's own ffmpeg command (:func:`kiosk.messages.recorder.record_command`)
   records 60 s from devices that deliver in real time: ffmpeg's generated camera (its
   moving test pattern, raw 640x480 at 15 fps) and microphone (a tone, raw 48 kHz),
   each made and paced by an ffmpeg of its own and read through a pipe, as a webcam and
   a sound card deliver. The box's ffmpeg's user+sys CPU seconds (its own resource
   usage: decoding nothing, scaling, VP8 and Opus encoding, writing) are the figure.
2. **Delivery**: city hall's identity service (``python -m
   kiosk_provisioning.identity.service``, real TLS, a box certificate from the run's
   own fleet CA) runs in a private network namespace (:class:`kiosk_demo.network.PrivateNetwork`)
   whose link is shaped by ``tc`` to 1 Mbit/s each way (tbf; no added delay). The
   box's uploader (:class:`kiosk.messages.uploader.MessageUploader`) sends the
   message: time from its start to "delivered" (city hall has checked the digest and
   ffprobed the file), and the bytes that crossed the link towards city hall (the
   interface's counter: TLS, TCP and IP included) beside the file's size.

Usage (root): .venv/bin/python bench/messages.py [--seconds 60] [--rounds 3] [--network 14]
Writes bench/results/messages.json.
"""

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from kiosk.identity import tls_context  # noqa: E402
from kiosk.messages.cityhall import CityHallMessages  # noqa: E402
from kiosk.messages.recorder import record_command  # noqa: E402
from kiosk.messages.spool import Message, Spool  # noqa: E402
from kiosk.messages.uploader import MessageUploader  # noqa: E402
from kiosk.paths import Paths, default_assets  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from kiosk_provisioning.messages import MessageStore  # noqa: E402
from tests.calls.identities import CityHallIdentity  # noqa: E402
from tests.messages.rig import CENTRE, camera, microphone  # noqa: E402

PORT = 8443
RATE = "1mbit"


def record(spool: Spool, seconds: float, folder: Path) -> tuple[Message, float, float]:
    """A message of *seconds* recorded by the box's own command from devices that
    deliver in real time; the box's ffmpeg's user+sys CPU seconds, and the wall time."""
    camera_fifo, microphone_fifo = folder / "camera.nut", folder / "microphone.nut"
    for fifo in (camera_fifo, microphone_fifo):
        fifo.unlink(missing_ok=True)
        os.mkfifo(fifo)
    # The generated camera (raw 640x480 pictures) and microphone (raw 48 kHz sound),
    # each paced by an ffmpeg of its own, as a webcam and a sound card deliver.
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
    out = spool.recording_path(uuid.uuid4().hex)
    command = record_command(
        ["-f", "nut", "-i", str(camera_fifo)], ["-f", "nut", "-i", str(microphone_fifo)], out
    )
    started = time.monotonic()
    box = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(box.pid, 0)
    box.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    for device in devices:
        device.wait()
    if box.returncode != 0:
        raise SystemExit(f"the box's ffmpeg failed: {box.returncode}")
    message = spool.queue(out, seconds, dt.datetime.now(dt.UTC))
    return message, usage.ru_utime + usage.ru_stime, wall


def shape(network: PrivateNetwork) -> None:
    """1 Mbit/s each way on the link (token bucket, a 400 ms queue at most)."""
    tbf = ["tbf", "rate", RATE, "burst", "32kbit", "latency", "400ms"]
    subprocess.run(["tc", "qdisc", "add", "dev", network.outer, "root", *tbf], check=True)
    inside = network.command(["tc", "qdisc", "add", "dev", network.inner, "root", *tbf])
    subprocess.run(inside, check=True)


def tx_bytes(interface: str) -> int:
    return int(Path(f"/sys/class/net/{interface}/statistics/tx_bytes").read_text())


def deliver(spool: Spool, paths: Paths, url: str) -> float:
    """Seconds from the uploader's start to city hall having the message whole."""
    hall = CityHallMessages(url, lambda: tls_context(paths))

    async def run() -> float:
        arrived = asyncio.Event()
        uploader = MessageUploader(spool, lambda: hall, on_delivered=lambda m: arrived.set())
        started = time.monotonic()
        uploader.start()
        await asyncio.wait_for(arrived.wait(), 600)
        took = time.monotonic() - started
        await uploader.close()
        return took

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the message")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--network", type=int, default=14, help="PrivateNetwork index")
    options = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root: a network namespace and tc")
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as name, PrivateNetwork(options.network) as network:
        folder = Path(name)
        identity = CityHallIdentity(folder / "repo", {CENTRE: ()})
        cert, key = identity.authority.issue_server_cert(
            [network.server_address], folder / "server"
        )
        paths = Paths(folder / "etc", folder / "state", default_assets())
        identity.enrol(CENTRE, paths.state / "identity")
        spool = Spool(paths.state / "messages")
        spool.tidy()
        shape(network)
        server = subprocess.Popen(
            network.command([
                sys.executable, "-m", "kiosk_provisioning.identity.service",
                "--repo", str(identity.repo), "--listen", f"{network.server_address}:{PORT}",
                "--cert", str(cert), "--key", str(key),
            ]),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            ready = server.stdout.readline().split()
            if ready[:1] != ["ready"]:
                raise SystemExit(f"the identity service did not start: {ready}")
            url = ready[1]
            for n in range(options.rounds):
                message, cpu, wall = record(spool, options.seconds, folder)
                sent_before = tx_bytes(network.outer)
                took = deliver(spool, paths, url)
                on_wire = tx_bytes(network.outer) - sent_before
                store = MessageStore.open(identity.repo)
                held = store.get(message.id)
                assert held is not None and held.state == "received", held
                figures = {
                    "duration_s": message.duration_s,
                    "recorded_wall_s": round(wall, 2),
                    "encoding_cpu_s": round(cpu, 2),
                    "encoding_cpu_share_of_one_core": round(cpu / wall, 3),
                    "file_bytes": message.size,
                    "kbit_per_s": round(message.size * 8 / message.duration_s / 1000, 1),
                    "bytes_on_the_wire": on_wire,
                    "deliver_s": round(took, 2),
                }
                print(f"round {n + 1}: {figures}", flush=True)
                rounds.append(figures)
        finally:
            server.terminate()
            server.wait(timeout=30)

    def median(key: str) -> float:
        return round(float(statistics.median(r[key] for r in rounds)), 3)

    keys = [
        "encoding_cpu_s", "encoding_cpu_share_of_one_core", "file_bytes", "kbit_per_s",
        "bytes_on_the_wire", "deliver_s",
    ]  # fmt: skip
    save(
        "messages",
        {
            "what": f"a {options.seconds:.0f} s video message: encoding CPU on the box, "
            f"bytes sent, time to deliver over a link shaped to {RATE}/s (tc tbf) each way",
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.node()}",
            "link": f"tc tbf {RATE} each way, no added delay",
            "median": {key: median(key) for key in keys},
            "rounds": rounds,
        },
    )


if __name__ == "__main__":
    main()
