"""Is city hall's call server there, and its TURN or STUN server? For technicians
(``kiosk doctor`` and the diagnostics screen); each check says how long it took.

- Janus: an ``info`` request over its WebSocket (TLS verified for ``wss``); it is
  fine when it answers and has the VideoCall and VideoRoom plugins calls use.
- TURN/STUN: a STUN Binding request over the transport the URL names (UDP by
  default, TCP with ``?transport=tcp``, TLS for ``turns:``); it is fine when the
  server answers it (coturn does without credentials).

Blocking (a few seconds at most): call off the GUI thread.
"""

import json
import socket
import ssl
import time
from typing import Any
from urllib.parse import parse_qs

from aioice import stun

from kiosk_contract.config.calls import IceServer

TIMEOUT_S = 3.0
PLUGINS = ("janus.plugin.videocall", "janus.plugin.videoroom")


def check_janus(url: str, tls: ssl.SSLContext | None = None) -> dict[str, Any]:
    """Janus (or city hall's call gate in front of it) answers ``info``; *tls*: the
    box's TLS context for a ``wss://`` server (its certificate, the fleet CA)."""
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    began = time.monotonic()
    try:
        protocol = [Subprotocol("janus-protocol")]
        secure: dict[str, Any] = {"ssl": tls} if tls is not None and url.startswith("wss:") else {}
        with connect(url, subprotocols=protocol, open_timeout=TIMEOUT_S, **secure) as line:
            line.send(json.dumps({"janus": "info", "transaction": "kiosk-doctor"}))
            reply = json.loads(line.recv(timeout=TIMEOUT_S))
    except (OSError, TimeoutError, WebSocketException, ValueError) as err:
        return {"checked": True, "reachable": False, "url": url, "error": type(err).__name__}
    ms = round((time.monotonic() - began) * 1000)
    missing = [name for name in PLUGINS if name not in reply.get("plugins", {})]
    return {
        "checked": True,
        "reachable": reply.get("janus") == "server_info" and not missing,
        "url": url,
        "ms": ms,
        "version": reply.get("version_string"),
        "missing_plugins": missing,
    }


def check_ice(server: IceServer) -> dict[str, Any]:
    scheme, _, rest = server.urls.partition(":")
    address, _, query = rest.partition("?")
    host, _, port_text = address.rpartition(":") if ":" in address else (address, "", "")
    secure = scheme == "turns"
    port = int(port_text) if port_text.isdigit() else (5349 if secure else 3478)
    transport = parse_qs(query).get("transport", ["tcp" if secure else "udp"])[0]
    shown = f"{scheme}:{host}:{port} ({transport})"
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    began = time.monotonic()
    try:
        if transport == "tcp":
            answer = _over_tcp(host, port, bytes(request), secure)
        else:
            answer = _over_udp(host, port, bytes(request))
        reply = stun.parse_message(answer)
    except (OSError, ValueError) as err:
        return {"checked": True, "reachable": False, "url": shown, "error": type(err).__name__}
    ms = round((time.monotonic() - began) * 1000)
    ok = reply.transaction_id == request.transaction_id
    return {"checked": True, "reachable": ok, "url": shown, "ms": ms}


def _over_tcp(host: str, port: int, request: bytes, secure: bool) -> bytes:
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as raw:
        sock = (
            ssl.create_default_context().wrap_socket(raw, server_hostname=host) if secure else raw
        )
        sock.sendall(request)
        answer = b""
        while len(answer) < 20 or len(answer) < 20 + int.from_bytes(answer[2:4], "big"):
            more = sock.recv(4096)
            if not more:
                raise ConnectionResetError("the server closed the connection")
            answer += more
        return answer


def _over_udp(host: str, port: int, request: bytes) -> bytes:
    family = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(family[0], socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT_S / 3)
        for _ in range(3):  # UDP may drop a packet: ask up to three times
            sock.sendto(request, family[4])
            try:
                return sock.recv(4096)
            except TimeoutError:
                continue
    raise TimeoutError("no answer")
