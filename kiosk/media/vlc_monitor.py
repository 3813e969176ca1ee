"""The technician's live checks through libvlc: a camera preview and a microphone level.

A separate libvlc instance, started when the diagnostics screen opens and
released when it closes. The preview draws into an X11 window like playback; when
its first picture is drawn, or libvlc cannot open the camera, one log line says so
(from libvlc's event thread: only a log call, no libvlc call, no Qt).
The level meter receives the microphone's samples through libvlc's audio
callbacks on libvlc's own thread; that thread only computes a number and
stores it (a float assignment); the GUI reads :attr:`MicrophoneLevel.level`
on its own timer. Nothing is played back, so the meter cannot howl.
"""

import array
import ctypes
import logging
import math
from collections.abc import Sequence
from typing import Any

import vlc

log = logging.getLogger(__name__)

RATE = 16_000


class Monitor:
    """One libvlc instance with a preview player and a level-meter player."""

    def __init__(self, vlc_args: Sequence[str] = ()) -> None:
        self._instance = vlc.Instance(["--quiet", "--no-video-title-show", *vlc_args])
        if self._instance is None:
            raise RuntimeError("libvlc could not start")
        self.version = vlc.libvlc_get_version().decode()
        self._preview = self._instance.media_player_new()
        self._preview.audio_set_mute(True)
        self._preview.video_set_mouse_input(False)
        self._preview.video_set_key_input(False)
        self._showing: str | None = None
        """The MRL the preview was last asked to show, for the log lines."""
        self._told = False
        """Its first picture has been logged (libvlc reports each new video output)."""
        events = self._preview.event_manager()
        events.event_attach(vlc.EventType.MediaPlayerVout, self._on_picture)
        events.event_attach(vlc.EventType.MediaPlayerEncounteredError, self._on_error)
        self.microphone = MicrophoneLevel(self._instance)

    def show_camera(self, mrl: str | None, window_id: int | None) -> None:
        """Preview *mrl* (``v4l2:///dev/video0``) in *window_id*; ``None`` stops it."""
        self._preview.stop()
        self._showing, self._told = mrl, False
        if mrl is None:
            return
        if window_id is not None:
            self._preview.set_xwindow(window_id)
        media = self._instance.media_new(mrl)
        media.add_option(":input-repeat=65535")  # a test file stands in for a camera: loop it
        self._preview.set_media(media)
        media.release()
        self._preview.play()

    def _on_picture(self, event: Any) -> None:
        # libvlc's event thread. The count of video outputs: 0 when the preview stops.
        if event.u.new_count > 0 and not self._told:
            self._told = True
            log.info("camera preview showing %s", self._showing)

    def _on_error(self, _event: Any) -> None:
        log.warning("camera preview could not show %s", self._showing)

    def camera_state(self) -> str:
        return str(self._preview.get_state()).rpartition(".")[2].lower()

    def close(self) -> None:
        self._preview.stop()
        self._preview.release()
        self.microphone.close()
        self._instance.release()


class MicrophoneLevel:
    """Listens to a microphone (or any MRL with sound) and keeps its level, 0.0–1.0."""

    def __init__(self, instance: Any) -> None:
        self._player = instance.media_player_new()
        self._instance = instance
        self.level = 0.0
        """Loudness of the last block, 0.0 (silence) to 1.0 (full scale), in dB steps."""
        self._callbacks = (
            vlc.CallbackDecorators.AudioPlayCb(self._play),
            vlc.CallbackDecorators.AudioPauseCb(lambda data, pts: None),
            vlc.CallbackDecorators.AudioResumeCb(lambda data, pts: None),
            vlc.CallbackDecorators.AudioFlushCb(lambda data, pts: None),
            vlc.CallbackDecorators.AudioDrainCb(lambda data: None),
        )  # kept referenced: libvlc calls them until the player is released
        self._player.audio_set_callbacks(*self._callbacks, None)
        self._player.audio_set_format("S16N", RATE, 1)

    def listen(self, mrl: str | None) -> None:
        self._player.stop()
        self.level = 0.0
        if mrl is None:
            return
        media = self._instance.media_new(mrl)
        media.add_option(":no-video")
        media.add_option(":input-repeat=65535")
        self._player.set_media(media)
        media.release()
        self._player.play()

    def _play(self, data: Any, samples: Any, count: int, pts: int) -> None:
        # libvlc's thread: compute, store, return. No libvlc call, no Qt.
        block = array.array("h", ctypes.string_at(samples, count * 2))
        if not block:
            return
        peak = max(abs(min(block)), abs(max(block))) / 32768
        db = 20 * math.log10(peak) if peak > 0 else -60.0
        self.level = max(0.0, min(1.0, (db + 60) / 60))

    def close(self) -> None:
        self._player.stop()
        self._player.release()
