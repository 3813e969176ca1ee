"""Which prompt is spoken, with a fake player (the real one is in tests/media)."""

import wave
from collections.abc import Sequence
from pathlib import Path

import pytest

from kiosk.voice import ALARM_PAUSE_S, CHIME, VoiceGuide, level_prompt
from kiosk_contract.config import KioskConfig, Voice
from kiosk_contract.fleet import Alert, Audience, Level
from tests.conftest import ASSETS


class RecordingPlayer:
    def __init__(self) -> None:
        self.played: list[tuple[str, int]] = []
        self.looping: list[str] = []
        self.stopped = 0
        self.closed = 0
        self.speakers: list[str] = []

        self.rows: list[tuple[list[Path], int, bool]] = []

    def play(self, path: Path, volume: int, repeat: bool = False) -> None:
        self.played.append((path.name, volume))
        if repeat:
            self.looping.append(path.name)

    def play_all(self, paths: Sequence[Path], volume: int, repeat: bool = False) -> None:
        self.rows.append((list(paths), volume, repeat))

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


# --- alerts and notices ------------------------------------------------------------------


def alert(level: Level = Level.EMERGENCY, voice: bytes | None = None, seq: int = 1) -> Alert:
    return Alert(
        id=f"a{seq}",
        seq=seq,
        level=level,
        text="태풍이 옵니다",
        audience=Audience(kind="all"),
        issued_at=1_000,
        expires_at=5_000,
        voice=voice,
    )


def names(row: tuple[list[Path], int, bool]) -> list[str]:
    return [path.name for path in row[0]]


def seconds(path: Path) -> float:
    with wave.open(str(path)) as sound:
        return float(sound.getnframes() / sound.getframerate())


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_alert_sound_is_bundled(language: str) -> None:
    for name in [CHIME, *(level_prompt(level) for level in Level)]:
        assert (ASSETS / "voice" / language / name).is_file(), name


@pytest.mark.parametrize("level", list(Level))
def test_an_alert_without_a_recording_sounds_its_level_loud_and_again(
    level: Level, tmp_path: Path
) -> None:
    guide = VoiceGuide(Voice(enabled=False, volume=30), BUNDLED, tmp_path)
    player = RecordingPlayer()
    guide.attach(player)
    guide.alarm(alert(level))
    assert [names(row) for row in player.rows] == [
        [CHIME, level_prompt(level), f"pause-{ALARM_PAUSE_S[level]}s.wav"]
    ]
    row, volume, repeat = player.rows[0]
    assert volume == 90 and repeat, "loud, over and over, guidance on or off"
    assert seconds(row[2]) == ALARM_PAUSE_S[level]


def test_an_emergency_sounds_most_often() -> None:
    assert ALARM_PAUSE_S[Level.EMERGENCY] < ALARM_PAUSE_S[Level.CAUTION]
    assert ALARM_PAUSE_S[Level.CAUTION] < ALARM_PAUSE_S[Level.INFO]


def test_an_alert_with_a_recording_plays_it_after_the_chime(tmp_path: Path) -> None:
    guide = VoiceGuide(Voice(volume=100), BUNDLED, tmp_path)
    player = RecordingPlayer()
    guide.attach(player)
    recording = b"OggS" + bytes(100)
    guide.alarm(alert(voice=recording))
    guide.alarm(alert(voice=recording))  # the same alert again: no new start
    assert [names(row) for row in player.rows] == [[CHIME, "alert-voice.ogg", "pause-10s.wav"]]
    assert player.rows[0][0][1].read_bytes() == recording
    assert player.rows[0][1] == 100
    guide.alarm(None)
    assert player.stopped == 1
    guide.alarm(None)
    assert player.stopped == 1


def test_a_ringing_call_cuts_in_and_the_alert_sounds_again_after(tmp_path: Path) -> None:
    guide = VoiceGuide(Voice(), BUNDLED, tmp_path)
    player = RecordingPlayer()
    guide.attach(player)
    guide.alarm(alert())
    guide.ring(True)
    assert player.looping == ["ring.wav"]
    guide.alarm(alert(Level.CAUTION, seq=2))  # a new alert during the ring waits
    assert len(player.rows) == 1
    guide.ring(False)
    assert names(player.rows[-1])[1] == level_prompt(Level.CAUTION)
    assert player.stopped == 0


def test_an_alert_before_the_player_starts_sounds_once_it_does(tmp_path: Path) -> None:
    guide = VoiceGuide(Voice(), BUNDLED, tmp_path)
    guide.alarm(alert())
    player = RecordingPlayer()
    guide.attach(player)
    assert [names(row) for row in player.rows] == [
        [CHIME, level_prompt(Level.EMERGENCY), "pause-10s.wav"]
    ]


@pytest.mark.allow_warnings
def test_a_recording_that_cannot_be_written_gives_the_level_sentence(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_bytes(b"")  # a file where the folder should be
    guide = VoiceGuide(Voice(), BUNDLED, blocked)
    player = RecordingPlayer()
    guide.attach(player)
    guide.alarm(alert(voice=b"OggS"))
    assert [names(row) for row in player.rows] == [[CHIME, level_prompt(Level.EMERGENCY)]]


def test_a_notice_is_read_once_and_stops_when_left(tmp_path: Path) -> None:
    guide = VoiceGuide(Voice(volume=60), BUNDLED, tmp_path)
    player = RecordingPlayer()
    guide.attach(player)
    recording = tmp_path / "notice.ogg"
    recording.write_bytes(b"OggS")
    guide.read(recording)
    assert player.played == [("notice.ogg", 60)] and player.looping == []
    guide.quiet()
    assert player.stopped == 1
    guide.quiet()
    assert player.stopped == 1, "nothing read: nothing to stop"
    guide.read(b"RIFF....")
    assert player.played[-1] == ("reading.wav", 60)
    guide.read(None)
    assert player.stopped == 2, "a notice without a recording: silence"


def test_no_notice_is_read_over_an_alert(tmp_path: Path) -> None:
    guide = VoiceGuide(Voice(), BUNDLED, tmp_path)
    player = RecordingPlayer()
    guide.attach(player)
    guide.alarm(alert())
    guide.read(b"RIFF")
    guide.quiet()
    assert player.played == [] and player.stopped == 0
