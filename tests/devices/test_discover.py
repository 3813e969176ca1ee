"""Enumeration and choice over realistic rooms, through real libudev (umockdev)."""

import pyudev

from kiosk.devices.discover import discover
from kiosk.devices.model import Kind, Link
from kiosk.devices.policy import choose, libvlc_options
from kiosk_contract.config.model import Devices
from tests.devices.conftest import load_room


def found(testbed: object, room: str) -> list[tuple[str, str, str, str]]:
    load_room(testbed, room)
    return [(d.kind.value, d.node, d.name, d.link.value) for d in discover(pyudev.Context())]


def test_a_centre_room_with_a_webcam_and_a_speakerphone(testbed: object) -> None:
    assert found(testbed, "centre-room") == [
        ("camera", "/dev/video0", "Logitech BRIO", "usb"),  # not its metadata twin video1
        ("microphone", "plughw:CARD=PCH,DEV=0", "ALC897 Analog", "analog"),
        ("microphone", "plughw:CARD=USB,DEV=0", "Jabra SPEAK 510 USB", "speakerphone"),
        ("speaker", "plughw:CARD=PCH,DEV=0", "ALC897 Analog", "analog"),
        ("speaker", "plughw:CARD=PCH,DEV=3", "HDMI 0", "hdmi"),
        ("speaker", "plughw:CARD=USB,DEV=0", "Jabra SPEAK 510 USB", "speakerphone"),
    ]
    choice = choose(discover(pyudev.Context()), Devices())
    assert choice.camera is not None and choice.camera.node == "/dev/video0"
    assert choice.microphone is not None and choice.microphone.link is Link.SPEAKERPHONE
    assert choice.speaker is not None and choice.speaker.node == "plughw:CARD=USB,DEV=0"
    assert libvlc_options(choice.speaker) == [
        "--aout=alsa",
        "--alsa-audio-device=plughw:CARD=USB,DEV=0",
    ]
    assert choice.missing == []


def test_without_a_speakerphone_the_tv_plays_and_the_jack_records(testbed: object) -> None:
    load_room(testbed, "tv-only")
    choice = choose(discover(pyudev.Context()), Devices())
    assert choice.speaker is not None and choice.speaker.name == "HDMI 0"
    assert choice.microphone is not None and choice.microphone.name == "ALC897 Analog"


def test_a_capture_card_without_a_name_and_two_identical_webcams(testbed: object) -> None:
    assert found(testbed, "odd-cameras") == [
        ("camera", "/dev/video0", "", "internal"),
        ("camera", "/dev/video2", "HD Pro Webcam C920", "usb"),
        ("camera", "/dev/video4", "HD Pro Webcam C920", "usb"),
    ]
    devices = discover(pyudev.Context())
    choice = choose(devices, Devices())
    assert choice.camera is not None and choice.camera.node == "/dev/video2", "USB, lowest node"
    assert choice.missing == [Kind.MICROPHONE, Kind.SPEAKER]
    assert devices[0].label == "(/dev/video0)"


def test_a_configured_camera_model_wins(testbed: object) -> None:
    load_room(testbed, "odd-cameras")
    devices = discover(pyudev.Context())
    assert choose(devices, Devices(camera_model="c920")).camera == devices[1]
    policy = Devices(camera_model="nothing like it", speaker_order=["analog"])
    assert choose(devices, policy).camera == devices[1]


def test_an_empty_room(testbed: object) -> None:
    assert discover(pyudev.Context()) == []
    assert choose([], Devices()).missing == [Kind.CAMERA, Kind.MICROPHONE, Kind.SPEAKER]
