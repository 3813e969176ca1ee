"""A real nginx on a loopback port, serving a folder: what boxes meet in the field."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from kiosk_demo.webserver import FLEET_SITE, MutualTls, fleet_site

__all__ = [
    "FLEET_SITE",
    "MutualTls",
    "access_log",
    "fleet_site",
    "free_port",
    "nginx",
    "reload_nginx",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def nginx(
    root: Path,
    workdir: Path,
    tls: tuple[Path, Path] | None = None,
    port: int = 0,
    mtls: MutualTls | None = None,
) -> Iterator[str]:
    """Serve *root* at the yielded ``http://127.0.0.1:PORT`` until the block ends;
    with *tls* (certificate, key) at ``https://127.0.0.1:PORT``; with *mtls*, as the
    shipped configuration server does (:func:`fleet_site`). *port* 0 picks a free one."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    plain = f"""
            server {{
                listen 127.0.0.1:{port}{" ssl" if tls else ""};
                {f"ssl_certificate {tls[0]}; ssl_certificate_key {tls[1]};" if tls else ""}
                root {root};
                etag on;
                location / {{ }}
            }}"""
    site = fleet_site(root, port, mtls) if mtls else plain
    (workdir / "nginx.conf").write_text(
        f"""
        {user}
        daemon off;
        worker_processes 1;
        pid {workdir}/nginx.pid;
        error_log {workdir}/error.log notice;
        events {{ worker_connections 64; }}
        http {{
            log_format wire '"$request" $status body=$body_bytes_sent '
                            'sent=$bytes_sent received=$request_length';
            access_log {workdir}/access.log wire;
            client_body_temp_path {workdir}/body;
            proxy_temp_path {workdir}/proxy;
            fastcgi_temp_path {workdir}/fastcgi;
            uwsgi_temp_path {workdir}/uwsgi;
            scgi_temp_path {workdir}/scgi;
            types {{
                application/json json;
                application/vnd.apple.mpegurl m3u8;
                video/mp2t ts;
                video/mp4 mp4;
            }}
            {site}
        }}
        """
    )
    with (workdir / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            ["nginx", "-c", str(workdir / "nginx.conf"), "-p", str(workdir)], stderr=stderr
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(workdir / 'stderr.log').read_text()}")
            time.sleep(0.02)
        yield f"{'https' if tls or mtls else 'http'}://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def access_log(workdir: Path) -> list[str]:
    """Request lines nginx logged so far."""
    try:
        return (workdir / "access.log").read_text().splitlines()
    except FileNotFoundError:
        return []


def logged_since(workdir: Path, before: int, at_least: int, timeout: float = 10) -> list[str]:
    """The request lines logged after the first *before*, once there are *at_least*
    of them (or *timeout* has passed). nginx writes a request's line after it has
    sent the answer, so a client that has its answer may look before it is there:
    the CI run of 2026-11-30 saw one line of two on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        lines = access_log(workdir)[before:]
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)  # nginx gives no event for a line written


def reload_nginx(workdir: Path, timeout: float = 15) -> None:
    """``nginx -s reload`` (SIGHUP to the master), returning once the old worker has
    exited: from then on every new connection meets the reloaded configuration (its
    certificates and revocation list too)."""
    log = workdir / "error.log"

    def exited() -> int:
        return log.read_text().count("exited with code")

    before = exited()
    os.kill(int((workdir / "nginx.pid").read_text()), signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while exited() <= before:
        if time.monotonic() > deadline:
            raise RuntimeError(f"nginx did not reload: {log.read_text()[-2000:]}")
        time.sleep(0.02)
