"""Voice prompts through real libvlc (no sound card: libvlc's dummy output)."""

import subprocess
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.media.vlc_sound import open_sound_player
from tests.conftest import ASSETS

PROMPT = ASSETS / "voice" / "ko" / "singing.wav"


def test_a_prompt_plays_to_its_end(qtbot: QtBot) -> None:
    player = open_sound_player(["--aout=dummy"])
    try:
        player.play(PROMPT, 80)
        assert player.now_playing == PROMPT
        qtbot.waitUntil(lambda: player.state() == "ended", timeout=15_000)
    finally:
        player.close()


def test_a_new_prompt_cuts_off_the_last(qtbot: QtBot) -> None:
    player = open_sound_player(["--aout=dummy"])
    try:
        player.play(PROMPT, 80)
        qtbot.waitUntil(lambda: player.state() == "playing", timeout=15_000)
        other = ASSETS / "voice" / "ko" / "call.wav"
        player.play(other, 80)
        assert player.now_playing == other
        qtbot.waitUntil(lambda: player.state() == "ended", timeout=15_000)
    finally:
        player.close()


def test_a_ring_starts_again_at_its_end_until_stopped(qtbot: QtBot, tmp_path: Path) -> None:
    short = tmp_path / "ring.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=0.3", str(short)], check=True
    )
    player = open_sound_player(["--aout=dummy"])
    try:
        player.play(short, 80, repeat=True)
        # Read through three times over: it went round (a sound played once stops
        # at its size, see the first test's "ended").
        qtbot.waitUntil(lambda: player.bytes_read() > 3 * short.stat().st_size, timeout=15_000)
        assert player.state() == "playing"
        player.stop()
        qtbot.waitUntil(lambda: player.state() == "stopped", timeout=15_000)
    finally:
        player.close()


def test_close_twice_and_play_after_close_are_harmless(tmp_path: Path) -> None:
    player = open_sound_player(["--aout=dummy"])
    player.close()
    player.close()
    player.play(PROMPT, 80)
    assert player.state() == "closed"


def test_a_row_of_sounds_plays_in_turn_and_round_again(qtbot: QtBot, tmp_path: Path) -> None:
    """An alert's chime, its message and a pause, over and over until stopped; a prompt
    started afterwards plays alone and ends (the list does not take over again)."""
    row = []
    for name, hz in (("chime", 880), ("message", 440)):
        row.append(tmp_path / f"{name}.wav")
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f={hz}:d=1.2", str(row[-1])],
            check=True,
        )
    player = open_sound_player(["--aout=dummy"])
    try:
        player.play_all(row, 90, repeat=True)
        assert player.now_playing_all == tuple(row)
        started: list[str] = []

        def playing_now() -> str:
            current = player.current_file()
            return current.name if current is not None else ""

        def went_round() -> bool:
            name = playing_now()
            if name and (not started or started[-1] != name):
                started.append(name)
            return len(started) >= 3

        qtbot.waitUntil(went_round, timeout=15_000)
        assert started[:3] == ["chime.wav", "message.wav", "chime.wav"]
        player.play(PROMPT, 80)
        qtbot.waitUntil(lambda: player.state() == "ended", timeout=15_000)
        assert playing_now() == PROMPT.name, "the row did not come back after the prompt"
    finally:
        player.close()
