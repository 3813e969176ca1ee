"""A real X server (Xvfb) and the tools to look at it, for end-to-end tests."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kiosk.ui.qt import QImage


@contextmanager
def xvfb(width: int = 1920, height: int = 1080) -> Iterator[str]:
    """Start Xvfb on a free display; yields ``:N`` once it accepts clients."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=[write_fd],
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        # Xvfb writes its display number once it is ready: no guessing, no sleep.
        with os.fdopen(read_fd) as announced:
            number = announced.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()  # never leave an X server behind for the next test
            server.wait()


def screenshot(display: str) -> QImage:
    """The whole screen, via ImageMagick's ``import``."""
    png = subprocess.run(
        ["import", "-display", display, "-window", "root", "png:-"],
        capture_output=True,
        check=True,
    ).stdout
    image = QImage.fromData(png)
    assert not image.isNull(), "import gave no picture"
    return image


def xdotool(display: str, *args: str) -> str:
    return subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll *condition* until true; fail with *what* after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def colour_share(image: QImage, colour: str, step: int = 6) -> tuple[float, float, float]:
    """Fraction of sampled pixels of exactly *colour*, and their mean x and y."""
    target = colour.lower()
    hits = total = 0
    sum_x = sum_y = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            total += 1
            if image.pixelColor(x, y).name() == target:
                hits += 1
                sum_x += x
                sum_y += y
    if not hits:
        return 0.0, 0.0, 0.0
    return hits / total, sum_x / hits, sum_y / hits


def tools_present() -> bool:
    return all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "import"))


@dataclass
class RunningKiosk:
    """``kiosk`` running as its own process on an X server, with its log."""

    display: str
    process: "subprocess.Popen[bytes]"
    log: Path
    shots: Path
    notify: socket.socket

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 20) -> None:
        """Wait for a log line holding *text*; on timeout the failure shows the end of
        the log and the screen is kept as ``timeout.png``."""
        self._wait(lambda: text in self.log_text(), timeout, f"log line {text!r}")

    def see(self, condition: Callable[[QImage], bool], what: str, timeout: float = 30) -> None:
        """Wait until a screenshot meets *condition*; on timeout as :meth:`wait_log`."""
        self._wait(lambda: condition(screenshot(self.display)), timeout, what)

    def _wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            wait_for(condition, timeout, what)
        except AssertionError as timed_out:
            with contextlib.suppress(subprocess.CalledProcessError, AssertionError):
                self.shot("timeout")  # the screen as it was, if the X server still is
            tail = "\n".join(self.log_text().splitlines()[-30:])
            raise AssertionError(f"{timed_out}; the kiosk's log ends:\n{tail}") from None

    def wait_ready(self) -> None:
        """systemd's readiness protocol: READY=1 once a screen is painted (watchdog
        pings may come before it)."""
        while (message := self.notify.recv(4096)) != b"READY=1":
            assert message == b"WATCHDOG=1", (message, self.log_text())

    def shot(self, name: str) -> QImage:
        image = screenshot(self.display)
        image.save(str(self.shots / f"{name}.png"))
        return image


@contextmanager
def running_kiosk(
    display: str,
    tmp_path: Path,
    args: list[str],
    env: dict[str, str] | None = None,
) -> Iterator[RunningKiosk]:
    """Start ``kiosk ARGS`` on *display*; yields once it reports READY=1."""
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(60)
    log = tmp_path / "kiosk.log"
    full_env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "NOTIFY_SOCKET": str(notify_path),
        "KIOSK_STATE_DIR": str(tmp_path / "state"),
        "KIOSK_VLC_ARGS": "--aout=dummy",
        **(env or {}),
    }
    kiosk_bin = Path(sys.executable).parent / "kiosk"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [kiosk_bin, *args], env=full_env, stderr=log_file, stdout=log_file
        )
    shots = tmp_path / "screens"
    shots.mkdir(exist_ok=True)
    running = RunningKiosk(display, process, log, shots, notify)
    try:
        running.wait_ready()
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        notify.close()
