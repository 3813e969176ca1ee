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

from kiosk.config.model import Tile, Voice

log = logging.getLogger(__name__)


class SoundPlayer(Protocol):
    """Plays short sound files. Methods are called from the GUI thread and return at once."""

    def play(self, path: Path, volume: int) -> None:
        """Start *path* at *volume* percent, cutting off whatever was playing."""

    def close(self) -> None:
        """Stop and release the device. Safe to call twice."""


SPEAKER_TEST = "speaker-test.wav"


class VoiceGuide:
    """Decides which prompt to speak, and speaks it when voice guidance is on."""

    def __init__(self, voice: Voice, prompt_dirs: Sequence[Path]) -> None:
        self._voice = voice
        self._dirs = list(prompt_dirs)
        self._player: SoundPlayer | None = None
        self._pending: Path | None = None
        self._missing_reported: set[str] = set()

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
        if self._player is None:
            self._pending = prompt
            return
        self._player.play(prompt, self._voice.volume)

    def speaker_test(self) -> bool:
        """The technician's speaker test: a tone, then a sentence, at full volume,
        whether or not guidance is on. ``False`` when there is no player yet."""
        for folder in self._dirs:
            candidate = folder / SPEAKER_TEST
            if candidate.is_file() and self._player is not None:
                self._player.play(candidate, 100)
                return True
        return False

    def attach(self, player: SoundPlayer) -> None:
        """Hand over the player (once it has started); plays a queued prompt."""
        self._player = player
        pending, self._pending = self._pending, None
        if pending is not None:
            player.play(pending, self._voice.volume)

    def detach(self) -> SoundPlayer | None:
        """Hand the player over (to the guide of a rebuilt kiosk); this guide goes quiet."""
        player, self._player = self._player, None
        return player

    def close(self) -> None:
        """Release the player. Safe to call twice."""
        player, self._player = self._player, None
        if player is not None:
            player.close()
