"""What the kiosk sends when it has no camera or microphone (and what the tests
and the demo city hall send): a steady picture of one colour and a tone or silence.

A placeholder is better than no track at all: the far side keeps its layout, and
a camera plugged in later replaces the track without a new offer.
"""

import array
import asyncio
import fractions
import math
import time
from collections.abc import Sequence

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

VIDEO_RATE = 90_000
AUDIO_RATE = 48_000
AUDIO_FRAME_S = 0.02


def yuv_of(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited-range Y, U, V of an RGB colour (what VP8 carries)."""
    r, g, b = rgb
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    u = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    v = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return round(y), round(u), round(v)


BARS = (
    (235, 235, 235),
    (235, 235, 16),
    (16, 235, 235),
    (16, 235, 16),
    (235, 16, 235),
    (235, 16, 16),
    (16, 16, 235),
)
"""A test picture's colour bars: white, yellow, cyan, green, magenta, red, blue."""


def paint_bars(size: tuple[int, int], colours: Sequence[tuple[int, int, int]]) -> VideoFrame:
    """A picture of *colours* as equal vertical bars (one colour fills it)."""
    width, height = size
    frame = VideoFrame(width=width, height=height, format="yuv420p")
    for index, plane in enumerate(frame.planes):
        columns = width if index == 0 else width // 2
        rows = height if index == 0 else height // 2
        line = bytearray(plane.line_size)
        for x in range(columns):
            colour = colours[min(len(colours) - 1, x * len(colours) // columns)]
            line[x] = yuv_of(colour)[index]
        plane.update(bytes(line) * rows)
    return frame


class Paced:
    """Hands out timestamps at a steady rate, sleeping until each is due."""

    def __init__(self, period_s: float) -> None:
        self._period = period_s
        self._start = 0.0
        self._count = -1

    async def next(self) -> int:
        """The index of the next frame, once it is due."""
        if self._count < 0:
            self._start = time.monotonic()
        self._count += 1
        wait = self._start + self._count * self._period - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return self._count


class ColourTrack(MediaStreamTrack):
    """A picture of one colour (or colour bars), *size* pixels, *fps* frames a second."""

    kind = "video"

    def __init__(
        self, rgb: tuple[int, int, int], size: tuple[int, int] = (640, 480), fps: int = 15
    ) -> None:
        super().__init__()
        self.rgb = rgb
        self._size = size
        self._fps = fps
        self._pace = Paced(1 / fps)
        self._frame = self._paint(rgb)

    def _paint(self, rgb: tuple[int, int, int]) -> VideoFrame:
        return paint_bars(self._size, [rgb])

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pace.next()
        frame = self._frame.reformat()  # a copy: the encoder owns what it is given
        frame.pts = count * VIDEO_RATE // self._fps
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        return frame


class BarsTrack(ColourTrack):
    """A test picture: colour bars (the demo city hall shows it)."""

    def _paint(self, rgb: tuple[int, int, int]) -> VideoFrame:
        return paint_bars(self._size, BARS)


class ToneTrack(MediaStreamTrack):
    """A sine tone of whole *hertz* (0: silence), 48 kHz mono, in 20 ms frames."""

    kind = "audio"

    def __init__(self, hertz: int, level: float = 0.3) -> None:
        super().__init__()
        self.hertz = hertz
        self._pace = Paced(AUDIO_FRAME_S)
        self._samples = int(AUDIO_RATE * AUDIO_FRAME_S)
        # One second holds a whole number of periods: frames are slices of it.
        step = 2 * math.pi * hertz / AUDIO_RATE
        peak = 32767 * level
        second = array.array("h", (int(peak * math.sin(step * i)) for i in range(AUDIO_RATE)))
        self._second = second.tobytes() * 2

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pace.next()
        first = count * self._samples
        frame = AudioFrame(format="s16", layout="mono", samples=self._samples)
        offset = (first % AUDIO_RATE) * 2
        frame.planes[0].update(self._second[offset : offset + self._samples * 2])
        frame.pts = first
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class Mirror(MediaStreamTrack):
    """Passes on *source*'s pictures and keeps the newest: the self-view shows what
    the far side is sent, not what the camera might be doing."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source
        self.latest: VideoFrame | None = None

    async def recv(self) -> VideoFrame:
        frame = await self.source.recv()
        assert isinstance(frame, VideoFrame)
        self.latest = frame
        return frame

    def stop(self) -> None:
        super().stop()
        self.source.stop()
