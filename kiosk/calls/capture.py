"""Reading the chosen camera or microphone for calls through an ffmpeg child process.

Why a child and not PyAV in-process: the PyAV wheel aiortc uses is built without
V4L2, and a device yanked mid-read then fails in a process of its own, not in
the kiosk. The child writes raw pictures or sound to a pipe that the asyncio
loop reads (``loop.add_reader``: no thread, works under qasync). A device is
opened only while a call needs it, so the camera's light is on only in calls.
A child that ends while its device is still chosen (unplugged before udev says
so, busy) is started again every :data:`RETRY_S`.
"""

import asyncio
import logging
import os
import subprocess
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

RETRY_S = 1.0
READ_BYTES = 1 << 20


class Capture:
    """Owns one ffmpeg child (at most) and its pipe; GUI/asyncio thread only.

    *deliver* gets every *chunk* bytes the child writes, in order.
    """

    def __init__(
        self,
        what: str,
        output: Sequence[str],
        chunk: int,
        deliver: Callable[[bytes], None],
    ) -> None:
        self.what = what
        self._output = list(output)
        self._chunk = chunk
        self._deliver = deliver
        self._input: tuple[str, ...] | None = None
        self._wanted = False
        self._child: subprocess.Popen[bytes] | None = None
        self._pending = bytearray()
        self._retry: asyncio.TimerHandle | None = None
        self.last_chunk = 0.0
        """``time.monotonic()`` of the newest chunk (0: none since the last start)."""

    @property
    def running(self) -> bool:
        return self._child is not None

    def use(self, source: Sequence[str] | None) -> None:
        """Read from *source* (ffmpeg input arguments) from now on; ``None``: nothing."""
        wanted = tuple(source) if source is not None else None
        if wanted == self._input:
            return
        self._input = wanted
        if self._wanted:
            self._end()
            self._spawn()

    def start(self) -> None:
        """A call needs the device: read it (if one is chosen) until :meth:`stop`."""
        if not self._wanted:
            self._wanted = True
            self._spawn()

    def stop(self) -> None:
        self._wanted = False
        self._end()

    def _spawn(self) -> None:
        self._retry = None
        if not self._wanted or self._input is None or self._child is not None:
            return
        command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
        command += [*self._input, *self._output]
        try:
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as err:
            log.error("cannot read the %s: %s", self.what, err)
            self._again()
            return
        assert child.stdout is not None and child.stderr is not None
        os.set_blocking(child.stdout.fileno(), False)
        os.set_blocking(child.stderr.fileno(), False)
        self._child = child
        self.last_chunk = 0.0
        asyncio.get_running_loop().add_reader(child.stdout.fileno(), self._readable)

    def _readable(self) -> None:
        child = self._child
        assert child is not None and child.stdout is not None
        try:
            data = os.read(child.stdout.fileno(), READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._ended(child)
            return
        self._pending += data
        whole = len(self._pending) - len(self._pending) % self._chunk
        if whole:
            self.last_chunk = time.monotonic()
            for start in range(0, whole, self._chunk):
                self._deliver(bytes(self._pending[start : start + self._chunk]))
            del self._pending[:whole]

    def _ended(self, child: "subprocess.Popen[bytes]") -> None:
        assert child.stderr is not None
        try:
            said = child.stderr.read() or b""
        except OSError:
            said = b""
        self._end()
        reason = said.decode(errors="replace").strip().splitlines()[-1:] or ["it stopped"]
        log.warning("the %s stopped: %s", self.what, reason[0])
        self._again()

    def _again(self) -> None:
        if self._wanted and self._input is not None and self._retry is None:
            self._retry = asyncio.get_running_loop().call_later(RETRY_S, self._spawn)

    def _end(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        child, self._child = self._child, None
        self._pending.clear()
        if child is None:
            return
        assert child.stdout is not None and child.stderr is not None
        asyncio.get_running_loop().remove_reader(child.stdout.fileno())
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
