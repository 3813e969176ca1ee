"""City hall's nginx on one machine (``scripts/cityhall``): the signed repository for
the boxes, exactly as the shipped site serves it (mutual TLS), and the console for
staff browsers over TLS, with the call gate's staff listener under the same origin.

The console's site is written here until the project ships one of its own: nginx
terminates TLS and proxies the console on 127.0.0.1 (which trusts one hop of
``X-Forwarded-*``), and ``/gate/`` to the gate's staff listener, so that a browser
that accepted the console's certificate once reaches janus.js' server without a
second certificate to accept (and with no address only this machine knows)."""

import re
from dataclasses import dataclass
from pathlib import Path

FLEET_SITE = Path(__file__).resolve().parents[2] / "provisioning" / "nginx" / "kiosk-fleet.conf"
"""The shipped site of the configuration server; :func:`fleet_site` renders it."""
GATE_PATH = "/gate/"
"""Where the console's origin hands WebSockets on to the call gate's staff listener."""


@dataclass(frozen=True)
class MutualTls:
    """The configuration server's TLS as shipped: its certificate, and the fleet CA and
    revocation list it checks boxes against."""

    cert: Path
    key: Path
    ca: Path
    crl: Path


def fleet_site(root: Path, port: int, tls: MutualTls, address: str = "127.0.0.1") -> str:
    """The shipped ``kiosk-fleet.conf`` with only its paths and listening address
    changed, so that what runs is the very rules a city installs."""
    text = "\n".join(line.split("#", 1)[0] for line in FLEET_SITE.read_text().splitlines())
    replaced = {
        "server_name": "localhost",
        "ssl_certificate": str(tls.cert),
        "ssl_certificate_key": str(tls.key),
        "ssl_client_certificate": str(tls.ca),
        "ssl_crl": str(tls.crl),
        "root": str(root),
    }
    for directive, value in replaced.items():
        text, count = re.subn(
            rf"^(\s*){directive}\s+[^;]*;", rf"\g<1>{directive} {value};", text, flags=re.M
        )
        assert count == 1, f"{FLEET_SITE.name}: expected one {directive}"
    text, count = re.subn(r"^\s*listen\s+[^;]*;\n", "", text, flags=re.M)
    assert count >= 1, f"{FLEET_SITE.name}: no listen"
    return text.replace("server {", f"server {{\n    listen {address}:{port} ssl;", 1)


@dataclass(frozen=True)
class ConsoleSite:
    """The console as staff browsers reach it."""

    listen: str
    """``IP:PORT`` nginx listens on (TLS)."""
    cert: Path
    key: Path
    console: str
    """``IP:PORT`` of ``kiosk-provision console serve``."""
    gate: str
    """``IP:PORT`` of the call gate's staff listener (TLS)."""
    gate_ca: Path
    """The fleet CA, which signed the gate's certificate."""


def console_site(site: ConsoleSite) -> str:
    """An nginx ``server`` block for the console and, under :data:`GATE_PATH`, the gate."""
    gate_host = site.gate.rpartition(":")[0]
    return f"""
    server {{
        listen {site.listen} ssl;
        ssl_certificate     {site.cert};
        ssl_certificate_key {site.key};
        # An alert's recording and picture come up in one form.
        client_max_body_size 5m;

        location {GATE_PATH} {{
            proxy_pass https://{site.gate}/;
            proxy_ssl_trusted_certificate {site.gate_ca};
            proxy_ssl_verify on;
            proxy_ssl_name {gate_host};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            # A staff member waits for calls for hours; the gate pings meanwhile.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
        location / {{
            proxy_pass http://{site.console};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}"""


def nginx_conf(folder: Path, sites: str, user: str = "root") -> str:
    """A whole ``nginx.conf`` running in the foreground with everything in *folder*."""
    return f"""
user {user};
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log notice;
events {{ worker_connections 256; }}
http {{
    log_format wire '"$request" $status body=$body_bytes_sent';
    access_log {folder}/access.log wire;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    types {{
        text/html html;
        text/css css;
        application/javascript js;
        application/json json;
        image/png png;
        image/svg+xml svg;
        video/mp4 mp4;
    }}
{sites}
}}
"""
