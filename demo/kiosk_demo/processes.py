"""The processes ``scripts/cityhall`` starts (:mod:`kiosk_demo.townhall`): each in its
own session, its output in a log, waited for until its port answers, stopped with
SIGTERM (SIGKILL after :data:`STOP_S`)."""

import contextlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk_demo.daemon import answers

log = logging.getLogger(__name__)

BIN = Path(sys.executable).parent
"""Where the virtualenv's commands are (``kiosk``, ``kiosk-provision``)."""
START_S = 30.0
"""How long any one service may take to start."""
STOP_S = 10.0
"""How long a service may take to stop before it is killed."""


class Service:
    """One process this command started, in its own session (Ctrl+C in the terminal
    reaches only the orchestrator, which stops everything in order); its output goes
    to *log*."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, **popen: Any) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("ab") as out:
            self.process = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **popen,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_port(self, host: str, port: int, timeout_s: float = START_S) -> None:
        """Return once *port* accepts connections; ``OSError`` if the process ends or
        the port stays shut (the end of its log says why)."""
        deadline = time.monotonic() + timeout_s
        while not answers(host, port):
            if not self.running() or time.monotonic() > deadline:
                self.stop()
                raise OSError(f"{self.name} did not start; its log:\n{self.tail()}")
            time.sleep(0.05)  # polling a port, with a deadline

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after :data:`STOP_S`. Twice is harmless."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_S)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killed", self.name, STOP_S)
                self.process.kill()
        self.process.wait()


def provision(*argv: str, stdin: str = "") -> str:
    """``kiosk-provision ARGV`` as a technician runs it; its output. ``OSError`` on a
    failure, with what it said."""
    done = subprocess.run(
        [str(BIN / "kiosk-provision"), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise OSError(f"kiosk-provision {argv[0]}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def virtual_screen(folder: Path) -> tuple[Service, str]:
    """Xvfb on a free display (1920×1080); the service and its ``:N``."""
    read_end, write_end = os.pipe()
    try:
        argv = ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1920x1080x24"]
        xvfb = Service(
            "Xvfb", [*argv, "-nolisten", "tcp"], folder / "xvfb.log", pass_fds=(write_end,)
        )
        os.close(write_end)
        with os.fdopen(read_end) as numbers:
            number = numbers.readline().strip()  # Xvfb writes it once it takes clients
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(write_end)
        raise
    if not number:
        xvfb.stop()
        raise OSError(f"Xvfb did not start: {xvfb.tail()}")
    return xvfb, f":{number}"


def wait_for_line(path: Path, text: str, service: Service, timeout_s: float) -> bool:
    """Whether *text* appears in the log at *path* before *timeout_s* or the end of
    *service*."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and service.running():
        with contextlib.suppress(FileNotFoundError):
            if text in path.read_text(errors="replace"):
                return True
        time.sleep(0.1)  # polling a log, with a deadline
    return False
