"""Devices read from ffmpeg's generated pictures and tones (lavfi) in place of V4L2
and ALSA: no kernel camera or sound card exists in the tests. Each device node
gets its own colour or pitch, so a test can tell which device is being sent."""

from collections.abc import Sequence

from kiosk.calls.local import DeviceMedia
from kiosk.devices.model import Device

COLOURS = {"/dev/video0": (40, 200, 40), "/dev/video2": (200, 200, 40)}
"""The picture of each camera node."""
PITCHES = {"plughw:CARD=USB,DEV=0": 700, "plughw:CARD=PCH,DEV=0": 300}
"""The tone of each microphone."""


def picture_of(camera: Device) -> Sequence[str]:
    r, g, b = COLOURS[camera.node]
    return ["-re", "-f", "lavfi", "-i", f"color=c=0x{r:02X}{g:02X}{b:02X}:s=640x480:r=15"]


def tone_of(microphone: Device) -> Sequence[str]:
    hertz = PITCHES[microphone.node]
    return ["-re", "-f", "lavfi", "-i", f"sine=frequency={hertz}:sample_rate=48000"]


def device_media() -> DeviceMedia:
    """The box's media with generated devices and no speaker (the tests read the mix)."""
    return DeviceMedia(picture_of, tone_of, speaker=False)
