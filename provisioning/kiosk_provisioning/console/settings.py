"""The console's settings, read once at start (``kiosk-provision console serve``)."""

from dataclasses import dataclass
from pathlib import Path

from kiosk_provisioning.broker.config import BrokerAddress


def console_folder(repo: Path) -> Path:
    """Where the console keeps its database (SQLite) and cookie key: ``REPO/console``."""
    return repo / "console"


def default_database(repo: Path) -> str:
    return f"sqlite:///{console_folder(repo) / 'console.db'}"


@dataclass(frozen=True)
class ConsoleSettings:
    repo: Path
    """City hall's fleet repository (``kiosk-provision init``): centres, identity, keys."""
    database_url: str
    """SQLAlchemy URL: ``sqlite:///…`` by default, ``postgresql+psycopg://…`` when a city
    runs PostgreSQL."""
    broker: BrokerAddress | None = None
    """City hall's tools listener of the fleet broker; ``None``: no fleet channel (the
    fleet page then says so)."""
    gate_url: str = ""
    """The call gate's staff listener as the browser reaches it (``wss://…``), given to
    janus.js; empty: calls are not set up (the call pages say so)."""
    secure_cookies: bool = True
    """Cookies only over HTTPS (nginx terminates TLS); off only for tests on loopback."""
    lock_after: int = 5
    """Wrong passwords in a row that lock an account."""
    lock_minutes: int = 15
    """How long a locked account stays locked (an administrator may unlock it sooner)."""
    session_hours: int = 12
    """A sign-in lasts a working day at most."""
    timezone: str = "Asia/Seoul"
    """City hall's time zone: the times staff read (last sign-in, locked until), whatever
    zone the server itself runs in."""

    @property
    def folder(self) -> Path:
        return console_folder(self.repo)
