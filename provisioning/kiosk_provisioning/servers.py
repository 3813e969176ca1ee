"""The servers a town meeting spans, as ``build`` and ``janus-configs`` read them.

The same TOML file the meeting relay reads (:func:`kiosk_provisioning.cascade.read_servers`):
one ``[[server]]`` table per Janus. Besides the relay's fields (``name``, ``api``,
``admin_key`` or ``janus_config``, ``media``) a table may say

- ``gate``: the address boxes reach this server's call gate at (``wss://...``);
- ``districts``: the districts (읍면동) whose centres meet on it;
- ``listen``, ``public_ip``, ``interfaces``: for ``janus-configs``, the WebSocket
  API's address (the ``api`` host by default), the 1:1 NAT address and the
  interfaces ICE gathers on.

**The origin** is the first server that serves no district (else the first
listed): city hall's host publishes there. Every other server is an **edge**; a
centre of a district an edge serves meets its town meetings there first and on
the origin after, and a centre of any other district on its ``calls.server``.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from kiosk_contract.config.calls import JanusUrl
from kiosk_provisioning.problems import Problem, ProvisionError

FIELDS = frozenset(
    {
        "name",
        "api",
        "admin_key",
        "janus_config",
        "media",
        "gate",
        "districts",
        "listen",
        "public_ip",
        "interfaces",
    }
)
"""Every field a ``[[server]]`` table may hold (the relay ignores the last five)."""


@dataclass(frozen=True)
class MeetingServer:
    """One Janus of the meeting, as city hall's tools configure it."""

    name: str
    """Its folder under ``janus-configs --out`` (and the relay's name for it)."""
    api: str
    """Its WebSocket API as city hall reaches it directly (``ws://HOST:PORT/``)."""
    gate: str = ""
    """Where boxes reach its call gate; needed for the origin and every edge that
    serves a district."""
    districts: tuple[str, ...] = ()
    """The districts whose centres meet here first."""
    listen: str = ""
    """The WebSocket API's address; the ``api`` host when empty."""
    public_ip: str = ""
    """Its media's address for boxes behind 1:1 NAT (Janus' ``nat_1_1_mapping``)."""
    interfaces: tuple[str, ...] = ()
    """The interfaces ICE gathers candidates on (all when empty)."""
    admin_key: str = ""
    """The relay's: its VideoRoom ``admin_key`` (else read from :attr:`janus_config`)."""
    janus_config: str = ""
    """The relay's: the folder ``janus-config`` wrote for it (its ``admin_key``)."""
    media: str = ""
    """The relay's: where the other servers send it RTP (the ``api`` host when empty)."""


@dataclass(frozen=True)
class ServerPlan:
    """Which server each district meets on; *source* is the file it came from."""

    servers: tuple[MeetingServer, ...]
    source: str

    @property
    def origin(self) -> MeetingServer:
        """The first server serving no district, else the first listed."""
        return next((s for s in self.servers if not s.districts), self.servers[0])

    def edge_of(self, district: str) -> MeetingServer | None:
        """The edge serving *district*, if any (the origin is never one)."""
        origin = self.origin
        return next((s for s in self.servers if s is not origin and district in s.districts), None)

    def room_servers(self, district: str) -> list[str]:
        """A town meeting's ``servers`` for a centre of *district*: its edge's gate,
        then the origin's; none when no edge serves it (``calls.server`` then)."""
        edge = self.edge_of(district)
        return [edge.gate, self.origin.gate] if edge is not None else []

    def unknown_districts(self, known: set[str]) -> list[Problem]:
        """A problem for each district named here that is not in *known*."""
        return [
            Problem(
                self.source,
                f"unknown district {district!r} (known: {', '.join(sorted(known))})",
                field=f"server[{index}].districts",
            )
            for index, server in enumerate(self.servers)
            for district in server.districts
            if district not in known
        ]


def read_server_plan(path: Path) -> ServerPlan:
    """Read *path*; raise :class:`ProvisionError` naming every field that is wrong:
    an unknown field, a name used twice, a district served twice, a ``gate`` that
    is not a ``ws(s)://`` address, an origin or a serving edge without one."""
    source = str(path)
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ProvisionError([Problem(source, f"cannot read: {err}")]) from None
    tables = document.get("server")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ProvisionError([Problem(source, "no [[server]] table", field="server")])
    problems: list[Problem] = []
    servers = [_server(table, index, source, problems) for index, table in enumerate(tables)]
    seen: dict[str, str] = {}
    names: set[str] = set()
    for index, server in enumerate(servers):
        if server.name in names:
            problems.append(
                Problem(source, f"{server.name!r} is used twice", field=f"server[{index}].name")
            )
        names.add(server.name)
        for district in server.districts:
            if district in seen:
                message = f"{district!r} is served twice ({seen[district]} and {server.name})"
                problems.append(Problem(source, message, field=f"server[{index}].districts"))
            else:
                seen[district] = server.name
    plan = ServerPlan(tuple(servers), source)
    if not problems:
        problems.extend(_missing_gates(plan))
    if problems:
        raise ProvisionError(problems)
    return plan


def _missing_gates(plan: ServerPlan) -> list[Problem]:
    origin = plan.origin
    edges = [s for s in plan.servers if s is not origin and s.districts]
    needing = ([origin] if edges else []) + edges
    return [
        Problem(
            plan.source,
            f"{server.name} serves centres ({'the origin' if server is origin else 'an edge'}): "
            "its call gate's address is needed",
            field=f"server[{plan.servers.index(server)}].gate",
        )
        for server in needing
        if not server.gate
    ]


def _server(
    table: dict[str, Any], index: int, source: str, problems: list[Problem]
) -> MeetingServer:
    where = f"server[{index}]"

    def problem(key: str, message: str) -> None:
        problems.append(Problem(source, message, field=f"{where}.{key}"))

    def text(key: str) -> str:
        value = table.get(key, "")
        if isinstance(value, str):
            return value
        problem(key, "must be a string")
        return ""

    def texts(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        problem(key, "must be a list of names")
        return ()

    unknown = sorted(set(table) - FIELDS)
    if unknown:
        problems.append(Problem(source, f"unknown field(s) {unknown}", field=where))
    name, api, gate = text("name"), text("api"), text("gate")
    if not name:
        problem("name", "missing")
    elif "/" in name or name.startswith("."):
        problem("name", f"not usable as a folder name: {name!r}")
    if urlsplit(api).scheme not in ("ws", "wss") or not urlsplit(api).hostname:
        problem("api", f"not a ws:// or wss:// address: {api!r}")
    if gate:
        try:
            msgspec.convert(gate, JanusUrl)
        except msgspec.ValidationError:
            problem("gate", f"not a wss:// address boxes can use: {gate!r}")
    return MeetingServer(
        name=name,
        api=api,
        gate=gate,
        districts=texts("districts"),
        listen=text("listen"),
        public_ip=text("public_ip"),
        interfaces=texts("interfaces"),
        admin_key=text("admin_key"),
        janus_config=text("janus_config"),
        media=text("media"),
    )
