"""systemd's watchdog: pings at a third of the interval, from the GUI thread only."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.systemd import watchdog_interval_s
from kiosk.ui.watchdog import start_watchdog


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def drain(sock: socket.socket) -> list[bytes]:
    messages = []
    while True:
        try:
            messages.append(sock.recv(64))
        except BlockingIOError:
            return messages


def test_no_watchdog_unless_systemd_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert watchdog_interval_s() is None
    assert start_watchdog() is None
    monkeypatch.setenv("WATCHDOG_USEC", "nonsense")
    assert watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    assert watchdog_interval_s() == 20.0


def test_pings_stop_while_the_gui_loop_is_blocked(
    qtbot: QtBot, notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "300000")
    watchdog = start_watchdog()
    assert watchdog is not None
    assert watchdog.period_ms <= 150, "at most half of systemd's interval"
    received: list[bytes] = []

    def pings() -> int:
        received.extend(drain(notify_socket))
        return len(received)

    qtbot.waitUntil(lambda: pings() >= 3)
    assert set(received) == {b"WATCHDOG=1"}
    drain(notify_socket)
    time.sleep(1.0)  # the GUI thread is stuck: a frozen screen
    assert drain(notify_socket) == [], "no ping while the GUI loop cannot turn"
    qtbot.waitUntil(lambda: drain(notify_socket) != [])  # and they resume with it
    watchdog.stop()
    watchdog.stop()
