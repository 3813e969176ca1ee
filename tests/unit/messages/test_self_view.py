"""The self-view's rules: pictures pass only while recording from a camera, whole
pictures are read off the pipe, and a busy GUI thread gets the newest one only."""

import io
from collections.abc import Callable
from pathlib import Path

from kiosk.devices.policy import Choice
from kiosk.messages.desk import Stage
from kiosk.messages.recorder import PREVIEW_BYTES, LatestFrame, read_frames, record_command
from tests.unit.messages.test_desk import CAMERA, MICROPHONE, Rig


def test_pictures_pass_only_while_recording_from_a_camera(tmp_path: Path) -> None:
    rig = Rig(tmp_path, Choice(CAMERA, MICROPHONE, None))
    seen: list[bytes] = []
    rig.desk.subscribe_preview(seen.append)
    rig.desk.open()
    rig.desk.show_preview(b"ready")
    assert seen == [] and not rig.desk.view.self_view
    rig.desk.press(0)
    assert rig.desk.view.stage is Stage.RECORDING and rig.desk.view.self_view
    rig.desk.show_preview(b"one")
    rig.desk.press(0)  # stop
    rig.desk.show_preview(b"late")
    assert seen == [b"one"], "a picture after the stop is dropped"

    voice = Rig(tmp_path / "voice", Choice(None, MICROPHONE, None))
    voice.desk.open()
    voice.desk.press(0)
    assert voice.desk.view.stage is Stage.RECORDING and not voice.desk.view.self_view


def test_the_command_makes_a_self_view_only_with_a_camera(tmp_path: Path) -> None:
    camera, microphone = ["-i", "camera"], ["-i", "microphone"]
    out = tmp_path / "m.webm"
    assert "pipe:1" in record_command(camera, microphone, out, preview=True)
    assert "pipe:1" not in record_command(camera, microphone, out)
    assert "pipe:1" not in record_command(None, microphone, out, preview=True)


def test_whole_pictures_are_read_and_a_short_tail_dropped() -> None:
    pictures = [bytes([n]) * PREVIEW_BYTES for n in range(3)]
    stream = io.BytesIO(b"".join(pictures) + b"cut")
    got: list[bytes] = []
    assert read_frames(stream, got.append) == 3
    assert got == pictures and stream.closed


class Later:
    def __init__(self) -> None:
        self.waiting: list[Callable[[], object]] = []

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> object:
        self.waiting.append(lambda: callback(*args))
        return None


def test_a_busy_gui_thread_gets_the_newest_picture_once() -> None:
    gui, shown = Later(), list[bytes]()
    latest = LatestFrame(gui, shown.append)
    for picture in (b"1", b"2", b"3"):
        latest.offer(picture)
    assert len(gui.waiting) == 1, "one hand-back waits, not three"
    gui.waiting.pop()()
    assert shown == [b"3"]
    latest.offer(b"4")
    assert len(gui.waiting) == 1
    gui.waiting.pop()()
    assert shown == [b"3", b"4"]
