"""Fake devices through umockdev: the real libudev and pyudev see them.

These tests need the umockdev preload library, i.e. pytest running under
``umockdev-wrapper`` (``scripts/test`` does that).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOMS = Path(__file__).parent / "rooms"


def _preloaded() -> bool:
    return "libumockdev-preload" in os.environ.get("LD_PRELOAD", "")


@pytest.fixture
def testbed() -> Iterator[object]:
    """An empty UMockdev.Testbed for this test."""
    if not _preloaded():
        pytest.fail("device tests must run under umockdev-wrapper (as scripts/test runs them)")
    import gi

    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    bed = UMockdev.Testbed.new()
    yield bed
    del bed


def load_room(testbed: object, name: str) -> None:
    """Add the devices of ``rooms/<name>.umockdev``."""
    assert testbed.add_from_file(str(ROOMS / f"{name}.umockdev"))  # type: ignore[attr-defined]
