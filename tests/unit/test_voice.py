"""Which prompt is spoken, with a fake player (the real one is in tests/media)."""

from pathlib import Path

import pytest

from kiosk.voice import VoiceGuide
from kiosk_contract.config import KioskConfig, Voice
from tests.conftest import ASSETS


class RecordingPlayer:
    def __init__(self) -> None:
        self.played: list[tuple[str, int]] = []
        self.looping: list[str] = []
        self.stopped = 0
        self.closed = 0
        self.speakers: list[str] = []

    def play(self, path: Path, volume: int, repeat: bool = False) -> None:
        self.played.append((path.name, volume))
        if repeat:
            self.looping.append(path.name)

    def stop(self) -> None:
        self.stopped += 1

    def close(self) -> None:
        self.closed += 1

    def use_speaker(self, device: str) -> None:
        self.speakers.append(device)


BUNDLED = [ASSETS / "voice" / "ko"]


def test_pressing_a_tile_speaks_its_prompt(demo_config: KioskConfig) -> None:
    guide = VoiceGuide(Voice(volume=70), BUNDLED)
    player = RecordingPlayer()
    guide.attach(player)
    guide.announce(demo_config.tiles[0])
    assert player.played == [("singing.wav", 70)]


def test_switch_turns_guidance_off(demo_config: KioskConfig) -> None:
    guide = VoiceGuide(Voice(enabled=False), BUNDLED)
    player = RecordingPlayer()
    guide.attach(player)
    guide.announce(demo_config.tiles[0])
    assert player.played == []


def test_prompt_before_the_player_started_plays_when_it_has(demo_config: KioskConfig) -> None:
    guide = VoiceGuide(Voice(), BUNDLED)
    guide.announce(demo_config.tiles[0])
    guide.announce(demo_config.tiles[1])
    player = RecordingPlayer()
    guide.attach(player)
    assert player.played == [("exercise.wav", 90)], "only the latest press is spoken"


def test_downloaded_prompts_win_over_bundled(demo_config: KioskConfig, tmp_path: Path) -> None:
    (tmp_path / "singing.wav").write_bytes(b"RIFF")
    guide = VoiceGuide(Voice(), [tmp_path, *BUNDLED])
    assert guide.prompt_for(demo_config.tiles[0]) == tmp_path / "singing.wav"
    assert guide.prompt_for(demo_config.tiles[1]) == BUNDLED[0] / "exercise.wav"


@pytest.mark.allow_warnings
def test_missing_prompt_is_reported_once_and_stays_silent(
    demo_config: KioskConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guide = VoiceGuide(Voice(), [tmp_path])
    player = RecordingPlayer()
    guide.attach(player)
    guide.announce(demo_config.tiles[0])
    guide.announce(demo_config.tiles[0])
    assert player.played == []
    assert caplog.text.count("singing.wav for tile singing not found") == 1


def test_every_bundled_prompt_of_the_demo_exists(demo_config: KioskConfig) -> None:
    for language in ("ko", "en"):
        for tile in demo_config.tiles:
            assert tile.prompt is not None
            assert (ASSETS / "voice" / language / tile.prompt).is_file()


def test_close_is_safe_twice() -> None:
    guide = VoiceGuide(Voice(), BUNDLED)
    player = RecordingPlayer()
    guide.attach(player)
    guide.close()
    guide.close()
    assert player.closed == 1


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_call_rings_in_a_loop_even_with_guidance_off(language: str) -> None:
    guide = VoiceGuide(Voice(enabled=False, volume=40), [ASSETS / "voice" / language])
    player = RecordingPlayer()
    guide.attach(player)
    guide.ring(True)
    guide.ring(True)  # still ringing: not started again
    assert player.played == [("ring.wav", 90)]
    assert player.looping == ["ring.wav"]
    guide.ring(False)
    assert player.stopped == 1
    guide.ring(False)
    assert player.stopped == 1


def test_a_ring_before_the_player_starts_rings_once_it_does() -> None:
    guide = VoiceGuide(Voice(volume=100), BUNDLED)
    guide.ring(True)
    player = RecordingPlayer()
    guide.attach(player)
    assert player.played == [("ring.wav", 100)]


def test_a_ring_answered_before_the_player_starts_never_sounds() -> None:
    guide = VoiceGuide(Voice(), BUNDLED)
    guide.ring(True)
    guide.ring(False)
    player = RecordingPlayer()
    guide.attach(player)
    assert player.played == []
    assert player.stopped == 0


def test_a_new_configuration_brings_its_voice_and_language(demo_config: KioskConfig) -> None:
    guide = VoiceGuide(Voice(volume=70), BUNDLED)
    player = RecordingPlayer()
    guide.attach(player)
    guide.reconfigure(Voice(volume=40), [ASSETS / "voice" / "en"])
    guide.announce(demo_config.tiles[0])
    assert player.played == [(demo_config.tiles[0].prompt, 40)]
    guide.reconfigure(Voice(enabled=False), BUNDLED)
    guide.announce(demo_config.tiles[0])
    assert len(player.played) == 1, "guidance switched off"


def test_the_speaker_chosen_before_the_player_started_is_used_once_it_has() -> None:
    guide = VoiceGuide(Voice(), BUNDLED)
    guide.use_speaker("plughw:CARD=USB,DEV=0")
    player = RecordingPlayer()
    guide.attach(player)
    guide.use_speaker("plughw:CARD=PCH,DEV=3")
    assert player.speakers == ["plughw:CARD=USB,DEV=0", "plughw:CARD=PCH,DEV=3"]
