"""Fixtures of the console's tests: a repository, the console serving it, a browser."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_provisioning.console.models import Role
from tests.console.browser import StaffAtConsole, staff_browser
from tests.console.server import ConsoleServer

SHOTS = Path(__file__).resolve().parent.parent.parent / "build" / "console-shots"
"""Where screenshots are kept for people to look at (not compared by the tests)."""


ROLE_ACCOUNTS = {
    Role.ADMIN: ("admin", "관리자", "정보통신과"),
    Role.CALLER: ("caller", "김복지", "노인복지과"),
    Role.HOST: ("host", "이회의", ""),
    Role.ALERTS: ("alerts", "박안전", "안전총괄과"),
}
"""One account per role: (login, name, department); every password is ``PASSWORD``."""


@pytest.fixture(scope="session")
def accounts_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A console database with the accounts of ROLE_ACCOUNTS, made once per test run
    by ``kiosk-provision console add-staff`` (each costs ~3 s here: a process and an
    Argon2 hash), copied for each console."""
    folder = tmp_path_factory.mktemp("accounts")
    (folder / "repo").mkdir()
    server = ConsoleServer(folder / "repo", folder / "console")
    for role, (login, name, department) in ROLE_ACCOUNTS.items():
        server.add_staff(login, name, role, department=department)
    return folder / "console"


def console_with_accounts(
    folder: Path, accounts: Path, secure_cookies: bool = False
) -> ConsoleServer:
    """A console (not started) holding a copy of *accounts* (``accounts_made``)."""
    repo = folder / "repo"
    repo.mkdir()
    server = ConsoleServer(repo, folder / "console", secure_cookies=secure_cookies)
    for made in accounts.glob("console.db*"):
        shutil.copy(made, server.folder / made.name)
    return server


@pytest.fixture
def console(tmp_path: Path, accounts_made: Path) -> Iterator[ConsoleServer]:
    """A console without a broker or calls, one account of each role (login = role)."""
    with console_with_accounts(tmp_path, accounts_made) as server:
        yield server


@pytest.fixture(scope="module")
def shared_console(
    tmp_path_factory: pytest.TempPathFactory, accounts_made: Path
) -> Iterator[ConsoleServer]:
    """The same as ``console``, shared by a module's tests (each account costs an Argon2
    process to start): for tests that leave the accounts of ROLE_ACCOUNTS as they
    found them, or make their own."""
    with console_with_accounts(tmp_path_factory.mktemp("console"), accounts_made) as server:
        yield server


@pytest.fixture
def browser(console: ConsoleServer, tmp_path: Path) -> Iterator[StaffAtConsole]:
    with staff_browser(console.url, tmp_path / "browser") as staff:
        yield staff
