"""The fleet's message broker (Debian's mosquitto): its configuration and access list.

One TLS listener. Every client shows a certificate from the fleet CA (boxes: CN = centre
id, from enrolment; city hall's tools: CN = :data:`CITY_HALL_USER`); the CN is the login
(``use_identity_as_username``) and the client id (``use_username_as_clientid``, so no box
can push another off by taking its client id). The revocation list is read at start and
at every reload (SIGHUP): a revoked box's *new* connections are refused from then on,
one already open lasts until it ends (a restart ends them all).

The access list (``acl``) gives each box its own topics only (``pattern … %u``), its
district's alerts and its meeting rooms' questions and floors through a ``user`` block
per centre, and city hall every status, answer, hand, alert, question and floor; it is
rewritten by ``kiosk-provision build`` whenever the fleet changes.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kiosk_contract.config import KioskConfig
from kiosk_contract.files import write_atomically
from kiosk_contract.fleet import CITY_HALL_USER, MAX_ALERT_BYTES, topic_part
from kiosk_contract.floor import floor_topic
from kiosk_provisioning.broker.centres import built_centres, built_configs
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.directory import identity_folder
from kiosk_provisioning.problems import Problem, ProvisionError

DEFAULT_PORT = 8883
TOOLS_PORT = 8884
"""City hall's own tools connect here, on 127.0.0.1 (:func:`render_conf`)."""
MAX_QUEUED = 100_000
"""Messages mosquitto holds for one client before it drops more: ``status`` receives
every box's retained status and presence at once (two per box), and mosquitto's
default (1,000) would silently drop the rest of a large fleet."""
PACKET_MARGIN = 4096
"""Bytes a packet may hold beyond the largest alert: its topic and MQTT headers."""
FENCE_TOPICS = "city-hall/#"
"""City hall's own topics (read and written by it alone): ``kiosk-provision status``
publishes a marker there to know it has every retained message before it."""
ACL_FILE = "broker.acl"
"""The access list ``build`` writes into the identity folder (the broker reads a copy)."""
SETTINGS_FILE = "broker.json"
"""Where the broker is, for city hall's own tools (in the identity folder)."""
CITY_HALL_CERT = "city-hall.fleet.pem"
CITY_HALL_KEY = "city-hall.fleet.key"


@dataclass(frozen=True)
class BrokerFiles:
    """What the broker's configuration points at (absolute paths)."""

    ca: Path
    """The fleet CA: clients' certificates must come from it."""
    cert: Path
    """The broker's server certificate (chain), from the fleet CA."""
    key: Path
    crl: Path
    """The fleet's revocation list."""
    acl: Path
    """The access list (:func:`render_acl`)."""
    state: Path
    """Folder for mosquitto's persistence (retained messages, sessions)."""


@dataclass(frozen=True)
class BrokerAddress:
    """A broker's ``mqtts://host:port``, checked."""

    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or DEFAULT_PORT


def parse_url(url: str) -> BrokerAddress:
    """*url* (``mqtts://host[:port]``) checked; :class:`ProvisionError` if it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise ProvisionError([Problem(url, f"not a broker address: {err}")]) from None
    if parts.scheme != "mqtts" or not parts.hostname or parts.path not in ("", "/"):
        raise ProvisionError(
            [Problem(url, "the broker's address is mqtts://HOST[:PORT] (always TLS)")]
        )
    return BrokerAddress(f"mqtts://{parts.netloc}" if port else f"mqtts://{parts.hostname}")


def render_conf(
    files: BrokerFiles,
    port: int = DEFAULT_PORT,
    host: str = "",
    user: str = "mosquitto",
    tools_port: int = TOOLS_PORT,
) -> str:
    """mosquitto.conf for the fleet: the fleet's TLS listener on *host* (all addresses
    when empty) and *port*, and one for city hall's tools on 127.0.0.1 and *tools_port*
    (0: none). *user*: whom mosquitto becomes when started as root (no effect
    otherwise; the unit starts it as ``mosquitto``).

    Both ask for a certificate from the fleet CA and take its CN as the login, under
    one access list; on the fleet's listener the login is also the client id, so no box
    can push another off. City hall's tools all log in as :data:`CITY_HALL_USER`: on
    their own listener they choose their client ids, so a ``status`` run does not push
    an ``alert --watch`` off (only processes on this machine reach it)."""
    listener = f"listener {port} {host}".rstrip()
    tls = f"""\
protocol mqtt
cafile {files.ca}
certfile {files.cert}
keyfile {files.key}
crlfile {files.crl}
require_certificate true
use_identity_as_username true
"""
    tools = (
        f"""
# City hall's own tools, from this machine only; they name their own client ids.
listener {tools_port} 127.0.0.1
{tls}"""
        if tools_port
        else ""
    )
    return f"""\
# The kiosk fleet's broker; written by kiosk-provision broker-config (do not edit:
# write it again). Boxes and city hall log in with certificates from the fleet CA.
per_listener_settings false
allow_anonymous false
acl_file {files.acl}
user {user}

# Alerts carry a recording and a picture: nothing larger than the largest one.
message_size_limit {MAX_ALERT_BYTES}
max_packet_size {MAX_ALERT_BYTES + PACKET_MARGIN}

# Retained statuses, presences and alerts survive a restart.
persistence true
persistence_location {files.state}/
autosave_interval 60
# A box away for two weeks starts a fresh session (its alerts come back retained).
persistent_client_expiration 14d
max_queued_messages {MAX_QUEUED}
# Small messages (an alert, a receipt) go out at once, not after Nagle's delay.
set_tcp_nodelay true

log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
log_timestamp false

# The fleet's boxes.
{listener}
{tls}# The login (a centre's id) is the client id: nobody can take another's.
use_username_as_clientid true
{tools}"""


def render_acl(
    districts: Mapping[str, str], rooms: Mapping[str, Iterable[int]] | None = None
) -> str:
    """The access list for a fleet of *districts* (centre id -> its district, may be
        empty) whose centres are members of *rooms* (centre id -> its meeting rooms'
        numbers, ``calls.rooms``): a centre reads the questions and the floor of its rooms
    only, and writes its own hands (``fleet/<centre>/hands/<room>``). Raises
        ``ValueError`` for a name MQTT would read as more than one level."""
    rooms = rooms or {}
    lines = [
        "# The kiosk fleet's access list; written by kiosk-provision build (do not edit).",
        "# Every box logs in as its centre (its certificate's CN): it writes its own",
        "# status, presence and receipts, and reads the alerts addressed to it.",
        "pattern write fleet/%u/status",
        "pattern write fleet/%u/presence",
        "pattern write fleet/%u/receipts/+",
        "pattern write fleet/%u/answers/+",
        "pattern write fleet/%u/hands/+",
        "pattern read alerts/centre/%u/+",
        "",
        "# City hall's tools: every box's reports, answers and hands, every alert and",
        "# question; the floors also read back (a console started again knows who speaks).",
        f"user {CITY_HALL_USER}",
        "topic read fleet/#",
        "topic write alerts/#",
        "topic write questions/#",
        "topic readwrite floor/#",
        f"topic readwrite {FENCE_TOPICS}",
        "",
        "# Each centre the fleet knows reads alerts for everyone and for its district, and",
        "# the questions and floors of the meeting rooms it belongs to (not a pattern:",
        "# mosquitto warns of a pattern without %u at every start).",
    ]
    for centre, district in sorted(districts.items()):
        lines += [
            "",
            f"user {topic_part(centre)}",
            "topic read alerts/all/+",
        ]
        if district:
            lines.append(f"topic read alerts/district/{topic_part(district)}/+")
        for room in sorted(set(rooms.get(centre, ()))):
            lines.append(f"topic read questions/room/{int(room)}/+")
            lines.append(f"topic read {floor_topic(room)}")
    return "\n".join(lines) + "\n"


def write_acl(
    path: Path, districts: Mapping[str, str], rooms: Mapping[str, Iterable[int]] | None = None
) -> None:
    """Write the access list for *districts* and *rooms* (:func:`render_acl`) to *path*
    (atomically; unchanged content is not rewritten, so a path unit watching it reloads
    the broker only on a change)."""
    text = render_acl(districts, rooms).encode()
    try:
        if path.read_bytes() == text:
            return
    except FileNotFoundError:
        pass
    write_atomically(path, text, mode=0o640)


def tools_address(repo: Path) -> BrokerAddress:
    """Where city hall's tools reach the broker (``broker-config`` records it)."""
    path = identity_folder(repo) / SETTINGS_FILE
    try:
        return parse_url(str(json.loads(path.read_text())["tools"]))
    except FileNotFoundError:
        raise ProvisionError(
            [Problem(str(path), "no broker yet: run kiosk-provision broker-config, or --broker")]
        ) from None
    except (ValueError, KeyError, TypeError) as err:
        raise ProvisionError([Problem(str(path), f"unreadable: {err}")]) from None


def city_hall_login(authority: Authority) -> tuple[Path, Path]:
    """City hall's client certificate and key (CN :data:`CITY_HALL_USER`, 0600 in the
    identity folder), made on first use."""
    cert = authority.folder / CITY_HALL_CERT
    key = authority.folder / CITY_HALL_KEY
    if not (cert.exists() and key.exists()):
        authority.issue_client_cert(CITY_HALL_USER, cert, key)
    return cert, key


@dataclass(frozen=True)
class BrokerSetup:
    conf: Path
    files: BrokerFiles
    boxes: BrokerAddress
    """Where boxes reach it (their ``fleet.broker``)."""
    tools: BrokerAddress
    """Where city hall's tools reach it."""


def write_broker_config(
    repo: Path,
    url: str,
    out: Path,
    listen: str = "",
    state: Path = Path("/var/lib/kiosk-broker"),
    tools_port: int = TOOLS_PORT,
    user: str = "mosquitto",
) -> BrokerSetup:
    """Write the broker's files into *out*: ``mosquitto.conf``, ``acl``, ``ca.pem``,
    ``crl.pem``, and a server certificate from the fleet CA for the URL's host (and
    127.0.0.1, for city hall's tools); record both addresses in
    ``REPO/identity/broker.json`` and make city hall's login."""
    boxes = parse_url(url)
    tools = parse_url(f"mqtts://127.0.0.1:{tools_port or boxes.port}")
    folder = identity_folder(repo)
    authority = Authority.open(folder)
    out.mkdir(parents=True, exist_ok=True)
    names = [boxes.host] + [name for name in ("127.0.0.1", "localhost") if name != boxes.host]
    cert, key = authority.issue_server_cert(names, out)
    # The broker (group mosquitto where the folder is set-group-id) reads its key.
    key.chmod(0o640)
    files = BrokerFiles(
        ca=out / "ca.pem",
        cert=cert,
        key=key,
        crl=out / "crl.pem",
        acl=out / "acl",
        state=state,
    )
    write_atomically(files.ca, authority.ca_pem, mode=0o644)
    write_atomically(files.crl, authority.crl_path.read_bytes(), mode=0o640)
    acl = folder / ACL_FILE
    if not acl.exists():
        write_acl(acl, built_districts(repo), built_rooms(repo))
    write_atomically(files.acl, acl.read_bytes(), mode=0o640)
    conf = out / "mosquitto.conf"
    text = render_conf(files, boxes.port, listen, user, tools_port)
    write_atomically(conf, text.encode(), mode=0o640)
    record = json.dumps({"url": boxes.url, "tools": tools.url}).encode()
    write_atomically(folder / SETTINGS_FILE, record, mode=0o600)
    city_hall_login(authority)
    return BrokerSetup(conf, files, boxes, tools)


def built_districts(repo: Path) -> dict[str, str]:
    """Centre id -> district, of the centres ``build`` last wrote."""
    return {centre.id: centre.district for centre in built_centres(repo)}


def built_rooms(repo: Path) -> dict[str, list[int]]:
    """Centre id -> the numbers of its meeting rooms, of the centres ``build`` last wrote."""
    return rooms_of(built_configs(repo))


def rooms_of(configs: Iterable[KioskConfig]) -> dict[str, list[int]]:
    """Centre id -> the numbers of the meeting rooms its configuration lists."""
    return {c.centre.id: sorted({room.number for room in c.calls.rooms}) for c in configs}
