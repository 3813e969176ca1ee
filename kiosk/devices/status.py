"""What the status strip shows for the devices chosen."""

from kiosk.devices.model import Device
from kiosk.devices.policy import Choice
from kiosk.status import Level


def facts(devices: list[Device], choice: Choice) -> dict[str, object]:
    """Everything the status board keeps about devices."""
    return {**levels(choice), "devices": tuple(devices), "choice": choice}


def levels(choice: Choice) -> dict[str, Level]:
    """Camera, microphone and speaker: there (chosen) or missing."""
    return {
        "camera": Level.OK if choice.camera else Level.MISSING,
        "microphone": Level.OK if choice.microphone else Level.MISSING,
        "speaker": Level.OK if choice.speaker else Level.MISSING,
    }
