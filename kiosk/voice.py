"""Spoken guidance: a short Korean prompt when a tile is pressed. Qt-free.

Prompts are sound files named by the tile's configuration. They are looked up
in the prompt folders in order (downloaded media first, then the bundled
defaults for the screen's language). The player is slow to start (libvlc loads
its plugins), so the kiosk paints first and hands the player over later with
:meth:`VoiceGuide.attach`; a prompt asked for before then plays once it is.
"""

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kiosk_contract.config.model import Tile, Voice

log = logging.getLogger(__name__)


class SoundPlayer(Protocol):
    """Plays short sound files. Methods are called from the GUI thread and return at once."""

    def play(self, path: Path, volume: int, repeat: bool = False) -> None:
        """Start *path* at *volume* percent, cutting off whatever was playing;
        with *repeat*, over and over until something else plays or :meth:`stop`."""

    def stop(self) -> None:
        """Stop whatever is playing."""

    def close(self) -> None:
        """Stop and release the device. Safe to call twice."""

    def use_speaker(self, device: str) -> None:
        """Play on the ALSA *device* from now on."""


SPEAKER_TEST = "speaker-test.wav"
RING = "ring.wav"
RING_VOLUME = 90
"""A call rings at least this loud (percent), voice guidance on or off."""


class VoiceGuide:
    """Decides which prompt to speak, and speaks it when voice guidance is on."""

    def __init__(self, voice: Voice, prompt_dirs: Sequence[Path]) -> None:
        self._voice = voice
        self._dirs = list(prompt_dirs)
        self._player: SoundPlayer | None = None
        self._pending: tuple[Path, int, bool] | None = None
        self._ringing = False
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
            if self._pending is not None and self._pending[2]:
                self._pending = None
            elif self._player is not None:
                self._player.stop()
            return
        sound = self._find(RING)
        if sound is None:
            log.warning("no ring sound (%s) in %s", RING, self._dirs)
            return
        self._play(sound, max(self._voice.volume, RING_VOLUME), repeat=True)

    def _find(self, name: str) -> Path | None:
        for folder in self._dirs:
            if (folder / name).is_file():
                return folder / name
        return None

    def _play(self, path: Path, volume: int, repeat: bool = False) -> None:
        if self._player is None:
            self._pending = (path, volume, repeat)
            return
        self._player.play(path, volume, repeat)

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
        if pending is not None:
            player.play(*pending)

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
