"""The technician's preview on a real libvlc: one log line for its first picture, one
when the camera cannot be opened."""

import time
from pathlib import Path

import pytest

from kiosk.media.vlc_monitor import Monitor
from tests.media.conftest import HEADLESS


def wait_for_record(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10) -> None:
    """Poll the records libvlc's event thread adds until one holds *text*."""
    deadline = time.monotonic() + timeout
    while not any(text in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, f"no log line {text!r}"
        time.sleep(0.02)


def test_the_first_picture_is_logged_once(
    clips: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    monitor = Monitor(HEADLESS)
    try:
        monitor.show_camera(clips["song"].as_uri(), None)
        wait_for_record(caplog, f"camera preview showing {clips['song'].as_uri()}")
        monitor.show_camera(clips["part1"].as_uri(), None)  # as a newly chosen camera
        wait_for_record(caplog, f"camera preview showing {clips['part1'].as_uri()}")
    finally:
        monitor.close()
    lines = [r.getMessage() for r in caplog.records if "camera preview" in r.getMessage()]
    assert len(lines) == 2, lines


@pytest.mark.allow_warnings
def test_a_camera_that_cannot_be_opened_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = f"v4l2://{tmp_path}/video9"
    monitor = Monitor(HEADLESS)
    try:
        monitor.show_camera(gone, None)
        wait_for_record(caplog, f"camera preview could not show {gone}")
    finally:
        monitor.close()
    assert not any("showing" in r.getMessage() for r in caplog.records)
