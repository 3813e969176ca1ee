"""A real nginx on a loopback port, serving a folder: what boxes meet in the field."""

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def nginx(
    root: Path, workdir: Path, tls: tuple[Path, Path] | None = None, port: int = 0
) -> Iterator[str]:
    """Serve *root* at the yielded ``http://127.0.0.1:PORT`` until the block ends;
    with *tls* (certificate, key) at ``https://127.0.0.1:PORT``. *port* 0 picks a free one."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    (workdir / "nginx.conf").write_text(
        f"""
        {user}
        daemon off;
        worker_processes 1;
        pid {workdir}/nginx.pid;
        error_log {workdir}/error.log;
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
            server {{
                listen 127.0.0.1:{port}{" ssl" if tls else ""};
                {f"ssl_certificate {tls[0]}; ssl_certificate_key {tls[1]};" if tls else ""}
                root {root};
                etag on;
                location / {{ }}
            }}
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
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def access_log(workdir: Path) -> list[str]:
    """Request lines nginx logged so far."""
    try:
        return (workdir / "access.log").read_text().splitlines()
    except FileNotFoundError:
        return []
