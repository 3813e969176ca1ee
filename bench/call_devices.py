"""Cables during a call: a udev remove/add of the webcam -> what city hall sees changes.

A real call through a real Janus in its private network behind city hall's call
gate (as the tests' rig: the box's certificate, a staff pass for city hall), the
kiosk's device watch on the loop among umockdev's fake devices, the webcam read
by ffmpeg (a generated picture stands in for V4L2, see tests/calls/stand_ins.py).
Each round unplugs the webcam and takes the time from the uevent to city hall's
received picture turning to "camera off", then plugs it back and takes the time
until city hall sees the camera's picture again (target: within 3 s).

Usage (root): .venv/bin/python bench/call_devices.py [--rounds 20] [--network 0]
(re-runs itself under umockdev-wrapper). Writes bench/results/call_devices.json.
"""

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402

if TYPE_CHECKING:
    from tests.calls.identities import CallServer


async def measure(server: "CallServer", rounds: int, testbed: Any) -> dict[str, Any]:
    import pyudev

    from bench.calls import phase, summary, until
    from kiosk.calls.desk import CallDesk, Phase
    from kiosk.calls.local import CAMERA_OFF
    from kiosk.calls.tracks import ColourTrack, ToneTrack
    from kiosk.devices.watch import DeviceWatch
    from kiosk_contract.config.calls import Calls, Contact
    from kiosk_contract.config.model import Devices
    from kiosk_demo.staff import StaffDesk
    from tests.calls.signals import mean_rgb, near
    from tests.calls.stand_ins import COLOURS, device_media
    from tests.devices.conftest import Hotplug

    webcam = Hotplug("centre-room", "1-1")
    media = device_media()
    watch = DeviceWatch(pyudev.Context(), Devices(), lambda _, choice: media.use(choice))
    loop = asyncio.get_running_loop()
    watch.start(loop)
    contact = Contact(id="city-hall", name="cityhall-welfare", label="시청")
    calls = Calls(server=server.url, call_name="centre-1", contacts=[contact])
    opener = server.box_session()
    desk = CallDesk(calls, "centre-1", media, dt.datetime.now, open_session=opener)
    desk.start()
    await phase(desk, Phase.IDLE)
    staff = await StaffDesk.open(
        server.url,
        "cityhall-welfare",
        lambda: (ToneTrack(0), ColourTrack((40, 60, 200))),
        open_session=server.staff_session(("cityhall-welfare",)),
    )
    await staff.call("centre-1")
    await phase(desk, Phase.RINGING)
    desk.answer()
    await staff.connected()

    def sees(colour: tuple[int, int, int]) -> bool:
        picture = staff.peer.picture() if staff.peer else None
        return picture is not None and near(mean_rgb(picture), colour)

    camera = COLOURS["/dev/video0"]
    await until(lambda: sees(camera))
    gone, back = [], []
    for _ in range(rounds):
        began = time.monotonic()
        webcam.unplug(testbed)
        gone.append(await until(lambda: sees(CAMERA_OFF), 10) - began)
        began = time.monotonic()
        webcam.plug(testbed)
        back.append(await until(lambda: sees(camera), 10) - began)
    assert desk.view.phase is Phase.IN_CALL
    desk.hang_up()
    await phase(desk, Phase.IDLE)
    await staff.close()
    await desk.close()
    await watch.close()
    return {
        "rounds": rounds,
        "unplug_to_city_hall_sees_camera_off": summary(gone),
        "plug_to_city_hall_sees_the_camera": summary(back),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--network", type=int, default=0, help="PrivateNetwork index")
    options = parser.parse_args()
    if "libumockdev-preload" not in os.environ.get("LD_PRELOAD", ""):
        os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable, *sys.argv])
    import gi

    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    from kiosk_demo.network import PrivateNetwork
    from tests.calls.identities import CallServer

    testbed = UMockdev.Testbed.new()
    rooms = ROOT / "tests" / "devices" / "rooms"
    assert testbed.add_from_file(str(rooms / "centre-room.umockdev"))
    with (
        PrivateNetwork(options.network) as network,
        tempfile.TemporaryDirectory() as folder,
        CallServer(network, Path(folder), {"centre-1": ()}, {}, "centre-1") as server,
    ):
        results = asyncio.run(measure(server, options.rounds, testbed))
    results["machine"] = f"{platform.node()} {os.cpu_count()} cores"
    save("call_devices", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
