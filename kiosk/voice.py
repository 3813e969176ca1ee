"""Spoken guidance: a short Korean prompt when a tile is pressed, the ring of a call,
an alert's sound, a notice read aloud. Qt-free.

Prompts are sound files named by the tile's configuration. They are looked up
in the prompt folders in order (downloaded media first, then the bundled
defaults for the screen's language). The player is slow to start (libvlc loads
its plugins), so the kiosk paints first and hands the player over later with
:meth:`VoiceGuide.attach`; a prompt asked for before then plays once it is.

One player, so one sound at a time; what wins: a ringing call, then an alert's
sound (the ALERT screen never shows during a call; after the call the alert sounds
again), then whatever was asked last.
"""

import logging
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kiosk_contract.config.model import Tile, Voice
from kiosk_contract.fleet import Alert, Level

log = logging.getLogger(__name__)


class SoundPlayer(Protocol):
    """Plays short sound files. Methods are called from the GUI thread and return at once."""

    def play(self, path: Path, volume: int, repeat: bool = False) -> None:
        """Start *path* at *volume* percent, cutting off whatever was playing;
        with *repeat*, over and over until something else plays or :meth:`stop`."""

    def play_all(self, paths: Sequence[Path], volume: int, repeat: bool = False) -> None:
        """Start *paths* one after the other at *volume*, cutting off whatever was
        playing; with *repeat*, the whole row over and over until something else plays
        or :meth:`stop`."""

    def stop(self) -> None:
        """Stop whatever is playing."""

    def close(self) -> None:
        """Stop and release the device. Safe to call twice."""

    def use_speaker(self, device: str) -> None:
        """Play on the ALSA *device* from now on."""


SPEAKER_TEST = "speaker-test.wav"
RING = "ring.wav"
RING_VOLUME = 90
"""A call rings, and an alert sounds, at least this loud (percent), voice guidance on
or off."""
CHIME = "alert-chime.wav"
"""The chime before an alert's message."""
ALARM_PAUSE_S = {Level.EMERGENCY: 10, Level.CAUTION: 30, Level.INFO: 60}
"""Silence after an alert's message before it sounds again (긴급 most often)."""


def level_prompt(level: Level) -> str:
    """The bundled sentence for an alert without a recording ("시청에서 긴급 안내가
    왔습니다. 화면을 봐 주세요")."""
    return f"alert-{level.value}.wav"


def sound_suffix(data: bytes) -> str:
    """The file name ending for a recording, from its first bytes (libvlc looks inside
    anyway; the ending only helps it choose)."""
    if data.startswith(b"OggS"):
        return ".ogg"
    if data.startswith(b"RIFF"):
        return ".wav"
    if data.startswith(b"fLaC"):
        return ".flac"
    return ".mp3"


class VoiceGuide:
    """Decides which prompt to speak, and speaks it when voice guidance is on."""

    def __init__(
        self, voice: Voice, prompt_dirs: Sequence[Path], scratch: Path | None = None
    ) -> None:
        """*scratch*: a folder of the box's own where recordings that come as bytes (an
        alert's voice) and the pauses between an alert's rounds are written to be
        played; ``None``: alerts sound their level's bundled sentence, without pause."""
        self._voice = voice
        self._dirs = list(prompt_dirs)
        self._scratch = scratch
        self._player: SoundPlayer | None = None
        self._pending: tuple[list[Path], int, bool] | None = None
        self._ringing = False
        self._alarm: list[Path] | None = None
        """The alert's row of sounds while one sounds (chime, message, pause)."""
        self._alarm_of: tuple[str, int] | None = None
        self._reading = False
        self._missing_reported: set[str] = set()
        self._speaker: str | None = None

    def reconfigure(self, voice: Voice, prompt_dirs: Sequence[Path]) -> None:
        """A new configuration: its voice settings and prompt folders (its language)."""
        self._voice = voice
        self._dirs = list(prompt_dirs)
        self._missing_reported.clear()

    def prompt_for(self, tile: Tile) -> Path | None:
        """The prompt file for *tile*, or ``None`` (guidance off, none named, none found)."""
        if not self._voice.enabled or tile.prompt is None:
            return None
        for folder in self._dirs:
            candidate = folder / tile.prompt
            if candidate.is_file():
                return candidate
        if tile.prompt not in self._missing_reported:
            self._missing_reported.add(tile.prompt)
            log.warning("voice prompt %s for tile %s not found", tile.prompt, tile.id)
        return None

    def announce(self, tile: Tile) -> None:
        """Speak *tile*'s prompt (or queue it until a player is attached)."""
        prompt = self.prompt_for(tile)
        if prompt is None:
            return
        self._play(prompt, self._voice.volume)

    def ring(self, on: bool) -> None:
        """Ring (a chime and "전화가 왔습니다", over and over) while a call waits to
        be answered, whether or not voice guidance is on; *on* ``False`` stops it."""
        if on == self._ringing:
            return
        self._ringing = on
        if not on:
            if self._alarm is not None:
                self._play_all(self._alarm, self._loud, repeat=True)
            else:
                self._stop()
            return
        sound = self._find(RING)
        if sound is None:
            log.warning("no ring sound (%s) in %s", RING, self._dirs)
            return
        self._play(sound, self._loud, repeat=True)

    @property
    def _loud(self) -> int:
        return max(self._voice.volume, RING_VOLUME)

    def alarm(self, alert: Alert | None) -> None:
        """Sound *alert* until ``alarm(None)``: a chime, its recording (or, without one,
        its level's bundled sentence), a pause of :data:`ALARM_PAUSE_S`, and again;
        loud, whether or not voice guidance is on. The same alert again changes nothing."""
        key = None if alert is None else (alert.id, alert.seq)
        if key == self._alarm_of:
            return
        self._alarm_of = key
        if alert is None:
            self._alarm = None
            if not self._ringing:
                self._stop()
            return
        row = self._alarm_row(alert)
        self._alarm = row or None
        if not row:
            log.warning("no sound for alert %s in %s", alert.id, self._dirs)
            return
        log.info(
            "alert %s sounding: %s, over and over",
            alert.id,
            ", ".join(path.name for path in row),
        )
        if not self._ringing:
            self._play_all(row, self._loud, repeat=True)

    def _alarm_row(self, alert: Alert) -> list[Path]:
        message = None
        if alert.voice is not None:
            message = self._write(f"alert-voice{sound_suffix(alert.voice)}", alert.voice)
        if message is None:
            message = self._find(level_prompt(alert.level))
        row = [path for path in (self._find(CHIME), message) if path is not None]
        pause = self._pause(ALARM_PAUSE_S[alert.level])
        return [*row, pause] if row and pause is not None else row

    def read(self, recording: Path | bytes | None) -> None:
        """Read a notice aloud once: its *recording* (a file, or bytes to write first);
        ``None``: silence (and whatever was being read stops). Never over a ringing call
        or an alert."""
        if self._ringing or self._alarm is not None:
            return
        path = recording
        if isinstance(recording, bytes):
            path = self._write(f"reading{sound_suffix(recording)}", recording)
        if isinstance(path, Path):
            self._reading = True
            self._play(path, self._voice.volume)
        elif self._reading:
            self.quiet()

    def quiet(self) -> None:
        """Stop reading a notice (the senior left it)."""
        if self._reading:
            self._reading = False
            if not self._ringing and self._alarm is None:
                self._stop()

    def _write(self, name: str, data: bytes) -> Path | None:
        """*data* as *name* in the scratch folder, to be played; ``None`` if it cannot be."""
        if self._scratch is None:
            return None
        path = self._scratch / name
        try:
            if not path.is_file() or path.read_bytes() != data:
                # A scratch copy (the alert is kept by the board and the broker): no
                # fsync, which could hold the GUI thread on a slow card for a moment.
                self._scratch.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{name}.tmp")
                tmp.write_bytes(data)
                tmp.replace(path)
        except OSError as err:
            log.error("cannot write %s to play it: %s", path, err)
            return None
        return path

    def _pause(self, seconds: int) -> Path | None:
        """A silent WAV of *seconds* in the scratch folder (made once)."""
        if self._scratch is None:
            return None
        path = self._scratch / f"pause-{seconds}s.wav"
        if path.is_file():
            return path
        rate = 8000
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            self._scratch.mkdir(parents=True, exist_ok=True)
            with wave.open(str(tmp), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(1)
                out.setframerate(rate)
                out.writeframes(b"\x80" * rate * seconds)  # 8-bit silence is 128
            tmp.replace(path)
        except OSError as err:
            log.error("cannot write %s: %s", path, err)
            return None
        return path

    def _stop(self) -> None:
        self._reading = False
        if self._player is None:
            self._pending = None
        else:
            self._player.stop()

    def bundled(self, name: str) -> Path | None:
        """The prompt file *name* in the prompt folders (``None``: not there)."""
        return self._find(name)

    def _find(self, name: str) -> Path | None:
        for folder in self._dirs:
            if (folder / name).is_file():
                return folder / name
        return None

    def _play(self, path: Path, volume: int, repeat: bool = False) -> None:
        if self._player is None:
            self._pending = ([path], volume, repeat)
            return
        self._player.play(path, volume, repeat)

    def _play_all(self, paths: list[Path], volume: int, repeat: bool) -> None:
        if self._player is None:
            self._pending = (paths, volume, repeat)
            return
        self._player.play_all(paths, volume, repeat)

    def speaker_test(self) -> bool:
        """The technician's speaker test: a tone, then a sentence, at full volume,
        whether or not guidance is on. ``False`` when there is no player yet."""
        sound = self._find(SPEAKER_TEST)
        if sound is None or self._player is None:
            return False
        self._player.play(sound, 100)
        return True

    def attach(self, player: SoundPlayer) -> None:
        """Hand over the player (once it has started); plays a queued prompt."""
        self._player = player
        if self._speaker is not None:
            player.use_speaker(self._speaker)
        pending, self._pending = self._pending, None
        if pending is None:
            return
        paths, volume, repeat = pending
        if len(paths) == 1:
            player.play(paths[0], volume, repeat)
        else:
            player.play_all(paths, volume, repeat)

    def use_speaker(self, device: str) -> None:
        """Prompts, the ring and the speaker test play on *device* (also once the
        player has started, if not yet)."""
        self._speaker = device
        if self._player is not None:
            self._player.use_speaker(device)

    def close(self) -> None:
        """Release the player. Safe to call twice."""
        player, self._player = self._player, None
        if player is not None:
            player.close()
