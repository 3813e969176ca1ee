"""Writes a Janus configuration folder for city hall's call server.

Only what the kiosks use is switched on: the VideoCall plugin (one-to-one calls),
the VideoRoom plugin (group sessions) with the configured rooms, the WebSocket API
for kiosks and browsers, and the HTTP admin API (session counts for monitoring).
Plugins and transports are loaded from folders holding links to just those, so
nothing else Debian ships is started.

Janus itself refuses whoever has no credential: ``token_auth`` with
``token_auth_secret`` (HMAC-signed tokens carrying an expiry and the plugins they
open), so a misconfigured proxy or a local process gets nothing. Only city hall's
call gate (:mod:`kiosk_provisioning.gate`) holds the secret and mints tokens, for
parties it has verified; Janus listens only where the gate reaches it. Every room
is private (no ``list``), has a management ``secret`` clients never get (no
``destroy``/``edit``/``kick``), needs a signed join token naming it
(``signed_tokens``: Janus 1.1.2 checks it for publishers and subscribers alike;
its ``allowed`` list cannot be set from this file and would check publishers only),
and the plugin's ``admin_key`` keeps clients from creating rooms.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

JANUS_LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
PLUGINS = ("libjanus_videocall.so", "libjanus_videoroom.so")
TRANSPORTS = ("libjanus_websockets.so", "libjanus_http.so")


@dataclass(frozen=True)
class Room:
    """A VideoRoom room: a town meeting or a live class."""

    number: int
    description: str
    publishers: int = 12
    bitrate: int = 512_000
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    """Needed to destroy, edit or kick: kept by city hall (the directory's RoomKeys)."""


@dataclass(frozen=True)
class JanusSetup:
    """What differs between city hall's server, the demo's and a test's."""

    ws_port: int = 8188
    admin_port: int = 7088
    admin_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    token_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    """``token_auth_secret``: who holds it can mint Janus tokens (the call gate only).
    A random one (the default) lets nobody in."""
    rooms: tuple[Room, ...] = ()
    interfaces: tuple[str, ...] = ()
    """Gather ICE candidates only on these interfaces (all when empty)."""
    rtp_ports: tuple[int, int] = (20000, 40000)
    session_timeout_s: int = 60
    no_media_s: int = 1
    """Janus reports a stream that stopped after this many seconds (its ``media`` event)."""
    library: Path = JANUS_LIB
    listen: str = ""
    """The WebSocket API's address (all when empty); city hall's is 127.0.0.1 behind
    nginx's TLS."""
    public_ip: str = ""
    """The address kiosks reach Janus' media at, when Janus is behind NAT (1:1)."""
    debug_level: int = 4
    event_loops: int = field(default_factory=lambda: os.cpu_count() or 2)
    """Janus' ``event_loops``: every handle's media is sent from one of this many
    threads (one per core), not from a thread of its own. Measured with 300 watching
    centres on 2 cores (``bench/meeting_shapes.py``): Janus' CPU per watcher 0.34 ->
    0.17 % of a core, threads 320 -> 21, memory 114 -> 67 MiB, no loss either way."""


def write_config(folder: Path, setup: JanusSetup) -> None:
    """Fill *folder* with ``janus.jcfg`` and the plugin and transport settings."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, names in (("plugins", PLUGINS), ("transports", TRANSPORTS)):
        links = folder / kind
        links.mkdir(exist_ok=True)
        for name in names:
            link = links / name
            if not link.is_symlink():
                link.symlink_to(setup.library / kind / name)
    enforce = ",".join(setup.interfaces)
    low, high = setup.rtp_ports
    (folder / "janus.jcfg").write_text(
        f"""general: {{
	configs_folder = "{folder}"
	plugins_folder = "{folder / "plugins"}"
	transports_folder = "{folder / "transports"}"
	debug_level = {setup.debug_level}
	event_loops = {setup.event_loops}
	admin_secret = "{setup.admin_secret}"
	session_timeout = {setup.session_timeout_s}
	server_name = "kiosk-city-hall"
	token_auth = true
	token_auth_secret = "{_quoted(setup.token_secret)}"
}}
media: {{
	rtp_port_range = "{low}-{high}"
	no_media_timer = {setup.no_media_s}
}}
nat: {{
	nice_debug = false
	{f'ice_enforce_list = "{enforce}"' if enforce else ""}
	{f'nat_1_1_mapping = "{setup.public_ip}"' if setup.public_ip else ""}
}}
plugins: {{
}}
transports: {{
}}
events: {{
	broadcast = false
}}
"""
    )
    (folder / "janus.transport.websockets.jcfg").write_text(
        f"""general: {{
	json = "plain"
	ws = true
	ws_port = {setup.ws_port}
	{f'ws_ip = "{setup.listen}"' if setup.listen else ""}
	wss = false
	# A kiosk whose link died is dropped ~20 s after it fell silent (its session
	# and its name on the VideoCall plugin with it), so that it can register again
	# as soon as the link is back, instead of "already taken" until
	# session_timeout (60 s). A cut of a few seconds (which heals on the same
	# connection) stays below it: a ping lost in it is answered once it ends.
	pingpong_trigger = 10
	pingpong_timeout = 10
}}
admin: {{
	admin_ws = false
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
	json = "plain"
	http = false
}}
admin: {{
	admin_base_path = "/admin"
	admin_http = true
	admin_port = {setup.admin_port}
	admin_ip = "{setup.listen or "0.0.0.0"}"
}}
"""
    )
    rooms = "".join(
        f"""room-{room.number}: {{
	description = "{_quoted(room.description)}"
	is_private = true
	secret = "{_quoted(room.secret)}"
	signed_tokens = true
	lock_record = true
	publishers = {room.publishers}
	bitrate = {room.bitrate}
	fir_freq = 2
	notify_joining = true
}}
"""
        for room in setup.rooms
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        f'general: {{\n\tadmin_key = "{setup.admin_secret}"\n\tlock_rtp_forward = true\n}}\n{rooms}'
    )
    (folder / "janus.plugin.videocall.jcfg").write_text("general: {\n}\n")
    for written in folder.glob("*.jcfg"):
        written.chmod(0o640)  # the admin, token and room secrets are in them


def _quoted(text: str) -> str:
    """*text* inside a libconfig string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
