"""Shared test set-up: Qt offscreen, no unexpected warnings, throwaway paths."""

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kiosk.paths import Paths, default_assets
from kiosk_contract.config import KioskConfig, read_config

ASSETS = default_assets()
DEMO_CONFIG = ASSETS / "demo" / "config.json"


@pytest.fixture(autouse=True)
def no_unexpected_warnings(
    caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[None]:
    """A warning or error in the log fails the test unless it is marked ``allow_warnings``."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("allow_warnings"):
        return
    loud = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert not loud, "unexpected log warnings: " + "; ".join(r.getMessage() for r in loud)


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


@pytest.fixture(autouse=True)
def stop_signals_unblocked() -> None:
    """Every test starts with SIGTERM, SIGINT and SIGHUP unblocked in this thread.

    A child inherits its parent's signal mask, and a service started with SIGTERM
    blocked (mosquitto, nginx, Janus) ignores its stop: the CI run of 2026-11-29 had
    every broker test fail with "mosquitto did not stop" after something earlier in
    the run left SIGTERM blocked in pytest's main thread. Whatever did it, no test
    inherits it."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, set()) & STOP_SIGNALS
    if blocked:
        logging.getLogger(__name__).info("unblocking %s left blocked by an earlier test", blocked)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    """Empty etc and state folders, and the real bundled assets."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "state").mkdir()
    return Paths(tmp_path / "etc", tmp_path / "state", ASSETS)


@pytest.fixture
def demo_config() -> KioskConfig:
    return read_config(DEMO_CONFIG)


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
