"""One server process in city hall's private network (Janus, coturn): started,
waited for until its port answers, stopped or killed."""

import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from types import TracebackType

from kiosk_demo.network import PrivateNetwork

START_TIMEOUT_S = 15.0


class Daemon:
    """Subclasses say how to start (:meth:`launch`) and name themselves."""

    name = "server"

    def __init__(self, network: PrivateNetwork) -> None:
        self.network = network
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        raise NotImplementedError

    def launch(self, argv: Sequence[str], port: int) -> None:
        """Run *argv* inside the namespace; return once *port* accepts connections."""
        if self._process is not None and self._process.poll() is None:
            return
        self._process = subprocess.Popen(
            self.network.command(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(self.network.server_address, port):
            if self._process.poll() is not None:
                raise OSError(f"{self.name} exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                self.kill()
                raise OSError(f"{self.name} did not open port {port} in {START_TIMEOUT_S:.0f} s")
            time.sleep(0.02)

    def kill(self) -> None:
        """``kill -9``: the server vanishes as in a crash."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
        self._process.wait()
        self._process = None

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> "Daemon":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def answers(address: str, port: int) -> bool:
    """Whether something accepts TCP connections at *address*:*port*."""
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False
