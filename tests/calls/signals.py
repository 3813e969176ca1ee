"""Reading received media in tests: the colour of a picture, the pitch of a sound."""

import array
import math

from av import AudioFrame, VideoFrame


def mean_rgb(frame: VideoFrame) -> tuple[int, int, int]:
    """The average colour of *frame* (scaled down first)."""
    small = frame.reformat(width=32, height=24, format="rgb24")
    plane = small.planes[0]
    data = bytes(plane)
    totals = [0, 0, 0]
    count = 0
    for row in range(small.height):
        line = data[row * plane.line_size : row * plane.line_size + small.width * 3]
        for i in range(0, len(line), 3):
            totals[0] += line[i]
            totals[1] += line[i + 1]
            totals[2] += line[i + 2]
            count += 1
    r, g, b = (round(t / count) for t in totals)
    return r, g, b


def near(rgb: tuple[int, int, int], wanted: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, wanted, strict=True))


def mono_samples(frame: AudioFrame) -> list[int]:
    """The first channel of *frame* as signed 16-bit samples."""
    s16 = frame.format.name in ("s16", "s16p")
    if not s16:
        raise ValueError(f"unexpected sample format {frame.format.name}")
    samples = array.array("h", bytes(frame.planes[0])[: frame.samples * 2 * _step(frame)])
    return list(samples[:: _step(frame)])


def _step(frame: AudioFrame) -> int:
    return 1 if frame.format.is_planar else len(frame.layout.channels)


def pitch_share(samples: list[int], rate: int, hertz: float) -> float:
    """How much of the signal's energy is at *hertz* (0..1), by the Goertzel filter."""
    n = len(samples)
    if n == 0:
        return 0.0
    k = round(n * hertz / rate)
    coefficient = 2 * math.cos(2 * math.pi * k / n)
    s_prev = s_prev2 = 0.0
    for x in samples:
        s = x + coefficient * s_prev - s_prev2
        s_prev2, s_prev = s_prev, s
    power = s_prev2**2 + s_prev**2 - coefficient * s_prev * s_prev2
    total = sum(x * x for x in samples) * n / 2
    return min(1.0, power / total) if total else 0.0


def steady_pitch(samples: list[int], rate: int, hertz: float, block_s: float = 0.1) -> float:
    """The median :func:`pitch_share` of *samples* cut in blocks of *block_s*.

    A sender starved of CPU skips or repeats a few milliseconds of sound now and
    then; the phase jump spoils the share of the one block it falls in, not the
    median. Silence or another tone still gives a median near 0."""
    size = round(rate * block_s)
    shares = sorted(
        pitch_share(samples[i : i + size], rate, hertz)
        for i in range(0, len(samples) - size + 1, size)
    )
    return shares[len(shares) // 2] if shares else 0.0
