"""``kiosk-provision``: the central side's tool for technicians.

init REPO                         keys and trust root (root key kept offline)
build REPO --fleet DIR --inventory CSV [--servers TOML]   one configuration per centre
media add REPO FILE --title T --category C --duration S [--subtitles FILE]
          [--into FLEET_FILE --id ID]   also fill library entry (or notice) ID there
publish REPO                      sign and write REPO/public for any web server
refresh REPO                      re-sign the freshness timestamp (run from a timer)
rotate-key REPO ROLE              replace a signing key (boxes follow by themselves)
verify REPO                       check the published repository end to end
check FILE...                     validate configuration documents
janus-config DIR --fleet DIR --inventory CSV [--repo REPO] [--listen IP] [--public-ip IP]
                                  city hall's Janus for the fleet's rooms (token auth
                                  with the call gate's secret, rooms' keys from REPO)

code REPO CENTRE... [--replace]   one-time enrolment codes for the technician (12 digits)
codes REPO --inventory CSV --out FILE   a code for every centre without a box, as a CSV
boxes REPO [--centre ID]          which box holds which centre (certificates, revoked)
revoke REPO CENTRE                the centre's box gets nothing more (see the README)
staff-pass REPO --login L --name N [--room R] [--host] [--hours H]
                                  a staff member's pass for janus.js (its token)
server-cert REPO NAME... --out DIR   a certificate from the fleet CA for city hall's
                                  identity service or call gate (host names or IPs)
janus-configs --servers TOML --out DIR --fleet DIR --inventory CSV [--repo REPO]
                                  one Janus configuration per server of the servers
                                  file (DIR/<name>): same rooms and secrets, own keys
relay --repo REPO --servers TOML [--room N]   one town meeting across an origin and
                                  its edge servers (Janus remote publishers), until stopped

broker-config REPO --url mqtts://HOST[:PORT] --out DIR   the fleet broker's (mosquitto)
                                  configuration, access list and certificate
status REPO [--offline] [--problems] [--district D] [--json]   every box, from the broker
alert REPO --level 안내|주의|긴급 --text T [--text-en T] [--voice FILE] [--picture FILE]
      (--all | --district D... | --centre C...) [--hours H] [--watch SECONDS]
                                  a signed alert on the centres' screens
alert REPO --withdraw ID          take a sent alert off the broker
alerts REPO [ID]                  the alerts sent and how far each got (receipts)
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk_contract.config import ConfigError, read_config
from kiosk_provisioning import __version__
from kiosk_provisioning.problems import ProvisionError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-provision",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kiosk-provision {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in ("init", "publish", "refresh", "verify"):
        commands.add_parser(name).add_argument("repo", type=Path, metavar="REPO")
    build = commands.add_parser("build")
    build.add_argument("repo", type=Path, metavar="REPO")
    build.add_argument("--fleet", type=Path, required=True, metavar="DIR")
    build.add_argument("--inventory", type=Path, required=True, metavar="CSV")
    build.add_argument(
        "--servers",
        type=Path,
        metavar="TOML",
        help="town meetings on each district's edge, then the origin (the relay's file)",
    )
    rotate = commands.add_parser("rotate-key")
    rotate.add_argument("repo", type=Path, metavar="REPO")
    rotate.add_argument("role", choices=["root", "targets", "snapshot", "timestamp"])
    media = commands.add_parser("media").add_subparsers(dest="media_command", required=True)
    add = media.add_parser("add")
    add.add_argument("repo", type=Path, metavar="REPO")
    add.add_argument("file", type=Path, metavar="FILE")
    add.add_argument("--title", required=True)
    add.add_argument("--category", required=True)
    add.add_argument("--duration", type=float, required=True, help="seconds")
    add.add_argument("--subtitles", type=Path, metavar="FILE", help="a video's lyrics (SRT, ASS)")
    add.add_argument(
        "--into", type=Path, metavar="FLEET_FILE", help="fill the library entry or notice --id"
    )
    add.add_argument("--id", default="", help="the library entry's (or notice's) id")
    check = commands.add_parser("check")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    janus = commands.add_parser("janus-config")
    janus.add_argument("out", type=Path, metavar="DIR")
    janus.add_argument("--fleet", type=Path, required=True, metavar="DIR")
    janus.add_argument("--inventory", type=Path, required=True, metavar="CSV")
    janus.add_argument("--listen", default="127.0.0.1", metavar="IP")
    janus.add_argument("--public-ip", default="", metavar="IP")
    janus.add_argument(
        "--repo",
        type=Path,
        metavar="REPO",
        help="share the call gate's secrets (else nobody gets in)",
    )
    configs = commands.add_parser("janus-configs")
    configs.add_argument("--servers", type=Path, required=True, metavar="TOML")
    configs.add_argument("--out", type=Path, required=True, metavar="DIR")
    configs.add_argument("--fleet", type=Path, required=True, metavar="DIR")
    configs.add_argument("--inventory", type=Path, required=True, metavar="CSV")
    configs.add_argument(
        "--repo",
        type=Path,
        metavar="REPO",
        help="share the call gate's secrets (else nobody gets in)",
    )
    code = commands.add_parser("code")
    code.add_argument("repo", type=Path, metavar="REPO")
    code.add_argument("centres", nargs="+", metavar="CENTRE")
    code.add_argument("--replace", action="store_true", help="for a centre that has a box")
    codes = commands.add_parser("codes")
    codes.add_argument("repo", type=Path, metavar="REPO")
    codes.add_argument("--inventory", type=Path, required=True, metavar="CSV")
    codes.add_argument("--out", type=Path, required=True, metavar="FILE")
    codes.add_argument(
        "--again", action="store_true", help="also replace codes issued and not used yet"
    )
    boxes = commands.add_parser("boxes")
    boxes.add_argument("repo", type=Path, metavar="REPO")
    boxes.add_argument("--centre", metavar="ID")
    revoke = commands.add_parser("revoke")
    revoke.add_argument("repo", type=Path, metavar="REPO")
    revoke.add_argument("centre", metavar="CENTRE")
    staff = commands.add_parser("staff-pass")
    staff.add_argument("repo", type=Path, metavar="REPO")
    staff.add_argument("--login", required=True)
    staff.add_argument("--name", action="append", required=True, help="a call name (repeat)")
    staff.add_argument("--room", action="append", type=int, default=[], help="a room number")
    staff.add_argument("--host", action="store_true", help="may host the rooms")
    staff.add_argument("--hours", type=float, default=12)
    server = commands.add_parser("server-cert")
    server.add_argument("repo", type=Path, metavar="REPO")
    server.add_argument("names", nargs="+", metavar="NAME")
    server.add_argument("--out", type=Path, required=True, metavar="DIR")
    relay = commands.add_parser("relay")
    relay.add_argument("--repo", type=Path, required=True, metavar="REPO")
    relay.add_argument("--servers", type=Path, required=True, metavar="TOML")
    relay.add_argument(
        "--room", action="append", type=int, default=[], help="a room (repeat; all town meetings)"
    )
    from kiosk_provisioning.broker.commands import add_commands

    add_commands(commands)
    from kiosk_provisioning.console.commands import add_commands as add_console_commands

    add_console_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ProvisionError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"{len(err.problems)} problem(s); nothing was changed", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from kiosk_provisioning.repository import Repository

    if args.command == "check":
        return _check(args.files)
    if args.command == "janus-config":
        from kiosk_provisioning.identity.directory import identity_folder
        from kiosk_provisioning.janus import write_janus_config

        setup = write_janus_config(
            args.out,
            args.fleet,
            args.inventory,
            args.listen,
            args.public_ip,
            identity_folder(args.repo) if args.repo else None,
        )
        rooms = ", ".join(f"{room.number} ({room.description})" for room in setup.rooms)
        print(f"{args.out}: Janus configuration written; rooms: {rooms or 'none'}")
        return 0
    if args.command == "janus-configs":
        return _janus_configs(args)
    if args.command == "relay":
        return _relay(args)
    if args.command in ("broker-config", "status", "alert", "alerts"):
        from kiosk_provisioning.broker.commands import run_broker_command

        return run_broker_command(args)
    if args.command == "console":
        from kiosk_provisioning.console.commands import run_console_command

        return run_console_command(args)
    if args.command in ("code", "codes", "boxes", "revoke", "staff-pass", "server-cert"):
        from kiosk_provisioning.identity.commands import run_identity_command

        return run_identity_command(args)
    repo = Repository(args.repo)
    started = time.perf_counter()
    if args.command == "init":
        repo.init()
        from kiosk_provisioning.broker.alertkey import alert_key

        alert_key(args.repo)  # city hall's alert key (REPO/keys/alert.pem)
        print(f"{args.repo}: repository created; ship {args.repo / 'root.json'} with every box")
        print(f"move {args.repo / 'offline'} to offline storage: only rotate-key root needs it")
    elif args.command == "build":
        from kiosk_provisioning.build import build

        plan = None
        if args.servers is not None:
            from kiosk_provisioning.servers import read_server_plan

            plan = read_server_plan(args.servers)
        report = build(args.repo, args.fleet, args.inventory, plan)
        print(
            f"{report.centres} centres built, {len(report.changed)} changed, "
            f"{len(report.removed)} removed ({time.perf_counter() - started:.2f} s)"
        )
    elif args.command == "publish":
        from kiosk_provisioning.build import publish

        changed = publish(repo)
        print(f"published{'' if changed else ' (no change)'} to {repo.public}")
    elif args.command == "refresh":
        repo.refresh()
        print("freshness timestamp re-signed")
        from kiosk_provisioning.identity.directory import identity_folder

        if (identity_folder(args.repo) / "ca.pem").exists():
            from kiosk_provisioning.identity.authority import Authority

            Authority.open(identity_folder(args.repo)).write_crl()
            print("certificate revocation list re-signed")
    elif args.command == "rotate-key":
        repo.rotate_key(args.role)
        print(f"{args.role} key replaced; new trust root version published")
    elif args.command == "verify":
        from kiosk_provisioning.verify import verify

        summary = verify(repo)
        print(summary)
    elif args.command == "media":
        from kiosk_provisioning.media import add_media

        entry = add_media(
            args.repo,
            args.file,
            args.title,
            args.category,
            args.duration,
            args.subtitles,
            args.into,
            args.id,
        )
        print(f"added {entry['file']} ({entry['title']})")
        if args.into:
            print(f"{args.into}: {args.id} filled")
    return 0


def _janus_configs(args: argparse.Namespace) -> int:
    from kiosk_provisioning.identity.directory import identity_folder
    from kiosk_provisioning.janus import write_janus_configs
    from kiosk_provisioning.servers import read_server_plan

    plan = read_server_plan(args.servers)
    setups = write_janus_configs(
        args.out,
        args.fleet,
        args.inventory,
        plan,
        identity_folder(args.repo) if args.repo else None,
    )
    for name, setup in setups.items():
        rooms = ", ".join(str(room.number) for room in setup.rooms) or "none"
        role = "origin" if name == plan.origin.name else "edge"
        print(f"{args.out / name}: Janus configuration written ({role}); rooms: {rooms}")
    return 0


def _relay(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from kiosk_provisioning.cascade import cascade_for, read_servers, run_relay

    try:
        cascade = cascade_for(args.repo, read_servers(args.servers), args.room)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run_relay(cascade))
    return 0


def _check(files: list[Path]) -> int:
    failures = 0
    for path in files:
        try:
            config = read_config(path)
        except ConfigError as err:
            failures += 1
            print(f"{path}: {err}", file=sys.stderr)
        else:
            print(f"{path}: ok ({config.centre.id}, revision {config.revision})")
    return 1 if failures else 0
