"""Programmes, voice prompts and the ring follow the chosen speaker."""

from typing import Any

from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from kiosk.runloop import SpeakerFollower
from kiosk.status import Status

SPEAKERPHONE = Device(Kind.SPEAKER, "plughw:CARD=USB,DEV=0", "Jabra", Link.SPEAKERPHONE, "USB")
TV = Device(Kind.SPEAKER, "plughw:CARD=PCH,DEV=3", "HDMI 0", Link.HDMI, "PCH")


class Told:
    def __init__(self) -> None:
        self.devices: list[str] = []

    def use_speaker(self, device: str) -> None:
        self.devices.append(device)


class Session:
    class kiosk:  # noqa: N801 - stands in for the session's attribute
        class voice:  # noqa: N801
            @staticmethod
            def attach(player: Any) -> None: ...


def with_speaker(speaker: Device | None) -> Status:
    return Status(choice=Choice(None, None, speaker))


def test_sound_moves_to_the_next_speaker_and_stays_while_none_is_attached() -> None:
    programmes, voice = Told(), Told()
    follower = SpeakerFollower(programmes)  # type: ignore[arg-type]
    follower.follow(with_speaker(SPEAKERPHONE))
    follower.voice_ready(Session())(voice)  # type: ignore[arg-type]
    follower.follow(with_speaker(TV))
    follower.follow(with_speaker(TV))
    follower.follow(with_speaker(None))
    follower.follow(with_speaker(SPEAKERPHONE))
    assert programmes.devices == [SPEAKERPHONE.node, TV.node, SPEAKERPHONE.node]
    assert voice.devices == [SPEAKERPHONE.node, TV.node, SPEAKERPHONE.node]
