"""The message screen's rules (의견 남기기): what each press does, the countdown, and
handing a finished message to the spool. Qt-free; GUI thread.

One press starts recording from the chosen camera and microphone; a big countdown
runs from :data:`~kiosk.messages.recorder.MOST_S` and any press stops early; then
보내기 / 다시 하기 / 취소, each one press (keys 1/2/3, arrows and Enter). 보내기
keeps the message on disk for the uploader and says "시청으로 보냅니다. 보내지면
알려 드립니다", then goes home by itself.

Without a camera the screen says so plainly and offers to leave the voice alone
(the picture is a plain colour); without a microphone there is no message to leave,
and the screen says that instead. Leaving the screen any other way (Escape, a call
that rings, idle time) throws the recording away: nothing is sent that the senior
did not send.
"""

import datetime as dt
import enum
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, TypeVar

from kiosk.devices.policy import Choice
from kiosk.messages.recorder import MOST_S, probe_duration
from kiosk.messages.spool import Message, Spool

log = logging.getLogger(__name__)

T = TypeVar("T")

SENT_S = 6.0
"""How long "시청으로 보냅니다" stays before the screen goes home by itself."""
FINISH_S = 10.0
"""How long ffmpeg may take to finish the file after a stop before it is given up."""


class Stage(enum.Enum):
    READY = "ready"
    """Camera and microphone: 녹화 시작 / 취소."""
    VOICE_ONLY = "voice_only"
    """No camera: says so; 목소리만 남기기 / 취소."""
    NO_MICROPHONE = "no_microphone"
    """No microphone: no message can be left; 처음으로."""
    RECORDING = "recording"
    """The countdown; any press stops."""
    FINISHING = "finishing"
    """ffmpeg is finishing the file (a moment)."""
    REVIEW = "review"
    """보내기 / 다시 하기 / 취소."""
    SAVING = "saving"
    """보내기 pressed: the message is being kept on disk (a moment)."""
    SENT = "sent"
    """시청으로 보냅니다; home by itself after :data:`SENT_S`."""
    FAILED = "failed"
    """The recording did not work; 처음으로."""


BUTTONS: dict[Stage, tuple[str, ...]] = {
    Stage.READY: ("message_start", "message_cancel"),
    Stage.VOICE_ONLY: ("message_voice_only_button", "message_cancel"),
    Stage.NO_MICROPHONE: ("message_home",),
    Stage.RECORDING: ("message_stop",),
    Stage.FINISHING: (),
    Stage.REVIEW: ("message_send", "message_again", "message_cancel"),
    Stage.SAVING: (),
    Stage.SENT: ("message_home",),
    Stage.FAILED: ("message_home",),
}
"""Each stage's buttons (strings keys), in the order of keys 1, 2, 3."""


@dataclass(frozen=True)
class MessageView:
    """What the message screen shows."""

    stage: Stage
    focus: int = 0
    """The button in the focus ring."""
    left_s: int = MOST_S
    """Seconds of recording left (the countdown)."""
    length_s: int = 0
    """Seconds recorded (on REVIEW)."""
    self_view: bool = False
    """Recording from a camera: the page shows the senior's self-view (pictures come by
    :meth:`MessageDesk.subscribe_preview`). Not without a camera (the voice alone)."""

    @property
    def buttons(self) -> tuple[str, ...]:
        return BUTTONS[self.stage]


class Recorder(Protocol):
    """A recording under way (:class:`kiosk.messages.recorder.Recording`)."""

    def stop(self) -> None: ...

    def finished(self) -> bool: ...

    def succeeded(self) -> bool: ...

    def close(self) -> None: ...


StartRecording = Callable[[Choice, Path], Recorder]
"""Starts recording *choice*'s camera (or the plain picture) and microphone into a path."""
RunBlocking = Callable[
    [Callable[[], T], Callable[[T], object], Callable[[Exception], object]], None
]
"""Runs blocking work on a worker thread and hands the result back (``Worker.run``)."""


class MessageDesk:
    """The message screen's state machine. *choice* gives the devices chosen now;
    *start_recording* starts ffmpeg; *queued* is told of each message kept (the
    uploader wakes); *go_home* and *keep_awake* are the navigator's (a recording is
    use: the idle return must not cut it). *clock*: monotonic seconds."""

    def __init__(
        self,
        spool: Spool,
        choice: Callable[[], Choice],
        start_recording: StartRecording,
        run_blocking: RunBlocking[Message],
        queued: Callable[[Message], object],
        go_home: Callable[[], object],
        keep_awake: Callable[[], object],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._spool = spool
        self._choice = choice
        self._start_recording = start_recording
        self._run_blocking = run_blocking
        self._queued = queued
        self._go_home = go_home
        self._keep_awake = keep_awake
        self._clock = clock
        self._wall = wall
        self._view = MessageView(Stage.READY)
        self._open = False
        self._recording: Recorder | None = None
        self._path: Path | None = None
        self._camera = True
        self._live = False
        self._started_at = 0.0
        self._stopped_at = 0.0
        self._recorded_at = wall()
        self._since = 0.0
        self._listeners: list[Callable[[MessageView], None]] = []
        self._previews: list[Callable[[bytes], None]] = []

    @property
    def view(self) -> MessageView:
        return self._view

    @property
    def recording_path(self) -> Path | None:
        """The file being recorded, or the one waiting on REVIEW (tests read it)."""
        return self._path

    def subscribe(self, listener: Callable[[MessageView], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def subscribe_preview(self, listener: Callable[[bytes], None]) -> Callable[[], None]:
        """*listener* gets each self-view picture shown (see :meth:`show_preview`)."""
        self._previews.append(listener)
        return lambda: self._previews.remove(listener)

    def show_preview(self, picture: bytes) -> None:
        """A self-view picture from the camera being recorded (GUI thread; raw RGB,
        :data:`~kiosk.messages.recorder.PREVIEW_WIDTH` x ``PREVIEW_HEIGHT``, mirrored).
        Passed on while recording only: a late one after the stop is dropped."""
        if self._open and self._view.stage is Stage.RECORDING and self._recording is not None:
            for listener in list(self._previews):
                listener(picture)

    # --- the screen opens and closes ------------------------------------------------

    def open(self) -> None:
        """The message tile (or "의견 남기기" after an unanswered call) was pressed."""
        self._discard()
        self._open = True
        choice = self._choice()
        self._camera = choice.camera is not None
        if choice.microphone is None:
            stage = Stage.NO_MICROPHONE
        elif choice.camera is None:
            stage = Stage.VOICE_ONLY
        else:
            stage = Stage.READY
        self._set(MessageView(stage))

    def leave(self) -> None:
        """The screen was left (home, a call, idle): what was recorded is thrown away,
        unless it was already sent."""
        if not self._open:
            return
        self._open = False
        if self._view.stage is not Stage.SAVING:
            self._discard()

    # --- presses ----------------------------------------------------------------------

    def press(self, index: int) -> bool:
        """Button *index* (0-based: key 1 is 0) was pressed; ``True`` if taken."""
        if not self._open:
            return False
        stage = self._view.stage
        if stage is Stage.RECORDING:
            self._stop()  # any press stops, whichever it is
            return True
        buttons = self._view.buttons
        if not 0 <= index < len(buttons):
            return stage in (Stage.FINISHING, Stage.SAVING)  # swallowed: a moment's wait
        self._set(replace(self._view, focus=index))
        key = buttons[index]
        if key in ("message_start", "message_voice_only_button", "message_again"):
            self._record()
        elif key == "message_stop":
            self._stop()
        elif key == "message_send":
            self._send()
        else:  # cancel, home
            self._discard()
            self._go_home()
        return True

    def move(self, step: int) -> bool:
        """The focus ring *step* buttons on (arrows); ``True`` if it moved. While
        recording, an arrow is a press too: it stops."""
        if self._open and self._view.stage is Stage.RECORDING:
            self._stop()
            return True
        count = len(self._view.buttons)
        focus = min(max(self._view.focus + step, 0), count - 1) if count else 0
        if not self._open or focus == self._view.focus:
            return False
        self._set(replace(self._view, focus=focus))
        return True

    def activate(self) -> bool:
        """Enter: the button in the focus ring (any press while recording stops)."""
        return self.press(self._view.focus)

    # --- time ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Several times a second while the screen shows: the countdown, the end of
        the recording, the way home after SENT."""
        if not self._open:
            return
        stage, now = self._view.stage, self._clock()
        if stage is Stage.RECORDING:
            self._keep_awake()
            if not self._live:
                # The countdown starts once ffmpeg writes (devices opened, the file
                # begun), not at the press: opening a camera takes a second or two.
                if self._path is None or not _has_begun(self._path):
                    return
                self._live = True
                self._started_at = now
            left = max(MOST_S - int(now - self._started_at), 0)
            if self._recording is not None and self._recording.finished():
                self._stopped_at = now
                self._finished()
            elif left != self._view.left_s:
                self._set(replace(self._view, left_s=left))
        elif stage is Stage.FINISHING:
            self._keep_awake()
            if self._recording is not None and self._recording.finished():
                self._finished()
            elif now - self._since > FINISH_S:
                log.error("recording did not finish in %.0f s: given up", FINISH_S)
                self._discard()
                self._set(MessageView(Stage.FAILED))
        elif stage is Stage.SENT and now - self._since >= SENT_S:
            self._go_home()

    # --- internals ----------------------------------------------------------------------

    def _record(self) -> None:
        self._discard()
        choice = self._choice()
        if choice.microphone is None:
            self._set(MessageView(Stage.NO_MICROPHONE))
            return
        message_id = uuid.uuid4().hex
        try:
            path = self._spool.recording_path(message_id)
            self._recording = self._start_recording(choice, path)
        except OSError as err:
            log.error("cannot start recording a message: %s", err)
            self._set(MessageView(Stage.FAILED))
            return
        self._path = path
        self._live = False
        self._started_at = self._clock()
        self._recorded_at = self._wall()
        self._keep_awake()
        self._set(MessageView(Stage.RECORDING, left_s=MOST_S, self_view=choice.camera is not None))

    def _stop(self) -> None:
        if self._recording is None:
            return
        self._recording.stop()
        self._stopped_at = self._clock()
        self._since = self._stopped_at
        self._set(MessageView(Stage.FINISHING, left_s=self._view.left_s))

    def _finished(self) -> None:
        recording = self._recording
        assert recording is not None
        if not recording.succeeded():
            self._discard()
            self._set(MessageView(Stage.FAILED))
            return
        recording.close()
        self._recording = None
        length = max(round(self._stopped_at - self._started_at), 1)
        self._set(MessageView(Stage.REVIEW, length_s=min(length, MOST_S)))

    def _send(self) -> None:
        path = self._path
        if path is None:
            return
        self._path = None
        recorded_at = self._recorded_at
        spool = self._spool

        def keep() -> Message:
            return spool.queue(path, probe_duration(path), recorded_at)

        self._set(MessageView(Stage.SAVING))
        self._run_blocking(keep, self._kept, self._not_kept)

    def _kept(self, message: Message) -> None:
        self._queued(message)
        if self._open and self._view.stage is Stage.SAVING:
            self._since = self._clock()
            self._set(MessageView(Stage.SENT))

    def _not_kept(self, error: Exception) -> None:
        log.error("the message could not be kept: %s", error)
        if self._open and self._view.stage is Stage.SAVING:
            self._set(MessageView(Stage.FAILED))

    def _discard(self) -> None:
        recording, self._recording = self._recording, None
        if recording is not None:
            recording.close()
        path, self._path = self._path, None
        if path is not None:
            path.unlink(missing_ok=True)

    def _set(self, view: MessageView) -> None:
        old, self._view = self._view, view
        if old.stage is not view.stage:
            log.info("message screen %s -> %s", old.stage.value, view.stage.value)
        for listener in list(self._listeners):
            listener(view)


def _has_begun(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
