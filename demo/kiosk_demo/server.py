"""Runs Janus for the demo and the tests, inside city hall's private network."""

import logging
import sys
from pathlib import Path

from kiosk_demo.daemon import Daemon
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.janus_config import JanusSetup, write_config

log = logging.getLogger(__name__)


class JanusServer(Daemon):
    """One Janus process in *network*'s namespace, configured by *setup* in *folder*."""

    name = "janus"

    def __init__(self, network: PrivateNetwork, folder: Path, setup: JanusSetup) -> None:
        super().__init__(network)
        self.folder = folder
        self.setup = setup
        self.log_path = folder / "janus.log"
        write_config(folder, setup)

    @property
    def url(self) -> str:
        """The WebSocket API, as kiosks and browsers reach it."""
        return f"ws://{self.network.server_address}:{self.setup.ws_port}/"

    @property
    def admin_url(self) -> str:
        return f"http://{self.network.server_address}:{self.setup.admin_port}/admin"

    def start(self) -> None:
        """Start Janus and wait until its WebSocket port accepts connections."""
        folder = str(self.folder)
        config = str(self.folder / "janus.jcfg")
        argv = ["janus", "-F", folder, "-C", config, "-o", "-N", "-L", str(self.log_path)]
        self.launch(argv, self.setup.ws_port)
        log.info("janus up at %s", self.url)

    def __enter__(self) -> "JanusServer":
        self.start()
        return self


class GateServer(Daemon):
    """City hall's call gate (:mod:`kiosk_provisioning.gate`) in *network*'s namespace,
    in front of *janus* (whose token secret must be the identity folder's), with a
    server certificate from the fleet CA for the namespace's address (none if
    *plain*: staff passes only). Boxes use :attr:`url`; staff browsers
    :attr:`staff_url` (*staff_port*: TLS that asks for no client certificate, which
    Chromium's WebSockets cannot answer). Its log is ``folder/gate.log``."""

    name = "call gate"

    def __init__(
        self,
        network: PrivateNetwork,
        janus: JanusServer,
        repo: Path,
        folder: Path,
        port: int = 8989,
        plain: bool = False,
        staff_port: int | None = None,
    ) -> None:
        super().__init__(network)
        self.janus = janus
        self.repo = repo
        self.folder = folder
        self.port = port
        self.staff_port = staff_port
        self.plain = plain
        self.cert_path: Path | None = None
        """The gate's certificate (from the fleet CA), for a browser to trust."""
        self.log_path = folder / "gate.log"
        folder.mkdir(parents=True, exist_ok=True)
        self._tls: list[str] = ["--plain"]
        if not plain:
            from kiosk_provisioning.identity.authority import Authority

            authority = Authority.open(repo / "identity")
            cert, key = authority.issue_server_cert([network.server_address], folder)
            self.cert_path = cert
            self._tls = ["--cert", str(cert), "--key", str(key)]

    @property
    def url(self) -> str:
        """The gate, as kiosks and browsers reach it."""
        scheme = "ws" if self.plain else "wss"
        return f"{scheme}://{self.network.server_address}:{self.port}/"

    @property
    def staff_url(self) -> str:
        """The gate, as staff browsers reach it (its staff listener, if it has one)."""
        scheme = "ws" if self.plain else "wss"
        port = self.staff_port or self.port
        return f"{scheme}://{self.network.server_address}:{port}/"

    def start(self) -> None:
        """Start the gate and wait until it accepts connections."""
        argv = [
            sys.executable, "-m", "kiosk_provisioning.gate",
            "--repo", str(self.repo),
            "--janus", f"ws://127.0.0.1:{self.janus.setup.ws_port}",
            "--listen", f"{self.network.server_address}:{self.port}",
            "--log", str(self.log_path),
            *self._tls,
        ]  # fmt: skip
        if self.staff_port:
            argv += ["--staff-listen", f"{self.network.server_address}:{self.staff_port}"]
        self.launch(argv, self.port)
        log.info("call gate up at %s", self.url)

    def __enter__(self) -> "GateServer":
        self.start()
        return self
