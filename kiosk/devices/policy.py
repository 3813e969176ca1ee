"""Which camera, microphone and speaker to use, by the policy in the configuration.

- Camera: one whose model contains ``devices.camera_model`` (if set), else a
  USB camera, else any; among equals the lowest node (``/dev/video0`` first).
- Microphone and speaker: the first kind in ``microphone_order`` /
  ``speaker_order`` that is attached (default: a USB speakerphone, which
  cancels echo in hardware; then for sound the TV over HDMI). A speakerphone
  chosen for one is chosen for both when the order allows it.
- Each choice says where it plays or records for libvlc and for ffmpeg/aiortc
  (:func:`libvlc_options`, the ALSA device and the V4L2 path).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.devices.model import Device, Kind, Link
from kiosk_contract.config.model import Devices


@dataclass(frozen=True)
class Choice:
    camera: Device | None
    microphone: Device | None
    speaker: Device | None

    def chosen(self, device: Device) -> bool:
        return device in (self.camera, self.microphone, self.speaker)

    @property
    def missing(self) -> list[Kind]:
        """What a call needs and is not there, in the order a technician checks it."""
        pairs = [(Kind.CAMERA, self.camera), (Kind.MICROPHONE, self.microphone)]
        pairs.append((Kind.SPEAKER, self.speaker))
        return [kind for kind, device in pairs if device is None]


def choose(devices: Sequence[Device], policy: Devices) -> Choice:
    cameras = [d for d in devices if d.kind is Kind.CAMERA]
    wanted = policy.camera_model.casefold()

    def camera_rank(d: Device) -> tuple[bool, bool]:
        named = bool(wanted) and wanted in d.name.casefold()
        return (not named, d.link is not Link.USB)

    camera = min(cameras, key=camera_rank) if cameras else None  # min is stable: lowest node
    microphone = _first(devices, Kind.MICROPHONE, policy.microphone_order)
    speaker = _first(devices, Kind.SPEAKER, policy.speaker_order)
    return Choice(camera, microphone, speaker)


def _first(devices: Sequence[Device], kind: Kind, order: Sequence[str]) -> Device | None:
    for link in order:
        for device in devices:
            if device.kind is kind and device.link.value == link:
                return device
    return None


def libvlc_options(speaker: Device | None) -> list[str]:
    """libvlc options that send sound to *speaker* (none: libvlc's default output)."""
    if speaker is None:
        return []
    return ["--aout=alsa", f"--alsa-audio-device={speaker.node}"]


def camera_mrl(camera: Device) -> str:
    """Where libvlc reads the camera (``v4l2:///dev/video0``)."""
    return f"v4l2://{camera.node}"


def microphone_mrl(microphone: Device) -> str:
    """Where libvlc reads the microphone (``alsa://plughw:CARD=USB,DEV=0``)."""
    return f"alsa://{microphone.node}"


def camera_input(camera: Device) -> list[str]:
    """ffmpeg's input arguments for *camera* (calls read it through ffmpeg's V4L2)."""
    return ["-f", "v4l2", "-framerate", "15", "-video_size", "640x480", "-i", camera.node]


def microphone_input(microphone: Device) -> list[str]:
    """ffmpeg's input arguments for *microphone* (its ALSA device)."""
    return ["-f", "alsa", "-i", microphone.node]
