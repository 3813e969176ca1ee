"""A real X server (Xvfb) and the tools to look at it, for end-to-end tests."""

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
        server.wait(timeout=10)


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
