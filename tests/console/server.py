"""The console as staff reach it in the tests: ``kiosk-provision console serve`` run as
its own process on loopback (plain HTTP; nginx's TLS in front is checked on its own),
with accounts made by ``kiosk-provision console add-staff``."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import requests

from kiosk_provisioning.console.models import Role

KIOSK_PROVISION = Path(sys.executable).with_name("kiosk-provision")
WAIT_S = 20.0
PASSWORD = "경로당-콘솔-2026"
"""Every test account's password unless a test gives another (≥ 10 characters)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def provision(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``kiosk-provision ARGV`` as a technician runs it; fails the test on an error."""
    done = subprocess.run(
        [str(KIOSK_PROVISION), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"kiosk-provision {' '.join(argv)}:\n{done.stderr}"
    return done


class ConsoleServer:
    """One console on 127.0.0.1: :attr:`url`; ``with`` starts and stops it."""

    def __init__(
        self,
        repo: Path,
        folder: Path,
        broker_url: str | None = None,
        gate_url: str = "",
        secure_cookies: bool = False,
    ) -> None:
        self.repo = repo
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.database = f"sqlite:///{folder / 'console.db'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "console.log"
        self._broker = broker_url
        self._gate = gate_url
        self._secure = secure_cookies
        """As in the field (cookies only over HTTPS): only behind nginx's TLS."""
        self._process: subprocess.Popen[bytes] | None = None

    def add_staff(
        self, login: str, name: str, *roles: Role, password: str = PASSWORD, department: str = ""
    ) -> None:
        role_args = [arg for role in roles for arg in ("--role", role.value)]
        provision(
            "console", "add-staff", str(self.repo), "--database", self.database,
            "--login", login, "--name", name, "--department", department,
            "--password-stdin", *role_args, stdin=password + "\n",
        )  # fmt: skip

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        argv = [
            str(KIOSK_PROVISION), "console", "serve", str(self.repo),
            "--database", self.database, "--listen", f"127.0.0.1:{self.port}",
            "--gate-url", self._gate,
        ]  # fmt: skip
        argv += [] if self._secure else ["--insecure-cookies"]
        argv += ["--broker", self._broker] if self._broker else ["--no-broker"]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_S
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the console did not start:\n{self.log()[-3000:]}")
            time.sleep(0.05)  # polling its port, with a deadline

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> "ConsoleServer":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Clerk:
    """A member of staff at the console without a browser: a ``requests`` session
    that asks for pages (``Accept: text/html``) and does not follow redirects."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Accept"] = "text/html"

    def get(self, path: str, **options: object) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=WAIT_S, **options)  # type: ignore[arg-type]

    def post(self, path: str, **options: object) -> requests.Response:
        return self.http.post(self.url + path, allow_redirects=False, timeout=WAIT_S, **options)  # type: ignore[arg-type]

    def csrf(self, path: str = "/login") -> str:
        """The CSRF token of this session, from *path*'s ``<meta name="csrf-token">``."""
        page = self.get(path)
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert found, f"{path} ({page.status_code}) has no csrf-token"
        return found.group(1)

    def send(self, path: str, **fields: str | list[str]) -> requests.Response:
        """A form of *fields* POSTed to *path* with this session's CSRF token."""
        return self.post(path, data={"csrf_token": self.csrf(), **fields})

    def sign_in(self, login: str, password: str = PASSWORD) -> requests.Response:
        return self.send("/login", login=login, password=password)

    @classmethod
    def signed_in(cls, url: str, login: str, password: str = PASSWORD) -> "Clerk":
        clerk = cls(url)
        answer = clerk.sign_in(login, password)
        assert answer.status_code == 302, f"{login} could not sign in: {answer.status_code}"
        return clerk

    def is_signed_in(self) -> bool:
        return self.get("/password").status_code == 200
