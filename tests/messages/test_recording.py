"""Recording a message with the box's real ffmpeg command from ffmpeg's generated
camera and microphone (as the call tests' devices): the screen's rules over a real
child, a whole playable WebM queued, and the voice alone when there is no camera."""

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kiosk.devices.policy import Choice
from kiosk.messages.desk import MessageDesk, Stage
from kiosk.messages.recorder import Recording, probe_duration, record_command
from kiosk.messages.spool import Message, Spool
from tests.calls.stand_ins import picture_of, tone_of
from tests.messages.rig import decodes, streams
from tests.unit.messages.test_desk import CAMERA, MICROPHONE

T = TypeVar("T")
LIMIT_S = 30.0


def until(condition: Callable[[], bool], desk: MessageDesk, what: str) -> None:
    """Tick *desk* as its page does until *condition*."""
    deadline = time.monotonic() + LIMIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        desk.tick()
        time.sleep(0.05)


def at_once(work: Callable[[], T], then: Callable[[T], object], failed: object) -> None:
    then(work())


def record(choice: Choice, out: Path) -> Recording:
    camera = picture_of(choice.camera) if choice.camera is not None else None
    assert choice.microphone is not None
    return Recording(record_command(camera, tone_of(choice.microphone), out), out)


def desk_for(spool: Spool, choice: Choice, queued: list[Message]) -> MessageDesk:
    return MessageDesk(
        spool,
        lambda: choice,
        record,
        at_once,
        queued.append,
        lambda: None,
        lambda: None,
        wall=lambda: dt.datetime.now(dt.UTC),
    )


@pytest.mark.parametrize(
    ("choice", "picture"),
    [
        (Choice(CAMERA, MICROPHONE, None), "vp8 480x360"),
        (Choice(None, MICROPHONE, None), "vp8 640x360"),
    ],
    ids=["camera", "voice-only"],
)
def test_a_recorded_message_is_queued_whole_and_playable(
    tmp_path: Path, choice: Choice, picture: str
) -> None:
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    queued: list[Message] = []
    desk = desk_for(spool, choice, queued)
    desk.open()
    assert desk.view.stage is (Stage.READY if choice.camera else Stage.VOICE_ONLY)
    desk.press(0)
    until(lambda: desk.view.left_s <= 57, desk, "three seconds recorded")
    desk.activate()
    until(lambda: desk.view.stage is Stage.REVIEW, desk, "the review")
    length_s = desk.view.length_s
    assert 3 <= length_s <= 5
    desk.press(0)
    assert desk.view.stage is Stage.SENT
    [message] = queued
    video = spool.video(message)
    assert streams(video) == [picture, "opus"]
    assert decodes(video)
    assert abs(probe_duration(video) - length_s) < 1.5, "the countdown counted what was recorded"
    assert message.duration_s == pytest.approx(probe_duration(video), abs=0.01)
    assert list(spool.recording.iterdir()) == [], "nothing is left of the recording under way"


def test_cancel_kills_the_recording_and_keeps_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    queued: list[Message] = []
    desk = desk_for(spool, Choice(CAMERA, MICROPHONE, None), queued)
    desk.open()
    desk.press(0)
    until(lambda: desk.view.left_s <= 59, desk, "recording")
    desk.leave()
    assert list(spool.recording.iterdir()) == [] and spool.messages() == [] and queued == []
