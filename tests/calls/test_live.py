"""The chosen camera and microphone as call tracks, read through real ffmpeg children.

Each "device" is read from ffmpeg's generated picture or tone (see
:mod:`tests.calls.stand_ins`); the child process, its pipe, the switching and the
"camera off" picture are the real ones.
"""

import asyncio

import pytest
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame, VideoFrame

from kiosk.calls.local import CAMERA_OFF
from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from tests.calls.signals import mean_rgb, near, steady_pitch
from tests.calls.stand_ins import COLOURS, PITCHES, device_media

WEBCAM = Device(Kind.CAMERA, "/dev/video0", "C920", Link.USB)
OTHER_CAMERA = Device(Kind.CAMERA, "/dev/video2", "Capture card", Link.INTERNAL)
MICROPHONE = Device(Kind.MICROPHONE, "plughw:CARD=USB,DEV=0", "Jabra", Link.SPEAKERPHONE, "USB")
TONE = PITCHES[MICROPHONE.node]


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
        box = device_media()
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


def test_a_picture_alone_never_opens_the_microphone() -> None:
    """City hall looks at the centre (its camera, no sound): the microphone's capture
    is not started at all."""

    async def scenario() -> None:
        box = device_media()
        box.use(Choice(WEBCAM, MICROPHONE, None))
        video = box.picture()
        await shows(video, COLOURS[WEBCAM.node])
        assert box.camera.capture.running and not box.microphone.capture.running
        box.silence()
        video.stop()

    run(scenario())


def test_no_microphone_sends_silence() -> None:
    async def scenario() -> None:
        box = device_media()
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
        box = device_media()
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
