"""Short sounds (voice prompts) through libvlc, the one audio path of the kiosk.

Creating the instance loads libvlc's plugins (~0.1 s): do it off the GUI thread
with :func:`open_sound_player` and hand the result back to the loop.
"""

import logging
import threading
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import vlc

log = logging.getLogger(__name__)


REPEATS = 65535
"""libvlc's repeat count for a looping sound (a ring): far longer than any ringing."""


class VlcSoundPlayer:
    """A :class:`kiosk.voice.SoundPlayer` over one libvlc media player.

    ``play`` and ``close`` are called from the GUI thread. No libvlc event
    callbacks are used, so libvlc's threads never call into our code.
    """

    def __init__(self, vlc_args: Sequence[str] = ()) -> None:
        self._instance = vlc.Instance(["--quiet", "--no-video", *vlc_args])
        if self._instance is None:
            raise RuntimeError("libvlc could not start (is vlc-plugin-base installed?)")
        self._player = self._instance.media_player_new()
        # Everything plays through the list player: a media player it drives moves on
        # to its list's next item whenever the current sound ends, whoever started it.
        self._list = self._instance.media_list_player_new()
        self._list.set_media_player(self._player)
        self._lock = threading.Lock()
        self._closed = False
        self.now_playing: Path | None = None
        """The file last started, for diagnostics and tests."""
        self.now_playing_all: tuple[Path, ...] = ()
        """The row of files last started (one for a prompt), for diagnostics and tests."""

    def play(self, path: Path, volume: int, repeat: bool = False) -> None:
        self.play_all([path], volume, repeat)

    def play_all(self, paths: Sequence[Path], volume: int, repeat: bool = False) -> None:
        with self._lock:
            if self._closed or not paths:
                return
            media_list = self._instance.media_list_new()
            for path in paths:
                media = self._instance.media_new_path(str(path))
                if repeat and len(paths) == 1:
                    media.add_option(f":input-repeat={REPEATS}")
                media_list.add_media(media)
                media.release()
            self._list.stop()
            self._list.set_media_list(media_list)
            media_list.release()
            looping = repeat and len(paths) > 1
            self._list.set_playback_mode(
                vlc.PlaybackMode.loop if looping else vlc.PlaybackMode.default
            )
            self._player.audio_set_volume(volume)
            # Its answer is -1 for the first sound a player ever plays, though it plays.
            self._list.play_item_at_index(0)
            if self._player.get_media() is None:
                log.error("could not play %s", ", ".join(p.name for p in paths))
                return
            self.now_playing = paths[0]
            self.now_playing_all = tuple(paths)

    def stop(self) -> None:
        with self._lock:
            if not self._closed:
                self._list.stop()

    def current_file(self) -> Path | None:
        """The file playing or last played (in a row, the one reached), ``None`` before
        the first; for diagnostics and tests."""
        with self._lock:
            media = None if self._closed else self._player.get_media()
            if media is None:
                return None
            return Path(urllib.parse.unquote(urllib.parse.urlsplit(media.get_mrl()).path))

    def use_speaker(self, device: str) -> None:
        """Play on *device* (an ALSA device, with libvlc's ALSA output) from now on."""
        with self._lock:
            if not self._closed:
                self._player.audio_output_device_set(None, device)

    def bytes_read(self) -> int:
        """Bytes libvlc has read out of the current sound so far, every repeat
        counted (0 when nothing plays): the technician's proof that sound flows."""
        with self._lock:
            media = None if self._closed else self._player.get_media()
            if media is None:
                return 0
            stats = vlc.MediaStats()
            media.get_stats(stats)
            return int(stats.demux_read_bytes)

    def state(self) -> str:
        """libvlc's state of the player, e.g. ``playing`` or ``ended``."""
        with self._lock:
            if self._closed:
                return "closed"
            return str(self._player.get_state()).rpartition(".")[2].lower()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._list.stop()
            self._list.release()
            self._player.release()
            self._instance.release()


def open_sound_player(vlc_args: Sequence[str] = ()) -> VlcSoundPlayer:
    """Start libvlc (blocking, ~0.1 s): call from a worker thread."""
    return VlcSoundPlayer(vlc_args)
