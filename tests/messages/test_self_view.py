"""The senior sees themselves while recording: the box's own ffmpeg command, from
ffmpeg's generated camera and microphone, writes the self-view beside the file; it is
read on a worker thread (:func:`kiosk.messages.recorder.watch`, as the message service
does), handed back to the "GUI thread" (this test's loop) and drawn on the real message
page (offscreen), mirrored; the recorded file is still a playable VP8 + Opus WebM."""

import datetime as dt
import queue
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from pytestqt.qtbot import QtBot

from kiosk.devices.policy import Choice
from kiosk.i18n import Strings
from kiosk.messages.desk import MessageDesk, Stage
from kiosk.messages.recorder import Recording, record_command, watch
from kiosk.messages.spool import Message, Spool
from kiosk.ui.message import MessageScreen
from kiosk.ui.qt import QColor, QImage
from kiosk.ui.theme import Theme
from kiosk.work import Worker
from kiosk_contract.config.model import Display
from tests.calls.stand_ins import COLOURS, picture_of, tone_of
from tests.conftest import ASSETS
from tests.messages.rig import decodes, streams
from tests.unit.messages.test_desk import CAMERA, MICROPHONE

T = TypeVar("T")
LIMIT_S = 30.0
LEFT, RIGHT = (200, 40, 40), (40, 60, 200)
HALVES = [
    "-re", "-f", "lavfi", "-i",
    f"color=c=0x{bytes(LEFT).hex()}:s=320x480:r=15,pad=640:480:0:0:0x{bytes(RIGHT).hex()}",
]  # fmt: skip
"""A camera whose left half is red and right half blue (as the camera sees the room)."""


class GuiThread:
    """The hand-back to "the GUI thread": this test's own loop runs what is handed."""

    def __init__(self) -> None:
        self.waiting: queue.SimpleQueue[tuple[Callable[..., object], tuple[object, ...]]] = (
            queue.SimpleQueue()
        )

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> object:
        self.waiting.put((callback, args))
        return None

    def run_ready(self) -> None:
        while not self.waiting.empty():
            callback, args = self.waiting.get()
            callback(*args)


def close_to(colour: QColor, rgb: tuple[int, int, int]) -> bool:
    """Within what VP8-free raw RGB through yuv and scaling keeps (a few levels)."""
    got = (colour.red(), colour.green(), colour.blue())
    return all(abs(a - b) <= 16 for a, b in zip(got, rgb, strict=True))


def pixel(page: MessageScreen, x_share: float) -> QColor:
    """The self-view's colour at *x_share* of its width, half way down, as painted."""
    view = page.self_view
    image: QImage = view.grab().toImage()
    return image.pixelColor(int(view.width() * x_share), view.height() // 2)


@pytest.mark.parametrize(
    ("camera", "left", "right"),
    [
        (picture_of(CAMERA), COLOURS[CAMERA.node], COLOURS[CAMERA.node]),
        (HALVES, RIGHT, LEFT),
    ],
    ids=["the-camera's-colour", "mirrored"],
)
def test_the_self_view_shows_the_camera_while_recording(
    qtbot: QtBot,
    tmp_path: Path,
    camera: Sequence[str],
    left: tuple[int, int, int],
    right: tuple[int, int, int],
) -> None:
    gui = GuiThread()
    readers = Worker("test-self-view", gui, threads=2)
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    queued: list[Message] = []
    desk: MessageDesk

    def record(choice: Choice, out: Path) -> Recording:
        assert choice.microphone is not None
        command = record_command(camera, tone_of(choice.microphone), out, preview=True)
        recording = Recording(command, out)
        watch(recording, readers, gui, desk.show_preview)
        return recording

    def at_once(work: Callable[[], T], then: Callable[[T], object], failed: object) -> None:
        then(work())

    desk = MessageDesk(
        spool,
        lambda: Choice(CAMERA, MICROPHONE, None),
        record,
        at_once,
        queued.append,
        lambda: None,
        lambda: None,
        wall=lambda: dt.datetime.now(dt.UTC),
    )
    page = MessageScreen(Strings("ko"), Theme(Display(), 1080, ASSETS / "icons"), desk)
    qtbot.addWidget(page)
    page.resize(1920, 1080)
    page.show()

    def until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + LIMIT_S
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            gui.run_ready()
            desk.tick()
            qtbot.wait(20)  # Qt paints (the page's own timer is not what drives the desk)

    try:
        desk.open()
        assert not page.self_view.isVisible(), "no self-view before recording"
        desk.press(0)
        assert page.self_view.isVisible() and page.self_view.image is None
        until(lambda: desk.view.left_s <= 58, "two seconds recorded")
        until(lambda: page.self_view.image is not None, "a self-view picture")
        assert close_to(pixel(page, 0.3), left), pixel(page, 0.3).name()
        assert close_to(pixel(page, 0.7), right), pixel(page, 0.7).name()
        assert page.self_view.height() >= 396 and page.countdown.font().pixelSize() >= 300
        assert page.countdown.isVisible() and page.buttons[0].isVisible()

        desk.activate()  # stop
        until(lambda: desk.view.stage is Stage.REVIEW, "the review")
        assert not page.self_view.isVisible() and page.self_view.image is None
        desk.press(0)  # 보내기
        [message] = queued
        video = spool.video(message)
        assert streams(video) == ["vp8 480x360", "opus"]
        assert decodes(video)
    finally:
        page.close_page()
        desk.leave()
        readers.close()
