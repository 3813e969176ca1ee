"""Runs Janus for the demo and the tests, inside city hall's private network."""

import logging
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from kiosk.cityhall.janus_config import JanusSetup, write_config
from kiosk.cityhall.network import PrivateNetwork

log = logging.getLogger(__name__)

START_TIMEOUT_S = 15.0


class JanusServer:
    """One Janus process in *network*'s namespace, configured by *setup* in *folder*."""

    def __init__(self, network: PrivateNetwork, folder: Path, setup: JanusSetup) -> None:
        self.network = network
        self.folder = folder
        self.setup = setup
        self.log_path = folder / "janus.log"
        self._process: subprocess.Popen[bytes] | None = None
        write_config(folder, setup)

    @property
    def url(self) -> str:
        """The WebSocket API, as kiosks and browsers reach it."""
        return f"ws://{self.network.server_address}:{self.setup.ws_port}/"

    @property
    def admin_url(self) -> str:
        return f"http://{self.network.server_address}:{self.setup.admin_port}/admin"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start Janus and wait until its WebSocket port accepts connections."""
        if self._process is not None and self._process.poll() is None:
            return
        argv = [
            "janus",
            "-F",
            str(self.folder),
            "-C",
            str(self.folder / "janus.jcfg"),
            "-o",
            "-N",
            "-L",
            str(self.log_path),
        ]
        self._process = subprocess.Popen(
            self.network.command(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None:
                raise OSError(f"janus exited with {self._process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                self.kill()
                raise OSError(f"janus did not open its port in {START_TIMEOUT_S:.0f} s")
            time.sleep(0.02)
        log.info("janus up at %s", self.url)

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

    def _answers(self) -> bool:
        try:
            with socket.create_connection(
                (self.network.server_address, self.setup.ws_port), timeout=0.5
            ):
                return True
        except OSError:
            return False

    def __enter__(self) -> "JanusServer":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
