"""What the kiosk knows about one attached device, in the words technicians use."""

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    CAMERA = "camera"
    MICROPHONE = "microphone"
    SPEAKER = "speaker"


class Link(enum.Enum):
    """How a sound device is attached; decides the choice (see :mod:`kiosk.devices.policy`)."""

    SPEAKERPHONE = "speakerphone"
    """A USB sound device with both a microphone and a speaker: cancels echo itself."""
    USB = "usb"
    HDMI = "hdmi"
    """The TV's own speakers, over the HDMI cable."""
    ANALOG = "analog"
    """The box's built-in jacks."""
    INTERNAL = "internal"
    """A camera not on USB (a capture card, a built-in camera)."""


@dataclass(frozen=True)
class Device:
    """One camera, microphone or speaker."""

    kind: Kind
    node: str
    """``/dev/video0`` for a camera; the ALSA device (``plughw:CARD=S510,DEV=0``) for sound."""
    name: str
    """Model name as the device reports it ('' when it reports none)."""
    link: Link
    card: str = ""
    """ALSA card id (sound devices), e.g. ``S510`` or ``PCH``."""

    @property
    def label(self) -> str:
        """The name to show: the model, or where it is when it has no name."""
        return self.name or f"({self.node})"
