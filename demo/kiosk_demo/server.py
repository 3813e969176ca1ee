"""Runs Janus for the demo and the tests, inside city hall's private network."""

import logging
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
