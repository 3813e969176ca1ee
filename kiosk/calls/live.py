"""The chosen camera and microphone as the tracks a call sends.

A track never ends because a cable was pulled: it sends at its steady pace
whatever its device gives, and the "camera off" picture or silence while the
device gives nothing. So a camera unplugged mid-call leaves the far side with a
calm picture and the sound, and one plugged back in is seen again as soon as
its first picture arrives: no new offer, no redial.
"""

import fractions
import time

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

from kiosk.calls.capture import Capture
from kiosk.calls.tracks import AUDIO_FRAME_S, AUDIO_RATE, VIDEO_RATE, Paced, paint_bars

SIZE = (640, 480)
FPS = 15
PICTURE_BYTES = SIZE[0] * SIZE[1] * 3 // 2
"""One yuv420p picture."""
STALE_S = 0.5
"""A camera silent this long is shown as off."""
SOUND_SAMPLES = int(AUDIO_RATE * AUDIO_FRAME_S)
SOUND_BYTES = SOUND_SAMPLES * 2
MAX_SOUND_BYTES = AUDIO_RATE // 5 * 2
"""At most 200 ms of the microphone waits for a track (no growing delay)."""

VIDEO_OUT = (
    *("-vf", f"scale={SIZE[0]}:{SIZE[1]},fps={FPS}"),
    *("-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1"),
)
SOUND_OUT = ("-ac", "1", "-ar", str(AUDIO_RATE), "-f", "s16le", "pipe:1")


def _raw(frame: VideoFrame) -> bytes:
    return b"".join(bytes(plane) for plane in frame.planes)


def _picture(raw: bytes) -> VideoFrame:
    frame = VideoFrame(width=SIZE[0], height=SIZE[1], format="yuv420p")
    luma = SIZE[0] * SIZE[1]
    frame.planes[0].update(raw[:luma])
    frame.planes[1].update(raw[luma : luma * 5 // 4])
    frame.planes[2].update(raw[luma * 5 // 4 :])
    return frame


class LiveCamera:
    """The newest picture of the chosen camera, or the "camera off" picture."""

    def __init__(self, off_colour: tuple[int, int, int]) -> None:
        self._off = _raw(paint_bars(SIZE, [off_colour]))
        self._newest = self._off
        self.capture = Capture("camera", VIDEO_OUT, PICTURE_BYTES, self._take)

    def _take(self, raw: bytes) -> None:
        self._newest = raw

    def picture(self) -> VideoFrame:
        fresh = time.monotonic() - self.capture.last_chunk < STALE_S
        return _picture(self._newest if fresh and self.capture.running else self._off)


class LiveMicrophone:
    """The chosen microphone's sound, copied to every track listening."""

    def __init__(self) -> None:
        self._listeners: list[bytearray] = []
        self.capture = Capture("microphone", SOUND_OUT, SOUND_BYTES, self._take)

    def _take(self, sound: bytes) -> None:
        for buffer in self._listeners:
            buffer += sound
            if len(buffer) > MAX_SOUND_BYTES:
                del buffer[: len(buffer) - MAX_SOUND_BYTES]

    def listen(self) -> bytearray:
        buffer = bytearray()
        self._listeners.append(buffer)
        return buffer

    def forget(self, buffer: bytearray) -> None:
        self._listeners = [b for b in self._listeners if b is not buffer]


class CameraTrack(MediaStreamTrack):
    """15 pictures a second from a :class:`LiveCamera`."""

    kind = "video"

    def __init__(self, camera: LiveCamera) -> None:
        super().__init__()
        self._camera = camera
        self._pace = Paced(1 / FPS)

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pace.next()
        frame = self._camera.picture()
        frame.pts = count * VIDEO_RATE // FPS
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        return frame


class MicrophoneTrack(MediaStreamTrack):
    """20 ms of the microphone at a time; silence while it gives nothing."""

    kind = "audio"

    def __init__(self, microphone: LiveMicrophone) -> None:
        super().__init__()
        self._microphone = microphone
        self._buffer = microphone.listen()
        self._pace = Paced(AUDIO_FRAME_S)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pace.next()
        sound = bytes(self._buffer[:SOUND_BYTES]).ljust(SOUND_BYTES, b"\0")
        del self._buffer[:SOUND_BYTES]
        frame = AudioFrame(format="s16", layout="mono", samples=SOUND_SAMPLES)
        frame.planes[0].update(sound)
        frame.pts = count * SOUND_SAMPLES
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame

    def stop(self) -> None:
        super().stop()
        self._microphone.forget(self._buffer)
