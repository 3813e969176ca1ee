"""What the kiosk sends and where what it receives is heard.

:class:`StandInMedia` sends a plain picture and silence (or a tone) and mixes what
it hears without playing it (the tests, which read the mix). :class:`DeviceMedia`,
the box's, sends the chosen camera and microphone and plays on the chosen speaker.
"""

from collections.abc import Callable, Sequence

from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame

from kiosk.calls.live import CameraTrack, LiveCamera, LiveMicrophone, MicrophoneTrack
from kiosk.calls.speaker import Mixer, Speaker
from kiosk.calls.tracks import ColourTrack, ToneTrack
from kiosk.devices import policy
from kiosk.devices.model import Device

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

    def picture(self) -> MediaStreamTrack:
        return ColourTrack(self.colour)

    def hear(self, source: object, frame: AudioFrame) -> None:
        self.mixer.hear(source, frame)

    def change_volume(self, delta: int) -> int:
        return self.mixer.change_volume(delta)

    def silence(self) -> None:
        """The call ended: forget every far side."""
        self.mixer.clear()

    def forget(self, source: object) -> None:
        self.mixer.forget(source)


class DeviceMedia(StandInMedia):
    """The chosen camera, microphone and speaker; the "camera off" picture and
    silence where one is missing. :meth:`use` follows the devices as they come and go,
    during a call too: the call's tracks keep running and pick up what is chosen.

    *camera_input* and *microphone_input* say how ffmpeg reads a device (V4L2 and
    ALSA on the box; the tests give a generated picture or tone for a device).
    """

    def __init__(
        self,
        camera_input: Callable[[Device], Sequence[str]] = policy.camera_input,
        microphone_input: Callable[[Device], Sequence[str]] = policy.microphone_input,
        speaker: bool = True,
    ) -> None:
        super().__init__()
        self.camera = LiveCamera(CAMERA_OFF)
        self.microphone = LiveMicrophone()
        self.speaker = Speaker(self.mixer, None) if speaker else None
        self._inputs = (camera_input, microphone_input)
        self.choice = policy.Choice(None, None, None)

    def use(self, choice: policy.Choice) -> None:
        self.choice = choice
        camera_input, microphone_input = self._inputs
        self.camera.capture.use(camera_input(choice.camera) if choice.camera else None)
        microphone = choice.microphone
        self.microphone.capture.use(microphone_input(microphone) if microphone else None)
        if self.speaker is not None:
            self.speaker.use(choice.speaker.node if choice.speaker else None)

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        self.camera.capture.start()
        self.microphone.capture.start()
        return MicrophoneTrack(self.microphone), CameraTrack(self.camera)

    def picture(self) -> MediaStreamTrack:
        """The camera alone: the microphone's capture is not started."""
        self.camera.capture.start()
        return CameraTrack(self.camera)

    def hear(self, source: object, frame: AudioFrame) -> None:
        if self.speaker is not None:
            self.speaker.start()
        super().hear(source, frame)

    def silence(self) -> None:
        """The call ended: the camera and microphone are closed, the speaker stops."""
        self.camera.capture.stop()
        self.microphone.capture.stop()
        if self.speaker is not None:
            self.speaker.stop()
        super().silence()
