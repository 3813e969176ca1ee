"""What the kiosk sends and where what it receives is heard.

:class:`StandInMedia` sends a plain picture and silence (or a tone) and mixes what
it hears without playing it (the demo without devices, the tests, which read the
mix). The box's media (camera, microphone, speaker) build on the same mixer.
"""

from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame

from kiosk.calls.speaker import Mixer, Speaker
from kiosk.calls.tracks import ColourTrack, ToneTrack

CAMERA_OFF = (40, 52, 80)
"""The stand-in picture when there is no camera: a calm dark blue."""


class StandInMedia:
    """A plain picture and silence or a tone; no camera, microphone or speaker needed."""

    def __init__(self, colour: tuple[int, int, int] = CAMERA_OFF, hertz: int = 0) -> None:
        self.colour = colour
        self.hertz = hertz
        self.mixer = Mixer()

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        return ToneTrack(self.hertz), ColourTrack(self.colour)

    def hear(self, source: object, frame: AudioFrame) -> None:
        self.mixer.hear(source, frame)

    def change_volume(self, delta: int) -> int:
        return self.mixer.change_volume(delta)

    def silence(self) -> None:
        """The call ended: forget every far side."""
        self.mixer.clear()


class SpeakerMedia(StandInMedia):
    """The stand-in picture and silence, and what the far sides say on the speaker.

    Until cameras and microphones are wired to calls (see the devices issue), the
    box sends a calm "camera off" picture and silence.
    """

    def __init__(self, device: str = "default") -> None:
        super().__init__()
        self.speaker = Speaker(self.mixer, device)

    def hear(self, source: object, frame: AudioFrame) -> None:
        self.speaker.start()
        super().hear(source, frame)

    def silence(self) -> None:
        self.speaker.stop()
        super().silence()
