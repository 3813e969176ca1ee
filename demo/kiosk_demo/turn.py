"""A TURN server (Debian's coturn) beside Janus in city hall's private network,
for centres whose network blocks UDP: their calls are relayed over TCP."""

import logging
import secrets
from pathlib import Path

from kiosk_demo.daemon import Daemon
from kiosk_demo.network import PrivateNetwork

log = logging.getLogger(__name__)

PORT = 3478


class TurnServer(Daemon):
    """coturn in *network*'s namespace with one long-term credential."""

    name = "turnserver"

    def __init__(self, network: PrivateNetwork, folder: Path, user: str = "kiosk") -> None:
        super().__init__(network)
        self.folder = folder
        self.user = user
        self.password = secrets.token_hex(12)

    @property
    def url(self) -> str:
        """As the kiosk's configuration names it: TURN over TCP."""
        return f"turn:{self.network.server_address}:{PORT}?transport=tcp"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        address = self.network.server_address
        argv = [
            "turnserver",
            "-n",  # no configuration file: everything is here
            f"--listening-ip={address}",
            f"--relay-ip={address}",
            f"--listening-port={PORT}",
            "--lt-cred-mech",
            f"--user={self.user}:{self.password}",
            "--realm=cityhall",
            "--fingerprint",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-multicast-peers",
            "--simple-log",
            f"--log-file={self.folder / 'turn.log'}",
            f"--pidfile={self.folder / 'turn.pid'}",
        ]
        self.launch(argv, PORT)
        log.info("TURN up at %s", self.url)

    def __enter__(self) -> "TurnServer":
        self.start()
        return self
