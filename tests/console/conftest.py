"""Fixtures of the console's tests: a repository, the console serving it, a browser."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_provisioning.console.models import Role
from tests.console.browser import StaffAtConsole, staff_browser
from tests.console.server import ConsoleServer

SHOTS = Path(__file__).resolve().parent.parent.parent / "build" / "console-shots"
"""Where screenshots are kept for people to look at (not compared by the tests)."""


@pytest.fixture
def console(tmp_path: Path) -> Iterator[ConsoleServer]:
    """A console without a broker or calls, one account of each role (login = role)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    server = ConsoleServer(repo, tmp_path / "console")
    server.add_staff("admin", "관리자", Role.ADMIN, department="정보통신과")
    server.add_staff("caller", "김복지", Role.CALLER, department="노인복지과")
    server.add_staff("host", "이회의", Role.HOST)
    server.add_staff("alerts", "박안전", Role.ALERTS, department="안전총괄과")
    with server:
        yield server


@pytest.fixture
def browser(console: ConsoleServer, tmp_path: Path) -> Iterator[StaffAtConsole]:
    with staff_browser(console.url, tmp_path / "browser") as staff:
        yield staff
