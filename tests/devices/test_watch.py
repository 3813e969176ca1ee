"""Hotplug through umockdev's Testbed: real uevents reach a real pyudev monitor."""

import asyncio
import gc
import select
from pathlib import Path

import pyudev

from kiosk.devices.model import Device, Link
from kiosk.devices.policy import Choice
from kiosk.devices.status import facts
from kiosk.devices.watch import DeviceWatch
from kiosk.media.speakers import SpeakerFollower
from kiosk.status import StatusBoard
from kiosk_contract.config.model import Devices
from tests.devices.conftest import Hotplug, load_room

SPEAKERPHONE = Hotplug("centre-room", "1-2")


class Seen:
    def __init__(self) -> None:
        self.choices: list[Choice] = []

    def __call__(self, devices: list[Device], choice: Choice) -> None:
        self.choices.append(choice)


def wait_and_read(watch: DeviceWatch, seen: Seen) -> None:
    """Block until udev reports something, then let the watch read it (as the loop does)."""
    before = len(seen.choices)
    while len(seen.choices) == before:
        ready, _, _ = select.select([watch.fileno], [], [], 10)
        assert ready, "no uevent within 10 s"
        watch.readable()


def unplug(testbed: object) -> None:
    SPEAKERPHONE.unplug(testbed)


def plug(testbed: object) -> None:
    SPEAKERPHONE.plug(testbed)


def round_trip(testbed: object, watch: DeviceWatch, seen: Seen) -> None:
    """Unplug the speakerphone and plug it back, each seen by the watch."""
    unplug(testbed)
    wait_and_read(watch, seen)
    plug(testbed)
    wait_and_read(watch, seen)


def open_fds() -> int:
    """Descriptors open now, once earlier tests' garbage is collected (its sockets
    closing in the middle of the count would look like a change)."""
    gc.collect()
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def test_unplugging_the_speakerphone_moves_sound_to_the_tv_and_back(testbed: object) -> None:
    load_room(testbed, "centre-room")
    seen = Seen()
    watch = DeviceWatch(pyudev.Context(), Devices(), seen)
    watch.start()
    try:
        assert seen.choices[-1].speaker is not None
        assert seen.choices[-1].speaker.link is Link.SPEAKERPHONE
        unplug(testbed)
        wait_and_read(watch, seen)
        after = seen.choices[-1]
        assert after.speaker is not None and after.speaker.name == "HDMI 0"
        assert after.microphone is not None and after.microphone.name == "ALC897 Analog"
        plug(testbed)
        wait_and_read(watch, seen)
        back = seen.choices[-1]
        assert back.speaker is not None and back.speaker.link is Link.SPEAKERPHONE
    finally:
        asyncio.run(watch.close())


def test_a_hundred_unplug_replug_cycles_leak_nothing(testbed: object) -> None:
    load_room(testbed, "centre-room")
    seen = Seen()
    watch = DeviceWatch(pyudev.Context(), Devices(), seen)
    watch.start()
    try:
        round_trip(testbed, watch, seen)
        fds = open_fds()
        for _ in range(100):
            unplug(testbed)
            wait_and_read(watch, seen)
            assert seen.choices[-1].speaker is not None
            assert seen.choices[-1].speaker.link is Link.HDMI
            plug(testbed)
            wait_and_read(watch, seen)
        assert open_fds() == fds
        final = seen.choices[-1]
        assert final.speaker is not None and final.speaker.link is Link.SPEAKERPHONE
        assert final.camera is not None and final.camera.node == "/dev/video0"
    finally:
        asyncio.run(watch.close())


class Programmes:
    """Stands in for the media service: keeps the speakers it is told to play on."""

    def __init__(self) -> None:
        self.speakers: list[str] = []

    def use_speaker(self, device: str) -> None:
        self.speakers.append(device)


def test_unplugging_the_speakerphone_during_a_programme_moves_its_sound_to_the_tv(
    testbed: object,
) -> None:
    load_room(testbed, "centre-room")
    programmes = Programmes()
    board = StatusBoard()
    follower = SpeakerFollower(board, [programmes])
    follower.start()
    seen = Seen()

    def on_change(devices: list[Device], choice: Choice) -> None:
        seen(devices, choice)
        board.update(**facts(devices, choice))

    watch = DeviceWatch(pyudev.Context(), Devices(), on_change)
    watch.start()
    try:
        round_trip(testbed, watch, seen)
    finally:
        asyncio.run(watch.close())
    assert programmes.speakers == [
        "plughw:CARD=USB,DEV=0",  # the speakerphone
        "plughw:CARD=PCH,DEV=3",  # the TV, over HDMI
        "plughw:CARD=USB,DEV=0",
    ]
