"""``kiosk-provision broker-config``, ``status``, ``alert`` and ``alerts``: the fleet
channel for technicians."""

import argparse
import time
from pathlib import Path

from kiosk_provisioning.broker.centres import BuiltCentre, built_configs
from kiosk_provisioning.broker.config import (
    BrokerAddress,
    parse_url,
    tools_address,
    write_broker_config,
)
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.broker.status import (
    STATUS_FILTERS,
    fleet_states,
    render_json,
    render_table,
    select,
    summary,
)
from kiosk_provisioning.identity.directory import identity_folder


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The fleet channel's commands, on ``kiosk-provision``'s parser."""
    config = commands.add_parser("broker-config")
    config.add_argument("repo", type=Path, metavar="REPO")
    config.add_argument("--url", required=True, help="mqtts://HOST[:PORT], as boxes reach it")
    config.add_argument("--out", type=Path, required=True, metavar="DIR")
    config.add_argument("--listen", default="", metavar="IP", help="default: every address")
    config.add_argument("--state", type=Path, default=Path("/var/lib/kiosk-broker"))
    config.add_argument(
        "--tools-port", type=int, default=8884, help="city hall's tools, on 127.0.0.1"
    )
    status = commands.add_parser("status")
    status.add_argument("repo", type=Path, metavar="REPO")
    status.add_argument("--offline", action="store_true", help="offline or never connected")
    status.add_argument("--problems", action="store_true", help="anything to look at")
    status.add_argument("--district", action="append", default=[], metavar="D")
    status.add_argument("--json", action="store_true")
    status.add_argument("--broker", metavar="URL", help="default: what broker-config recorded")


def broker_of(repo: Path, url: str | None) -> BrokerAddress:
    return parse_url(url) if url else tools_address(repo)


def run_broker_command(args: argparse.Namespace) -> int:
    if args.command == "broker-config":
        setup = write_broker_config(
            args.repo, args.url, args.out, args.listen, args.state, args.tools_port
        )
        print(f"{setup.conf} written: boxes connect to {setup.boxes.url} (their fleet.broker),")
        print(f"city hall's tools to {setup.tools.url}; mosquitto's state in {args.state}")
        return 0
    if args.command == "status":
        return _status(args)
    raise AssertionError(args.command)


def _status(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    configs = built_configs(args.repo)
    centres = [BuiltCentre(c.centre.id, c.centre.name, c.centre.district) for c in configs]
    revisions = {c.centre.id: c.revision for c in configs}
    address = broker_of(args.repo, args.broker)
    with HallSession.open(address, identity_folder(args.repo)) as hall:
        messages = hall.retained(STATUS_FILTERS)
    rows = fleet_states(messages, centres, revisions)
    shown = select(rows, args.offline, args.problems, args.district)
    if args.json:
        print(render_json(shown))
        return 0
    print(render_table(shown))
    print(f"{summary(rows)} ({time.perf_counter() - started:.1f} s)")
    return 0
