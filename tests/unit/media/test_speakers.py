"""Programmes, voice prompts and the ring follow the chosen speaker."""

import asyncio

from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from kiosk.media.speakers import SpeakerFollower
from kiosk.status import Status, StatusBoard

SPEAKERPHONE = Device(Kind.SPEAKER, "plughw:CARD=USB,DEV=0", "Jabra", Link.SPEAKERPHONE, "USB")
TV = Device(Kind.SPEAKER, "plughw:CARD=PCH,DEV=3", "HDMI 0", Link.HDMI, "PCH")


class Told:
    def __init__(self) -> None:
        self.devices: list[str] = []

    def use_speaker(self, device: str) -> None:
        self.devices.append(device)


def with_speaker(speaker: Device | None) -> Status:
    return Status(choice=Choice(None, None, speaker))


def test_sound_moves_to_the_next_speaker_and_stays_while_none_is_attached() -> None:
    programmes, voice = Told(), Told()
    board = StatusBoard(with_speaker(SPEAKERPHONE))
    follower = SpeakerFollower(board, [programmes, voice])
    follower.start()
    for speaker in (TV, TV, None, SPEAKERPHONE):
        board.update(choice=Choice(None, None, speaker))
    expected = [SPEAKERPHONE.node, TV.node, SPEAKERPHONE.node]
    assert programmes.devices == expected and voice.devices == expected
    asyncio.run(follower.close())
    board.update(choice=Choice(None, None, TV))
    assert programmes.devices == expected, "closed: follows no more"
