"""City hall's nginx on one machine (``scripts/cityhall``): the shipped sites with only
their names, paths and addresses changed, so that what runs is the rules a city
installs: the signed repository for boxes (``kiosk-fleet.conf``, mutual TLS) and the
console for staff browsers (``kiosk-console.conf``, TLS), with the call gate's staff
listener under the console's origin (a browser that accepted the console's
certificate once reaches janus.js' server without a second one to accept)."""

import re
from dataclasses import dataclass
from pathlib import Path

FLEET_SITE = Path(__file__).resolve().parents[2] / "provisioning" / "nginx" / "kiosk-fleet.conf"
"""The shipped site of the configuration server; :func:`fleet_site` renders it."""
CONSOLE_SITE = FLEET_SITE.with_name("kiosk-console.conf")
"""The shipped site of the console; :func:`console_site` renders it."""
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

    name: str
    """The host name browsers use (``server_name``)."""
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


def _directive(text: str, name: str, value: str, within: str = "") -> str:
    """*text* with the one ``name …;`` (after *within*, if given) set to *value*."""
    start = text.index(within) if within else 0
    head, tail = text[:start], text[start:]
    tail, count = re.subn(
        rf"(^\s*){name}\s+[^;]*;", rf"\g<1>{name} {value};", tail, count=1, flags=re.M
    )
    assert count == 1, f"{CONSOLE_SITE.name}: no {name}"
    return head + tail


def console_site(site: ConsoleSite) -> str:
    """The shipped ``kiosk-console.conf`` with its names, paths and addresses changed:
    its TLS server only (the plain-HTTP redirect would need port 80), ``Host`` as the
    browser sent it, port included (the console compares a form's ``Referer`` with
    it, and here the port is not 443), and no HSTS."""
    text = "\n".join(line.split("#", 1)[0] for line in CONSOLE_SITE.read_text().splitlines())
    text, count = re.subn(r"server\s*\{[^{}]*return 301[^{}]*\}", "", text)
    assert count == 1, f"{CONSOLE_SITE.name}: expected the redirect to HTTPS"
    text, count = re.subn(r"^\s*listen\s+[^;]*;\n", "", text, flags=re.M)
    assert count >= 1, f"{CONSOLE_SITE.name}: no listen"
    text = text.replace("server {", f"server {{\n    listen {site.listen} ssl;", 1)
    text = _directive(text, "server_name", site.name)
    text = _directive(text, "ssl_certificate", str(site.cert))
    text = _directive(text, "ssl_certificate_key", str(site.key))
    text = _directive(text, "proxy_pass", f"https://{site.gate}/", GATE_PATH)
    text = _directive(text, "proxy_ssl_trusted_certificate", str(site.gate_ca), GATE_PATH)
    text = _directive(text, "proxy_ssl_name", site.gate.rpartition(":")[0], GATE_PATH)
    text = _directive(text, "proxy_pass", f"http://{site.console}", "location / ")
    # Not on a developer's machine: it would send every port of that name to HTTPS
    # for a year (browsers ignore it for an IP address anyway).
    text, count = re.subn(
        r"^\s*add_header Strict-Transport-Security [^;]*;\n", "", text, flags=re.M
    )
    assert count == 1, f"{CONSOLE_SITE.name}: no Strict-Transport-Security"
    for header in ("Host", "X-Forwarded-Host"):
        text, count = re.subn(rf"(proxy_set_header {header}) \$host;", r"\1 $http_host;", text)
        assert count >= 1, f"{CONSOLE_SITE.name}: no {header} $host"
    return text


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
