"""The message screen's rules: one press records, any press stops, 보내기 / 다시 하기 /
취소, no camera and no microphone said plainly, nothing kept that was not sent."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from kiosk.messages.desk import SENT_S, MessageDesk, Stage
from kiosk.messages.recorder import MOST_S
from kiosk.messages.spool import Message, Spool

T = TypeVar("T")
CAMERA = Device(Kind.CAMERA, "/dev/video0", "BRIO", Link.USB)
MICROPHONE = Device(Kind.MICROPHONE, "plughw:CARD=USB,DEV=0", "Jabra", Link.USB)


class FakeRecording:
    """Writes its file when stopped (as ffmpeg finishes one)."""

    def __init__(self, choice: Choice, out: Path) -> None:
        self.choice, self.out = choice, out
        self.ended = False
        self.killed = False
        out.write_bytes(b"head")  # ffmpeg has begun the file

    def stop(self) -> None:
        self.out.write_bytes(b"webm" * 100)
        self.ended = True

    def finished(self) -> bool:
        return self.ended

    def succeeded(self) -> bool:
        return self.ended and self.out.stat().st_size > 0

    def close(self) -> None:
        self.killed = not self.ended


class Rig:
    def __init__(self, tmp_path: Path, choice: Choice) -> None:
        self.now = 0.0
        self.choice = choice
        self.spool = Spool(tmp_path / "messages")
        self.spool.tidy()
        self.recordings: list[FakeRecording] = []
        self.queued: list[Message] = []
        self.homes = 0
        self.awake = 0
        self.desk = MessageDesk(
            self.spool,
            lambda: self.choice,
            self.record,
            self.run_blocking,
            self.queued.append,
            self.home,
            self.keep_awake,
            clock=lambda: self.now,
            wall=lambda: dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC),
        )

    def record(self, choice: Choice, out: Path) -> FakeRecording:
        self.recordings.append(FakeRecording(choice, out))
        return self.recordings[-1]

    def run_blocking(
        self,
        work: Callable[[], T],
        then: Callable[[T], object],
        failed: Callable[[Exception], object],
    ) -> None:
        try:
            result = work()
        except Exception as err:  # noqa: BLE001 - handed on, as Worker.run does
            failed(err)
            return
        then(result)

    def home(self) -> None:
        self.homes += 1
        self.desk.leave()

    def keep_awake(self) -> None:
        self.awake += 1


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rig:
    monkeypatch.setattr("kiosk.messages.desk.probe_duration", lambda path: 7.0)
    return Rig(tmp_path, Choice(CAMERA, MICROPHONE, None))


def test_one_press_records_with_a_countdown_and_any_press_stops(rig: Rig) -> None:
    desk = rig.desk
    desk.open()
    assert desk.view.stage is Stage.READY and desk.view.buttons[0] == "message_start"
    assert desk.press(0)
    assert desk.view.stage is Stage.RECORDING and desk.view.left_s == MOST_S
    rig.now = 1.5  # the devices opened, the file begun: the countdown starts
    desk.tick()
    assert desk.view.left_s == MOST_S
    rig.now = 8.9
    desk.tick()
    assert desk.view.left_s == MOST_S - 7
    assert rig.awake >= 2, "a recording is use: no idle return cuts it"
    assert desk.press(2), "any press stops, whichever key it is"
    assert desk.view.stage is Stage.FINISHING
    desk.tick()
    assert desk.view.stage is Stage.REVIEW and desk.view.length_s == 7
    assert desk.view.buttons == ("message_send", "message_again", "message_cancel")


def test_send_keeps_it_for_the_uploader_says_so_and_goes_home(rig: Rig) -> None:
    desk = rig.desk
    desk.open()
    desk.press(0)
    desk.move(1)  # an arrow stops a recording too
    desk.tick()
    assert desk.view.stage is Stage.REVIEW
    assert desk.activate(), "Enter presses 보내기, in the ring"
    assert desk.view.stage is Stage.SENT
    assert [m.duration_s for m in rig.queued] == [7.0]
    assert rig.spool.video(rig.queued[0]).read_bytes() == b"webm" * 100
    rig.now += SENT_S
    desk.tick()
    assert rig.homes == 1
    assert rig.spool.messages() == rig.queued, "going home keeps what was sent"


def test_again_records_anew_and_cancel_keeps_nothing(rig: Rig) -> None:
    desk = rig.desk
    desk.open()
    desk.press(0)
    desk.press(0)
    desk.tick()
    first = rig.recordings[0].out
    assert desk.move(1) and desk.view.focus == 1
    desk.activate()  # 다시 하기
    assert desk.view.stage is Stage.RECORDING and not first.exists()
    desk.press(0)
    desk.tick()
    desk.press(2)  # 취소
    assert rig.homes == 1 and rig.queued == []
    assert not any(r.out.exists() for r in rig.recordings)


def test_leaving_while_recording_stops_the_camera_and_keeps_nothing(rig: Rig) -> None:
    desk = rig.desk
    desk.open()
    desk.press(0)
    desk.leave()  # Escape, a call ringing, the idle return
    assert rig.recordings[0].killed and not rig.recordings[0].out.exists()
    assert rig.spool.messages() == []


def test_no_camera_offers_the_voice_alone(rig: Rig) -> None:
    rig.choice = Choice(None, MICROPHONE, None)
    rig.desk.open()
    assert rig.desk.view.stage is Stage.VOICE_ONLY
    assert rig.desk.view.buttons == ("message_voice_only_button", "message_cancel")
    rig.desk.press(0)
    assert rig.desk.view.stage is Stage.RECORDING
    assert rig.recordings[0].choice.camera is None


def test_no_microphone_no_message(rig: Rig) -> None:
    rig.choice = Choice(CAMERA, None, None)
    rig.desk.open()
    assert rig.desk.view.stage is Stage.NO_MICROPHONE
    assert rig.desk.view.buttons == ("message_home",)
    rig.desk.press(0)
    assert rig.homes == 1 and rig.recordings == []


def test_the_recording_ends_by_itself_at_the_longest(rig: Rig) -> None:
    desk = rig.desk
    desk.open()
    desk.press(0)
    desk.tick()  # begun
    rig.now = MOST_S + 0.5
    rig.recordings[0].stop()  # ffmpeg's own -t
    desk.tick()
    assert desk.view.stage is Stage.REVIEW and desk.view.length_s == MOST_S
