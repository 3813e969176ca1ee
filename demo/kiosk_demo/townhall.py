"""City hall on one machine, in one command: ``python -m kiosk_demo.townhall`` (as root;
``scripts/cityhall`` sets the machine up first).

From the example city (``provisioning/examples/``) it makes a fresh city-hall
repository whose fleet names this machine's services, its identity (fleet CA), builds
and publishes it, and runs:

- mosquitto, the fleet's broker (``broker-config``'s configuration);
- Janus behind the call gate, and coturn, in a private network namespace
  (:mod:`kiosk_demo.network`), as the demo's city hall does;
- the identity service (enrolment codes, certificate renewals, TURN logins);
- nginx: the signed repository for boxes (the shipped mutual-TLS site) and the
  console for staff browsers over TLS, with the gate's staff WebSocket under the
  same origin (:mod:`kiosk_demo.webserver`);
- the console (``kiosk-provision console serve``) with a fresh administrator holding
  every role, whose login and random password it prints;
- a demo kiosk enrolled with a one-time code as centre ``namwon-001`` of the example
  city: its settings synced over nginx, its fleet link to mosquitto, its calls through
  the gate; in a window, or on a virtual screen when there is no display.

It prints what runs where, then ``city hall: ready``. Ctrl+C (or SIGTERM) stops
everything and removes the namespace. Everything it writes is in ``--folder``
(made afresh at every start)."""

import argparse
import contextlib
import dataclasses
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from kiosk_demo.examplecity import (
    EXAMPLES,
    GATE_PORT,
    STAFF_PORT,
    Addresses,
    Ports,
    city_fleet,
    publish_city,
)
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.processes import BIN, Service, provision, virtual_screen, wait_for_line
from kiosk_demo.server import GateServer, JanusServer
from kiosk_demo.turn import TurnServer
from kiosk_demo.webserver import ConsoleSite, MutualTls, console_site, fleet_site, nginx_conf
from kiosk_provisioning.broker.config import write_broker_config
from kiosk_provisioning.console.models import Role
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.commands import grouped
from kiosk_provisioning.identity.directory import identity_folder, load_directory
from kiosk_provisioning.identity.service import start as start_identity_service
from kiosk_provisioning.janus import fleet_rooms
from kiosk_provisioning.janus_config import JanusSetup

CENTRE = "namwon-001"
ADMIN = "admin"
READY = "city hall: ready"
"""The line printed once everything runs (tests wait for it)."""
KIOSK_HOME = "home screen painted"
"""What the kiosk logs once its first screen is up."""


def say(text: str) -> None:
    """One plain line for the person who ran the command."""
    print(f"city hall: {text}", flush=True)


def new_password() -> str:
    """A random password a person can type (no look-alike characters)."""
    letters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(letters) for _ in range(4)) for _ in range(4))


class CityHall:
    """Everything :func:`main` starts, stopped in reverse order by :meth:`close`."""

    def __init__(self, folder: Path, addresses: Addresses, display: str | None) -> None:
        self.folder = folder
        self.addresses = addresses
        self.display = display
        self.logs = folder / "logs"
        self.services: list[Service] = []
        self.where: list[tuple[str, str]] = []
        """What runs where, for the summary (name, address and pid)."""
        self._stack = contextlib.ExitStack()

    def service(self, name: str, argv: Sequence[str], **popen: Any) -> Service:
        started = Service(name, argv, self.logs / f"{name}.log", **popen)
        self._stack.callback(started.stop)
        self.services.append(started)
        return started

    def close(self) -> None:
        self._stack.close()

    def start(self) -> tuple[str, str]:
        """Start everything; the console's administrator login and password."""
        self.logs.mkdir(parents=True)
        network = self.addresses.network
        repo = self.folder / "repo"
        say(f"making the example city's repository in {repo} (about 15 s)")
        provision("init", str(repo))
        authority = Authority.open(identity_folder(repo))
        turn = TurnServer(network, self.folder / "turn", authority.turn_secret)
        fleet = city_fleet(self.folder, self.addresses, turn.url)
        say(publish_city(repo, fleet))

        self._broker(repo)
        self._calls(repo, fleet, turn)
        self._identity(authority)
        login = self._console(repo)
        self._nginx(repo, authority)
        self._kiosk(repo, authority)
        return login

    def _broker(self, repo: Path) -> None:
        a = self.addresses
        out = self.folder / "broker"
        state = out / "state"
        state.mkdir(parents=True)
        setup = write_broker_config(
            repo, a.broker_url, out, "127.0.0.1", state, a.ports.tools, user="root"
        )
        broker = self.service("mosquitto", ["/usr/sbin/mosquitto", "-c", str(setup.conf)])
        broker.wait_port("127.0.0.1", a.ports.broker)
        broker.wait_port("127.0.0.1", a.ports.tools)
        self.where.append(("fleet broker (boxes)", f"{a.broker_url}  pid {broker.pid}"))
        self.where.append(("fleet broker (city hall's tools)", a.tools_url))

    def _calls(self, repo: Path, fleet: Path, turn: TurnServer) -> None:
        network = self.addresses.network
        folder = identity_folder(repo)
        keys = load_directory(folder).rooms
        rooms = tuple(
            replace(room, secret=keys[room.number].secret) if room.number in keys else room
            for room in fleet_rooms(fleet, EXAMPLES / "centres.csv")
        )
        setup = JanusSetup(
            rooms=rooms,
            interfaces=(network.inner,),
            token_secret=Authority.open(folder).janus_secret,
            debug_level=3,
        )
        self._stack.enter_context(network)
        janus = self._stack.enter_context(JanusServer(network, self.folder / "janus", setup))
        gate = GateServer(
            network, janus, repo, self.folder / "gate", GATE_PORT, staff_port=STAFF_PORT
        )
        self._stack.enter_context(gate)
        self._stack.enter_context(turn)
        inside = f"network namespace {network.namespace}, {network.server_address}"
        self.where += [
            ("Janus (only the gate reaches it)", f"{janus.url}  ({inside}, pid {janus.pid})"),
            ("call gate (boxes)", f"{gate.url}  (pid {gate.pid})"),
            (
                "call gate (staff browsers)",
                f"{gate.staff_url}, and {self.addresses.gate_staff_url}",
            ),
            ("TURN (coturn)", f"{turn.url}  (pid {turn.pid})"),
        ]

    def _identity(self, authority: Authority) -> None:
        a = self.addresses
        cert, key = authority.issue_server_cert(
            ["127.0.0.1", "localhost"], self.folder / "tls" / "identity"
        )
        service = start_identity_service(
            authority.folder, cert, key, host="127.0.0.1", port=a.ports.identity
        )
        self._stack.callback(service.close)
        self.where.append(
            ("identity service (enrolment, TURN logins)", f"{a.identity_url}  (in this process)")
        )

    def _console(self, repo: Path) -> tuple[str, str]:
        a = self.addresses
        password = new_password()
        roles = [arg for role in Role for arg in ("--role", role.value)]  # every role
        provision(
            "console", "add-staff", str(repo), "--login", ADMIN, "--name", "시청 관리자",
            "--department", "정보통신과", "--password-stdin", *roles, stdin=password + "\n",
        )  # fmt: skip
        listen = f"127.0.0.1:{a.ports.console_app}"
        argv = [
            str(BIN / "kiosk-provision"), "console", "serve", str(repo), "--listen", listen,
            "--broker", a.tools_url, "--gate-url", a.gate_staff_url,
        ]  # fmt: skip
        console = self.service("console", argv)
        console.wait_port("127.0.0.1", a.ports.console_app)
        self.where.append(("console (behind nginx)", f"http://{listen}  (pid {console.pid})"))
        return ADMIN, password

    def _nginx(self, repo: Path, authority: Authority) -> None:
        a = self.addresses
        tls = self.folder / "tls"
        names = list(dict.fromkeys([a.host, "127.0.0.1", "localhost"]))
        console_cert, console_key = authority.issue_server_cert(names, tls / "console")
        repo_cert, repo_key = authority.issue_server_cert(
            ["127.0.0.1", "localhost"], tls / "repository"
        )
        boxes = MutualTls(repo_cert, repo_key, authority.ca_path, authority.crl_path)
        listen = "0.0.0.0" if a.host not in ("127.0.0.1", "localhost") else "127.0.0.1"
        site = ConsoleSite(
            name=a.host,
            listen=f"{listen}:{a.ports.console}",
            cert=console_cert,
            key=console_key,
            console=f"127.0.0.1:{a.ports.console_app}",
            gate=f"{a.network.server_address}:{STAFF_PORT}",
            gate_ca=authority.ca_path,
        )
        folder = self.folder / "nginx"
        folder.mkdir()
        sites = fleet_site(repo / "public", a.ports.repository, boxes) + console_site(site)
        (folder / "nginx.conf").write_text(nginx_conf(folder, sites))
        nginx = self.service(
            "nginx", ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)]
        )
        nginx.wait_port("127.0.0.1", a.ports.repository)
        nginx.wait_port(listen, a.ports.console)
        self.where += [
            (
                "signed repository (boxes, mutual TLS)",
                f"{a.repository_url}  (nginx, pid {nginx.pid})",
            ),
            ("console (staff browsers)", f"{a.console_url}  (nginx)"),
        ]

    def _kiosk(self, repo: Path, authority: Authority) -> None:
        a = self.addresses
        box = self.folder / "box"
        env = {
            **os.environ,
            "KIOSK_ETC_DIR": str(box / "etc"),
            "KIOSK_STATE_DIR": str(box / "state"),
            # The city's servers' certificates come from its own fleet CA here; a
            # city's boxes trust a public CA for them.
            "REQUESTS_CA_BUNDLE": str(authority.ca_path),
            "SSL_CERT_FILE": str(authority.ca_path),
            # On the screen (X11, or XWayland), whatever the caller ran on.
            "QT_QPA_PLATFORM": "xcb",
        }
        args = ["run"]
        if self.display is None:
            xvfb, display = virtual_screen(self.logs)
            self._stack.callback(xvfb.stop)
            self.services.append(xvfb)
            env["DISPLAY"] = display
            env.setdefault("KIOSK_VLC_ARGS", "--aout=dummy")  # a server has no speaker either
            self.where.append(("virtual screen (Xvfb)", f"DISPLAY={display}  (pid {xvfb.pid})"))
        else:
            args.append("--windowed")
        (box / "etc").mkdir(parents=True)
        (box / "state").mkdir()
        code = authority.issue_code(CENTRE, replace=True)
        say(f"one-time code for {CENTRE}: {grouped(code)}; the demo kiosk enrols with it")
        enrol = subprocess.run(
            [
                str(BIN / "kiosk"), "enroll", "--server", a.repository_url,
                "--identity", a.identity_url, "--centre", CENTRE, "--code", code,
                "--root", str(repo / "root.json"),
            ],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if enrol.returncode != 0:
            raise OSError(f"kiosk enroll: {enrol.stderr.strip() or enrol.stdout.strip()}")
        kiosk = self.service("kiosk", [str(BIN / "kiosk"), *args], env=env)
        if not wait_for_line(kiosk.log_path, KIOSK_HOME, kiosk, 60.0):
            raise OSError(f"the demo kiosk did not show its home screen; its log:\n{kiosk.tail()}")
        where = f"centre {CENTRE}, state in {box / 'state'}, pid {kiosk.pid}"
        self.where.append(("demo kiosk", where))
        if self.display is None:
            self.where.append(
                ("  to look at it", f"DISPLAY={env['DISPLAY']} import -window root kiosk.png")
            )
            self.where.append(
                ("  to press its keys", f"DISPLAY={env['DISPLAY']} xdotool key 4  (Escape: home)")
            )

    def summary(self, login: str, password: str) -> str:
        width = max(len(name) for name, _ in self.where)
        rows = [f"  {name:<{width}}  {where}" for name, where in self.where]
        a = self.addresses
        return "\n".join(
            [
                "",
                "What runs where:",
                *rows,
                f"  {'logs':<{width}}  {self.logs}, {self.folder}/{{janus,gate,nginx}}",
                "",
                "Sign in to the console (경로당 화상 콘솔):",
                f"  console   {a.console_url}",
                f"  login     {login}",
                f"  password  {password}",
                "  (its certificate comes from this run's own fleet CA,",
                f"  {self.folder}/repo/identity/ca.pem: accept it once in the browser;",
                "  calls work from a browser on this machine)",
                "",
                f"The demo kiosk, {CENTRE}, on 경로당 현황 (찾기: {CENTRE}); call it on 전화",
                f"({a.console_url}calls/?centre={CENTRE}); host the town meeting on 영상 회의.",
                "Ctrl+C stops everything.",
            ]
        )

    def watch(self) -> Service | None:
        """Block until a service ends by itself (returned) or Ctrl+C/SIGTERM."""
        while True:
            for service in self.services:
                if not service.running():
                    return service
            time.sleep(0.5)  # a health check, not a synchronisation


def parse(argv: Sequence[str] | None) -> tuple[Path, Addresses, str | None]:
    defaults = Ports()
    parser = argparse.ArgumentParser(
        prog="python -m kiosk_demo.townhall", description="city hall on one machine"
    )
    parser.add_argument(
        "--folder", type=Path, default=Path("/var/tmp/kiosk-cityhall"),
        help="everything it writes (made afresh; default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="the console's host name as browsers reach it (another than 127.0.0.1: "
        "nginx listens on every address)",
    )  # fmt: skip
    parser.add_argument(
        "--network", type=int, default=1, help="private network index (0: the demo's)"
    )
    for field in ("console", "repository", "identity", "broker", "tools", "console_app"):
        flag = "--" + field.replace("_", "-") + "-port"
        parser.add_argument(flag, type=int, default=getattr(defaults, field), dest=field)
    options = parser.parse_args(argv)
    ports = Ports(
        **{
            f: getattr(options, f)
            for f in ("console", "repository", "identity", "broker", "tools", "console_app")
        }
    )
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or None
    return options.folder, Addresses(options.host, ports, PrivateNetwork(options.network)), display


def ports_in_use(ports: Ports) -> list[str]:
    """``--FLAG-port N`` for each of *ports* something on this machine already holds."""
    taken = []
    for field in dataclasses.fields(ports):
        number = getattr(ports, field.name)
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", number))
            except OSError:
                taken.append(f"--{field.name.replace('_', '-')}-port {number}")
    return taken


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="city hall: %(message)s")
    logging.getLogger("aioice").setLevel(logging.WARNING)
    folder, addresses, display = parse(argv)
    if os.geteuid() != 0:
        say("needs root (Janus runs in its own network namespace); run: sudo bash scripts/cityhall")
        return 2
    if taken := ports_in_use(addresses.ports):
        say(f"these ports are in use on this machine; choose others: {', '.join(taken)}")
        return 2
    # Also where SIGINT came ignored (started in the background by a shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    city = CityHall(folder, addresses, display)
    try:
        login, password = city.start()
        print(city.summary(login, password), flush=True)
        say(READY.removeprefix("city hall: "))
        ended = city.watch()
        if ended is not None:
            say(f"{ended.name} stopped by itself; stopping everything. Its log:\n{ended.tail()}")
            return 1
    except KeyboardInterrupt:
        say("stopping")
    except OSError as err:
        say(f"could not start: {err}")
        return 1
    finally:
        # A second Ctrl+C must not cut the stopping short (and leave the namespace).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        city.close()
        say("stopped; the private network is removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
