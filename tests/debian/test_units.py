"""The systemd units, checked statically with systemd-analyze (PID 1 here is not systemd).

``verify`` runs against a root holding a copy of this machine's unit tree, our units,
and stand-ins for the programs they start (which only the installed packages bring).
"""

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_provisioning.gate import attempts_file
from kiosk_provisioning.janus import gate_env
from kiosk_provisioning.servers import MeetingServer

ROOT = Path(__file__).resolve().parents[2]
UNITS = {
    "kiosk.service": ROOT / "debian" / "kiosk.service",
    "kiosk-safe.service": ROOT / "debian" / "kiosk.kiosk-safe.service",
    "kiosk-provision-refresh.service": ROOT
    / "provisioning/systemd/kiosk-provision-refresh.service",
    "kiosk-provision-refresh.timer": ROOT / "provisioning/systemd/kiosk-provision-refresh.timer",
    "kiosk-identity.service": ROOT / "provisioning/systemd/kiosk-identity.service",
    "kiosk-call-gate.service": ROOT / "provisioning/systemd/kiosk-call-gate.service",
    "kiosk-call-gate@.service": ROOT / "provisioning/systemd/kiosk-call-gate@.service",
    "kiosk-console.service": ROOT / "provisioning/systemd/kiosk-console.service",
    "kiosk-crl.path": ROOT / "provisioning/systemd/kiosk-crl.path",
    "kiosk-crl.service": ROOT / "provisioning/systemd/kiosk-crl.service",
    "kiosk-broker.service": ROOT / "provisioning/systemd/kiosk-broker.service",
    "kiosk-broker-acl.path": ROOT / "provisioning/systemd/kiosk-broker-acl.path",
    "kiosk-broker-acl.service": ROOT / "provisioning/systemd/kiosk-broker-acl.service",
}
SERVICES = sorted(name for name in UNITS if name.endswith(".service"))
PROGRAMS = (
    "/usr/bin/cage",
    "/usr/bin/kiosk",
    "/usr/bin/pkill",
    "/usr/bin/kiosk-provision",
    "/opt/venvs/kiosk-provisioning/bin/python",
    "/bin/systemctl",
    "/bin/sh",
    "/bin/rm",
    "/usr/sbin/mosquitto",
    "/usr/bin/install",
    "/bin/chgrp",
    "/bin/kill",
)
CITY_HALL_SERVERS = {
    "kiosk-identity.service": "kiosk_provisioning.identity.service",
    "kiosk-call-gate.service": "kiosk_provisioning.gate",
    "kiosk-call-gate@.service": "kiosk_provisioning.gate",
}
"""City hall's network services and the module each one runs."""
MAX_EXPOSURE = 6.0


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = tmp_path_factory.mktemp("unit-root")
    (made / "lib/systemd").mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", made / "lib/systemd/system", symlinks=True)
    (made / "etc/systemd/system").mkdir(parents=True)
    for name, unit in UNITS.items():
        shutil.copyfile(unit, made / "etc/systemd/system" / name)
    for program in PROGRAMS:
        stand_in = made / program.lstrip("/")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    return made


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_units_verify_without_a_word(root: Path, unit: str) -> None:
    instance = unit.replace("@.", "@north.")  # a template is verified as one of its units
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", instance],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize("unit", SERVICES)
def test_hardening_exposure_is_at_most_6(unit: str) -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNITS[unit])],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    print(f"{unit}: exposure {found.group(1)}")
    assert float(found.group(1)) <= MAX_EXPOSURE


def _entries(unit: str, key: str) -> list[str]:
    """The values of *key* in *unit*, in order."""
    lines = UNITS[unit].read_text().splitlines()
    return [line.split("=", 1)[1] for line in lines if line.startswith(f"{key}=")]


def _start(unit: str) -> list[str]:
    (start,) = _entries(unit, "ExecStart")
    return start.split()


def _options(words: list[str]) -> dict[str, str]:
    """``--name value`` pairs of a command line."""
    return {word: value for word, value in itertools.pairwise(words) if word.startswith("--")}


@pytest.mark.parametrize("unit", sorted(CITY_HALL_SERVERS))
def test_city_hall_services_run_their_module_as_it_takes_its_options(unit: str) -> None:
    """The unit passes only options the program knows, and every one it requires (the
    programs are written apart from their units: this catches one changing alone)."""
    module = CITY_HALL_SERVERS[unit]
    words = _start(unit)
    assert words[:3] == ["/opt/venvs/kiosk-provisioning/bin/python", "-m", module]
    shown = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    usage = shown.split("\n\n", 1)[0]
    required = set(re.findall(r"--[a-z][a-z-]*", re.sub(r"\[[^]]*\]", "", usage)))
    known = set(re.findall(r"--[a-z][a-z-]*", shown))
    given = {word for word in words if word.startswith("--")}
    assert required, shown
    assert given - known == set(), f"{unit} passes options {module} does not take"
    assert required - given == set(), f"{unit} leaves out options {module} requires"


@pytest.mark.parametrize("unit", sorted(CITY_HALL_SERVERS))
def test_city_hall_services_wait_for_the_admins_certificate(unit: str) -> None:
    """Installed and enabled before any certificate is there: the start is skipped (not
    failed, not retried every 5 s) until the files the command reads exist."""
    options = _options(_start(unit))
    conditions = _entries(unit, "ConditionPathExists")
    assert {options["--cert"], options["--key"]} <= set(conditions)
    assert all(path.startswith("/etc/kiosk-provision/") for path in conditions[:2])


@pytest.mark.parametrize("unit", ["kiosk-call-gate.service", "kiosk-call-gate@.service"])
def test_the_call_gate_sees_the_identity_folder_read_only_and_no_other_part_of_the_repo(
    unit: str,
) -> None:
    """It holds no key of the repository and writes only its record of calls (which
    the console reads for missed calls): a gate taken over can neither sign a
    configuration nor enrol a box. The same for each meeting server's gate."""
    repo = _options(_start(unit))["--repo"]
    assert _entries(unit, "TemporaryFileSystem") == [f"{repo}:ro"]
    assert _entries(unit, "BindReadOnlyPaths") == [f"{repo}/identity"]
    calls = str(attempts_file(Path(repo)).parent)
    assert _entries(unit, "BindPaths") == [calls]
    assert calls in _entries(unit, "ExecStartPre")[0], "made before"
    assert _entries(unit, "ReadWritePaths") == []
    assert _entries(unit, "InaccessiblePaths") == [f"-{repo}/identity/ca.key"]
    assert f"{repo}/identity/ca.pem" in _entries(unit, "ConditionPathExists")
    assert "AF_INET AF_INET6" in _entries(unit, "RestrictAddressFamilies")[0]


def test_a_meeting_servers_gate_runs_on_what_janus_configs_wrote_for_it() -> None:
    """``kiosk-call-gate@NAME`` starts only with the ``gate.env`` ``janus-configs``
    writes (JANUS, LISTEN: :func:`kiosk_provisioning.janus.gate_env`) and its own
    certificate, all in its own folder."""
    unit = "kiosk-call-gate@.service"
    folder = "/etc/kiosk-provision/gates/%i"
    assert _entries(unit, "EnvironmentFile") == [f"{folder}/gate.env"]
    options = _options(_start(unit))
    assert (options["--janus"], options["--listen"]) == ("${JANUS}", "${LISTEN}")
    assert {options["--cert"], options["--key"], f"{folder}/gate.env"} <= set(
        _entries(unit, "ConditionPathExists")
    )
    written = gate_env(MeetingServer("north", "ws://10.0.1.1:8188/", "wss://n.example:8991/"))
    assert {line.split("=", 1)[0] for line in written.splitlines()[1:]} == {"JANUS", "LISTEN"}


def test_the_identity_service_writes_its_folder_and_the_messages_and_nothing_else() -> None:
    """It signs certificates (identity/) and takes the centres' video messages into the
    store's folder, which root makes before the sandbox (the service cannot make a
    folder in the read-only repository); never the repository's keys."""
    from kiosk_provisioning.messages import MessageStore

    repo = Path(_options(_start("kiosk-identity.service"))["--repo"])
    messages = str(MessageStore(repo).folder)
    (writable,) = _entries("kiosk-identity.service", "ReadWritePaths")
    assert writable.split() == [f"{repo}/identity", messages]
    (made,) = _entries("kiosk-identity.service", "ExecStartPre")
    assert made.startswith("+/usr/bin/install -d -o kiosk-provision") and made.endswith(messages)
    hidden = " ".join(_entries("kiosk-identity.service", "InaccessiblePaths")).split()
    assert {f"-{repo}/keys", f"-{repo}/offline"} <= set(hidden)
    assert "ProtectSystem=strict" in UNITS["kiosk-identity.service"].read_text()


def test_a_changed_revocation_list_reloads_nginx() -> None:
    assert _entries("kiosk-crl.path", "PathChanged") == ["/srv/kiosk-fleet/identity/crl.pem"]
    assert _entries("kiosk-crl.path", "Unit") == ["kiosk-crl.service"]
    assert _entries("kiosk-crl.service", "ExecStart") == ["/bin/systemctl reload nginx.service"]
    assert _entries("kiosk-crl.service", "User") == [], "only root may ask systemd to reload"


def test_the_kiosk_session_offers_no_way_out() -> None:
    text = UNITS["kiosk.service"].read_text()
    start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert start.split()[:2] == ["ExecStart=/usr/bin/cage", "-d"], "no -s: no VT switching"
    for line in ("Type=notify", "NotifyAccess=all", "Restart=always", "Conflicts=getty@tty1"):
        assert any(entry.startswith(line) for entry in text.splitlines()), line
    assert re.search(r"^WatchdogSec=\d+$", text, re.MULTILINE)


def test_the_kiosk_never_ends_in_a_dark_screen_or_unbounded_memory() -> None:
    kiosk = UNITS["kiosk.service"].read_text().splitlines()
    safe = UNITS["kiosk-safe.service"].read_text().splitlines()
    assert "OnFailure=kiosk-safe.service" in kiosk, "the start limit hands over to the safe screen"
    assert any(line.startswith("MemoryMax=") for line in kiosk)
    assert any(line.startswith("MemoryHigh=") for line in kiosk)
    start = next(line for line in safe if line.startswith("ExecStart="))
    assert "/usr/bin/kiosk safe-screen --minutes 30; echo $$? > " in start, "its own status"
    assert "StartLimitAction=reboot" in safe, "if even the safe screen fails: reboot"
    after = next(line for line in safe if line.startswith("ExecStopPost="))
    assert "systemctl --no-block start kiosk.service" in after
    assert "systemctl --no-block restart kiosk-safe.service" in after


def test_the_broker_runs_debian_s_mosquitto_on_what_broker_config_writes(
    tmp_path: Path,
) -> None:
    """As the mosquitto user, on the configuration ``broker-config --out
    /etc/kiosk-provision/broker`` writes (its state where the unit keeps it), and it
    waits for it."""
    from kiosk_provisioning.broker.config import ACL_FILE
    from kiosk_provisioning.cli import _parser

    folder = Path("/etc/kiosk-provision/broker")
    words = _start("kiosk-broker.service")
    assert words == ["/usr/sbin/mosquitto", "-c", str(folder / "mosquitto.conf")]
    assert _entries("kiosk-broker.service", "User") == ["mosquitto"]
    assert str(folder / "mosquitto.conf") in _entries("kiosk-broker.service", "ConditionPathExists")
    args = ["broker-config", "REPO", "--url", "mqtts://fleet.example", "--out", str(folder)]
    (state,) = _entries("kiosk-broker.service", "StateDirectory")
    assert _parser().parse_args(args).state == Path("/var/lib", state)
    # What the configuration reads that changes in the repository is copied in by root at
    # start and at every reload, from where build and the authority write it.
    copies = [
        line.split()[-2:]
        for line in _entries("kiosk-broker.service", "ExecStartPre")
        if "/usr/bin/install" in line
    ]
    assert copies == [
        [f"/srv/kiosk-fleet/identity/{ACL_FILE}", str(folder / "acl")],
        ["/srv/kiosk-fleet/identity/crl.pem", str(folder / "crl.pem")],
    ]
    reload = _entries("kiosk-broker.service", "ExecReload")
    assert [line.split()[-2:] for line in reload[:2]] == copies
    assert reload[2] == "/bin/kill -HUP $MAINPID"
    assert all(line.startswith("+") for line in reload[:2]), "root copies, mosquitto reads"


def test_a_changed_access_or_revocation_list_reloads_the_broker() -> None:
    assert _entries("kiosk-broker-acl.path", "PathChanged") == [
        "/srv/kiosk-fleet/identity/broker.acl",
        "/srv/kiosk-fleet/identity/crl.pem",
    ]
    assert _entries("kiosk-broker-acl.path", "Unit") == ["kiosk-broker-acl.service"]
    assert _entries("kiosk-broker-acl.service", "ExecStart") == [
        "/bin/systemctl try-reload-or-restart kiosk-broker.service"
    ]


def test_the_console_serves_on_loopback_and_writes_only_its_own_folders() -> None:
    """``console serve`` as the unit runs it parses with the real command line, listens
    on loopback only (nginx in front), and its sandbox lets it write its database and
    the alerts record but never read the keys that sign boxes' certificates or the
    repository."""
    from kiosk_provisioning.cli import _parser

    words = _start("kiosk-console.service")
    assert words[:3] == ["/usr/bin/kiosk-provision", "console", "serve"]
    args = _parser().parse_args(words[1:])
    assert (args.console_command, args.repo) == ("serve", Path("/srv/kiosk-fleet"))
    assert args.listen.startswith("127.0.0.1:") and not args.insecure_cookies
    assert args.database is None  # REPO/console/console.db
    assert _entries("kiosk-console.service", "User") == ["kiosk-provision"]
    (writable,) = _entries("kiosk-console.service", "ReadWritePaths")
    assert writable.split() == [
        "/srv/kiosk-fleet/console",
        "/srv/kiosk-fleet/alerts",
        "/srv/kiosk-fleet/messages",  # staff mark the centres' video messages handled
    ]
    (made,) = _entries("kiosk-console.service", "ExecStartPre")
    assert made.startswith("+/usr/bin/install -d -o kiosk-provision") and made.endswith(writable)
    hidden = " ".join(_entries("kiosk-console.service", "InaccessiblePaths")).split()
    assert {"-/srv/kiosk-fleet/identity/ca.key", "-/srv/kiosk-fleet/offline"} <= set(hidden)
    from kiosk_provisioning.keys import ONLINE_ROLES

    assert {f"-/srv/kiosk-fleet/keys/{role}.pem" for role in ONLINE_ROLES} <= set(hidden)
