"""A TURN server (Debian's coturn) beside Janus in city hall's private network,
for centres whose network blocks UDP: their calls are relayed over TCP.

As city hall runs it: no long-term user, only time-limited logins made with a
secret it shares with the identity service (coturn's ``use-auth-secret``; see
:func:`kiosk_provisioning.identity.tokens.turn_credentials`)."""

import logging
import secrets
from pathlib import Path

from kiosk_demo.daemon import Daemon
from kiosk_demo.network import PrivateNetwork

log = logging.getLogger(__name__)

PORT = 3478


class TurnServer(Daemon):
    """coturn in *network*'s namespace accepting logins made with *secret* (city hall's
    ``turn.secret``; a random one if none is given), each valid until the time in its
    username."""

    name = "turnserver"

    def __init__(self, network: PrivateNetwork, folder: Path, secret: str | None = None) -> None:
        super().__init__(network)
        self.folder = folder
        self.secret = secret or secrets.token_hex(32)

    def login(self, who: str, ttl_s: int = 3600) -> tuple[str, str]:
        """A username and password for *who*, valid *ttl_s* seconds (as the identity
        service gives a box)."""
        from kiosk_provisioning.identity.tokens import turn_credentials

        return turn_credentials(self.secret, who, ttl_s)

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
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
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
