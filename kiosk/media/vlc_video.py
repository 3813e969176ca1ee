"""Video playback through libvlc, embedded in the kiosk's window by X11 window id.

Why an X11 window id and not frame callbacks into a QImage: libvlc then
scales, converts colour and draws subtitles in its own threads straight
into the window, the GUI thread never copies 720p frames (~70 MB/s), and
playback stays smooth on a small box. It needs Qt on xcb: Xorg, Xvfb, or
Xwayland under the ``cage`` kiosk compositor. Without a window id (tests,
``--vout=dummy``) everything but the picture works the same.

Threads: libvlc calls our event callbacks on its own threads. A callback
only hands a small record to *post* (``loop.call_soon_threadsafe`` in the
app), never touches Qt or asyncio objects, and never calls libvlc (that
deadlocks). Each :meth:`VlcVideo.play` starts a new *generation*; events
of an earlier media carry its number, so the receiver drops them.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import vlc

from kiosk.programmes.playback import Happened

log = logging.getLogger(__name__)

SUBTITLE_OPTIONS = (
    "--freetype-font=NanumGothic Bold",
    "--freetype-rel-fontsize=10",  # big: a line is a tenth of the picture's height
    "--freetype-outline-thickness=6",
    "--freetype-background-opacity=160",
    "--sub-margin=40",
)
"""Lyrics readable from the back of a room."""


@dataclass(frozen=True)
class PlayerEvent:
    generation: int
    what: Happened


_EVENTS = {
    vlc.EventType.MediaPlayerPlaying: Happened.PLAYING,
    vlc.EventType.MediaPlayerVout: Happened.FIRST_FRAME,
    vlc.EventType.MediaPlayerEndReached: Happened.ENDED,
    vlc.EventType.MediaPlayerEncounteredError: Happened.ERROR,
}


class VlcVideo:
    """One libvlc player. Every method is called from the GUI thread."""

    def __init__(
        self,
        vlc_args: Sequence[str],
        post: Callable[[PlayerEvent], None],
    ) -> None:
        args = [
            "--quiet",
            "--no-video-title-show",
            "--no-osd",
            "--no-disable-screensaver",  # the kiosk session keeps the screen on, not libvlc
            *SUBTITLE_OPTIONS,
            *vlc_args,
        ]
        self._instance = vlc.Instance(args)
        if self._instance is None:
            raise RuntimeError("libvlc could not start (is vlc-plugin-base installed?)")
        self._player = self._instance.media_player_new()
        self._post = post
        self._generation = 0
        self._lock = threading.Lock()  # guards _generation against libvlc's threads
        self._first_frame_seen = -1
        events = self._player.event_manager()
        for kind in _EVENTS:
            events.event_attach(kind, self._on_vlc_event, kind)
        self._player.video_set_key_input(False)
        self._player.video_set_mouse_input(False)

    def _on_vlc_event(self, _event: object, kind: object) -> None:
        # libvlc's thread: no libvlc calls, no Qt, no asyncio here.
        what = _EVENTS[kind]
        with self._lock:
            generation = self._generation
            if what is Happened.FIRST_FRAME:
                if self._first_frame_seen == generation:
                    return
                self._first_frame_seen = generation
        self._post(PlayerEvent(generation, what))

    def set_window(self, window_id: int) -> None:
        """Draw into the X11 window *window_id*."""
        self._player.set_xwindow(window_id)

    def play(self, source: str | Path, subtitles: Path | None = None) -> int:
        """Start *source* (a file or an http(s) URL); returns the new generation."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        if isinstance(source, Path):
            media = self._instance.media_new_path(str(source))
        else:
            media = self._instance.media_new(source)
        media.add_option(":network-caching=1500")
        self._player.set_media(media)
        media.release()
        if subtitles is not None:
            self._player.add_slave(vlc.MediaSlaveType.subtitle, subtitles.as_uri(), True)
        if self._player.play() != 0:
            self._post(PlayerEvent(generation, Happened.ERROR))
        return generation

    def pause(self, paused: bool) -> None:
        self._player.set_pause(1 if paused else 0)

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
        self._player.stop()

    def use_speaker(self, device: str) -> None:
        """Play sound on *device* (an ALSA device, with libvlc's ALSA output), now
        and from here on: a speaker unplugged mid-programme hands over to the next."""
        self._player.audio_output_device_set(None, device)

    def set_volume(self, percent: int) -> None:
        self._player.audio_set_volume(max(0, min(100, percent)))

    def position_ms(self) -> int:
        return int(self._player.get_time())

    def state(self) -> str:
        return str(self._player.get_state()).rpartition(".")[2].lower()

    def subtitle_tracks(self) -> int:
        """Subtitle tracks loaded (0 when none), e.g. to check lyrics are there."""
        return max(0, int(self._player.video_get_spu_count()) - 1)

    def close(self) -> None:
        self.stop()
        self._player.release()
        self._instance.release()


def open_video(vlc_args: Sequence[str], post: Callable[[PlayerEvent], None]) -> VlcVideo:
    """Start libvlc (blocking, ~0.1 s): may be called from a worker thread."""
    return VlcVideo(vlc_args, post)
