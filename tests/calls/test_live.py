"""The chosen camera and microphone as call tracks, read through real ffmpeg children.

No kernel camera or sound card exists here: each "device" is read from ffmpeg's
generated picture or tone (lavfi) in place of V4L2 or ALSA; the child process,
its pipe, the switching and the "camera off" picture are the real ones.
"""

import asyncio
from collections.abc import Sequence

import pytest
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame, VideoFrame

from kiosk.calls.local import CAMERA_OFF, DeviceMedia
from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from tests.calls.signals import mean_rgb, near, steady_pitch

WEBCAM = Device(Kind.CAMERA, "/dev/video0", "C920", Link.USB)
OTHER_CAMERA = Device(Kind.CAMERA, "/dev/video2", "Capture card", Link.INTERNAL)
MICROPHONE = Device(Kind.MICROPHONE, "plughw:CARD=S510,DEV=0", "S510", Link.SPEAKERPHONE, "S510")
COLOURS = {WEBCAM.node: (40, 200, 40), OTHER_CAMERA.node: (200, 200, 40)}
TONE = 700


def picture_of(camera: Device) -> Sequence[str]:
    r, g, b = COLOURS[camera.node]
    return ["-re", "-f", "lavfi", "-i", f"color=c=0x{r:02X}{g:02X}{b:02X}:s=640x480:r=15"]


def tone_of(microphone: Device) -> Sequence[str]:
    return ["-re", "-f", "lavfi", "-i", f"sine=frequency={TONE}:sample_rate=48000"]


def media() -> DeviceMedia:
    return DeviceMedia(picture_of, tone_of, speaker=False)


async def shows(track: MediaStreamTrack, colour: tuple[int, int, int]) -> None:
    """Receive pictures until one is of *colour*."""
    while True:
        frame = await track.recv()
        assert isinstance(frame, VideoFrame)
        if near(mean_rgb(frame), colour):
            return


async def second_of(track: MediaStreamTrack) -> list[int]:
    samples: list[int] = []
    while len(samples) < 48_000:
        frame = await track.recv()
        assert isinstance(frame, AudioFrame)
        samples += memoryview(bytes(frame.planes[0])[: frame.samples * 2]).cast("h").tolist()
    return samples


def run(scenario: object) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(60):
            await scenario  # type: ignore[misc]

    asyncio.run(bounded())


def test_the_chosen_camera_is_sent_and_the_off_picture_while_there_is_none() -> None:
    async def scenario() -> None:
        box = media()
        box.use(Choice(WEBCAM, MICROPHONE, None))
        assert not box.camera.capture.running, "no call yet: the camera stays closed"
        audio, video = box.tracks()
        await shows(video, COLOURS[WEBCAM.node])
        box.use(Choice(None, MICROPHONE, None))
        frame = await video.recv()
        assert isinstance(frame, VideoFrame) and near(mean_rgb(frame), CAMERA_OFF)
        box.use(Choice(OTHER_CAMERA, MICROPHONE, None))
        await shows(video, COLOURS[OTHER_CAMERA.node])
        assert steady_pitch(await second_of(audio), 48_000, TONE) > 0.8
        box.silence()
        assert not box.camera.capture.running and not box.microphone.capture.running
        audio.stop()
        video.stop()

    run(scenario())


def test_no_microphone_sends_silence() -> None:
    async def scenario() -> None:
        box = media()
        box.use(Choice(WEBCAM, None, None))
        audio, video = box.tracks()
        assert set(await second_of(audio)) == {0}
        box.silence()
        audio.stop()
        video.stop()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_camera_whose_reader_dies_is_read_again() -> None:
    async def scenario() -> None:
        box = media()
        box.use(Choice(WEBCAM, MICROPHONE, None))
        audio, video = box.tracks()
        await shows(video, COLOURS[WEBCAM.node])
        child = box.camera.capture._child
        assert child is not None
        child.kill()
        await shows(video, CAMERA_OFF)
        await shows(video, COLOURS[WEBCAM.node])
        assert box.camera.capture._child is not child
        box.silence()
        audio.stop()
        video.stop()

    run(scenario())
