"""The example city (``provisioning/examples/``) as ``scripts/cityhall`` runs it on one
machine: where its services listen, a copy of its fleet naming them, and its
repository made, built and published."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kiosk_demo.network import PrivateNetwork
from kiosk_demo.processes import BIN, provision

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "provisioning" / "examples"
GATE_PORT = 8989
"""The call gate's listener for boxes (client certificates)."""
STAFF_PORT = 8990
"""The call gate's listener for staff browsers (staff passes)."""


@dataclass(frozen=True)
class Ports:
    """Where this machine's services listen (all TLS)."""

    console: int = 8443
    """Staff browsers: the console (and the gate under ``/gate/``)."""
    repository: int = 8444
    """Boxes: the signed repository (mutual TLS)."""
    identity: int = 8445
    """Boxes: enrolment, renewals, TURN logins."""
    broker: int = 8883
    """Boxes: the fleet's broker."""
    tools: int = 8884
    """City hall's tools: the broker's own listener (127.0.0.1)."""
    console_app: int = 8070
    """The console itself, behind nginx (127.0.0.1)."""


@dataclass(frozen=True)
class Addresses:
    """Where everything is, as boxes and browsers reach it."""

    host: str
    """The console's host name as browsers reach it."""
    ports: Ports
    network: PrivateNetwork

    @property
    def console_url(self) -> str:
        return f"https://{self.host}:{self.ports.console}/"

    @property
    def gate_staff_url(self) -> str:
        """The gate's staff listener as a browser reaches it: the console's origin."""
        return f"wss://{self.host}:{self.ports.console}/gate/"

    @property
    def repository_url(self) -> str:
        return f"https://127.0.0.1:{self.ports.repository}"

    @property
    def identity_url(self) -> str:
        return f"https://127.0.0.1:{self.ports.identity}"

    @property
    def broker_url(self) -> str:
        return f"mqtts://127.0.0.1:{self.ports.broker}"

    @property
    def tools_url(self) -> str:
        return f"mqtts://127.0.0.1:{self.ports.tools}"

    @property
    def gate_url(self) -> str:
        return f"wss://{self.network.server_address}:{GATE_PORT}/"


def city_fleet(folder: Path, addresses: Addresses, turn_url: str) -> Path:
    """A copy of the example fleet in *folder* naming this machine's call server,
    TURN server and broker (everything else as the example city has it)."""
    fleet = folder / "fleet"
    shutil.copytree(EXAMPLES / "fleet", fleet)
    path = fleet / "fleet.json"
    defaults = json.loads(path.read_text())
    calls = defaults.setdefault("calls", {})
    calls["server"] = addresses.gate_url
    calls["ice_servers"] = [{"urls": turn_url}]
    defaults["fleet"] = {**defaults.get("fleet", {}), "broker": addresses.broker_url}
    path.write_text(json.dumps(defaults, ensure_ascii=False, indent=2) + "\n")
    return fleet


def publish_city(repo: Path, fleet: Path) -> str:
    """Put the example city's media into *repo*, build every centre, publish; what
    ``build`` said."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [str(EXAMPLES / "add-media"), str(repo), str(fleet / "fleet.json")],
        env=env,
        check=True,
        capture_output=True,
    )
    inventory = str(EXAMPLES / "centres.csv")
    built = provision("build", str(repo), "--fleet", str(fleet), "--inventory", inventory)
    provision("publish", str(repo))
    return built.strip()
