"""Mixing what the far sides say: one passes through, several are summed."""

import array
import fractions

from av import AudioFrame

from kiosk.calls.speaker import CHUNK, MAX_BACKLOG, RATE, Mixer


def sound(*samples: int) -> AudioFrame:
    frame = AudioFrame(format="s16", layout="mono", samples=len(samples))
    frame.planes[0].update(array.array("h", samples).tobytes())
    frame.sample_rate = RATE
    frame.time_base = fractions.Fraction(1, RATE)
    frame.pts = 0
    return frame


def taken(mixer: Mixer, count: int) -> list[int]:
    return list(array.array("h", mixer.take(count)))


def test_nobody_speaking_is_silence() -> None:
    assert taken(Mixer(), CHUNK) == [0] * CHUNK


def test_one_far_side_passes_through_unchanged_and_is_padded_with_silence() -> None:
    mixer = Mixer()
    mixer.hear("hall", sound(100, -200, 300))
    assert mixer.pending() == 3
    assert taken(mixer, 5) == [100, -200, 300, 0, 0]
    assert mixer.pending() == 0


def test_two_far_sides_are_summed_and_clipped() -> None:
    mixer = Mixer()
    mixer.hear("host", sound(1000, 30000, -30000))
    mixer.hear("centre", sound(500, 10000, -10000))
    assert taken(mixer, 3) == [1500, 32767, -32768]


def test_volume_scales_the_far_side() -> None:
    mixer = Mixer()
    assert mixer.change_volume(-50) == 50
    mixer.hear("hall", sound(1000, -1000))
    assert taken(mixer, 2) == [500, -500]
    assert mixer.change_volume(-100) == 10  # never silent by the buttons
    assert mixer.change_volume(500) == 150


def test_a_far_side_sending_too_fast_loses_its_oldest_sound() -> None:
    mixer = Mixer()
    for value in range(3):
        mixer.hear("hall", sound(*[value] * (MAX_BACKLOG // 2)))
    assert mixer.pending() == MAX_BACKLOG
    assert taken(mixer, MAX_BACKLOG) == [1] * (MAX_BACKLOG // 2) + [2] * (MAX_BACKLOG // 2)


def test_a_forgotten_far_side_is_no_longer_heard() -> None:
    mixer = Mixer()
    mixer.hear("hall", sound(7, 7))
    mixer.forget("hall")
    assert taken(mixer, 2) == [0, 0]
