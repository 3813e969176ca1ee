"""What the status strip shows for the devices chosen."""

from kiosk.devices.policy import Choice
from kiosk.status import Level


def levels(choice: Choice) -> dict[str, Level]:
    """Camera, microphone and speaker: there (chosen) or missing."""
    return {
        "camera": Level.OK if choice.camera else Level.MISSING,
        "microphone": Level.OK if choice.microphone else Level.MISSING,
        "speaker": Level.OK if choice.speaker else Level.MISSING,
    }
