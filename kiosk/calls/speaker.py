"""What the far sides say, mixed and played on the chosen speaker.

Each connection hands its decoded audio frames to :meth:`Mixer.hear` (on the
asyncio loop); one thread owned by :class:`Speaker` takes 20 ms at a time from
the mixer and writes it to ALSA, whose blocking write paces it. A speaker that
cannot be opened (none attached, the card is busy) is reported once and tried
again at the next call; the call goes on without sound rather than failing.
"""

import array
import logging
import threading

import av
from av import AudioFrame
from av.audio.resampler import AudioResampler

log = logging.getLogger(__name__)

RATE = 48_000
CHUNK = RATE // 50
"""20 ms of samples."""
SAMPLE = 2
"""Bytes in one s16 sample."""
MAX_BACKLOG = RATE // 5
"""At most 200 ms waits per source: a far side that sends faster than we play
drops its oldest sound rather than drifting into a long delay."""


class Mixer:
    """Per-source buffers of 48 kHz mono s16 sound, summed when taken. Thread-safe.

    The common case (one far side at the normal volume) is passed through as it
    came, without touching each sample in Python."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[object, bytearray] = {}
        self._resamplers: dict[object, AudioResampler] = {}
        self.volume = 100
        """Percent of the far sides' own level (10–150)."""

    def hear(self, source: object, frame: AudioFrame) -> None:
        resampler = self._resamplers.get(source)
        if resampler is None:
            resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
            self._resamplers[source] = resampler
        sound = b"".join(
            bytes(out.planes[0])[: out.samples * SAMPLE] for out in resampler.resample(frame)
        )
        with self._lock:
            buffer = self._buffers.setdefault(source, bytearray())
            buffer += sound
            if len(buffer) > MAX_BACKLOG * SAMPLE:
                del buffer[: len(buffer) - MAX_BACKLOG * SAMPLE]

    def forget(self, source: object) -> None:
        with self._lock:
            self._buffers.pop(source, None)
        self._resamplers.pop(source, None)

    def change_volume(self, delta: int) -> int:
        self.volume = max(10, min(150, self.volume + delta))
        return self.volume

    def clear(self) -> None:
        with self._lock:
            self._buffers.clear()
        self._resamplers.clear()

    def pending(self) -> int:
        """Samples waiting from every source (from the one with the fewest)."""
        with self._lock:
            return min((len(b) for b in self._buffers.values()), default=0) // SAMPLE

    def take(self, count: int = CHUNK) -> bytes:
        """*count* mixed samples (silence where nobody speaks), as s16 bytes."""
        size = count * SAMPLE
        parts = []
        with self._lock:
            for buffer in self._buffers.values():
                if buffer:
                    parts.append(bytes(buffer[:size]))
                    del buffer[:size]
        if not parts:
            return bytes(size)
        if len(parts) == 1 and self.volume == 100:
            return parts[0].ljust(size, b"\0")
        mixed = [0] * count
        for part in parts:
            for i, sample in enumerate(array.array("h", part)):
                mixed[i] += sample
        gain = self.volume / 100
        return array.array("h", (max(-32768, min(32767, int(s * gain))) for s in mixed)).tobytes()


class Speaker:
    """Plays a :class:`Mixer` on an ALSA device from its own thread while started."""

    def __init__(self, mixer: Mixer, device: str | None = "default") -> None:
        self.mixer = mixer
        self.device = device
        """The ALSA device; ``None``: no speaker attached, nothing is played."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def use(self, device: str | None) -> None:
        """Play on *device* from now on (the one playing is closed, the new one opened)."""
        if device == self.device:
            return
        playing = self._thread is not None
        self.stop()
        self.device = device
        if playing:
            self.start()

    def start(self) -> None:
        if self._thread is not None or self.device is None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._play, args=(self.device,), name="call-speaker", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=2)

    def _play(self, device: str) -> None:
        try:
            output = av.open(device, mode="w", format="alsa")
        except (av.FFmpegError, OSError) as err:
            log.error("no sound for calls: cannot open speaker %s (%s)", device, err)
            return
        try:
            stream = output.add_stream("pcm_s16le", rate=RATE, layout="mono")
            pts = 0
            while not self._stop.is_set():
                frame = AudioFrame(format="s16", layout="mono", samples=CHUNK)
                frame.planes[0].update(self.mixer.take(CHUNK))
                frame.sample_rate = RATE
                frame.pts = pts
                pts += CHUNK
                for packet in stream.encode(frame):
                    output.mux(packet)  # blocks while ALSA's buffer is full: the pace
        except (av.FFmpegError, OSError) as err:
            log.error("speaker %s stopped working: %s", device, err)
        finally:
            output.close()
