"""City hall's identity service: boxes enrol with a one-time code, renew their
certificate, and fetch time-limited TURN credentials.

The service speaks TLS itself; nothing sits in front of it, so no header is ever
trusted. A client certificate is optional at the handshake (a box that enrols has
none yet) and, when given, must chain to the fleet CA; every request that needs one
then asks :meth:`Authority.identify`, which also checks revocation.

    POST /v1/enrol  {"centre_id", "code", "csr"} -> {"certificate", "ca"}
    POST /v1/renew  (client certificate) {"csr"}  -> {"certificate"}
    GET  /v1/turn   (client certificate)          -> {"username", "credential", "ttl_s"}

and a centre's video messages to city hall (의견 남기기), uploaded resumably into
:class:`~kiosk_provisioning.messages.MessageStore` (``REPO/messages``), each one only
ever seen by the centre whose certificate announced it:

    POST  /v1/messages       {"id", "size", "sha256", "duration_s", "recorded_at"}
                             -> 201 (new) or 200 (the same again) {"id", "offset", "state"}
    GET   /v1/messages/<id>  -> {"id", "offset", "size", "state", "handled_by", "handled_at"}
    PATCH /v1/messages/<id>  Upload-Offset: N, application/offset+octet-stream, the next
                             bytes (at most 1 MiB) -> {"offset", "state"}

Refusals are JSON ``{"error": kind, "message": plain text}``: 400 bad input,
401 no valid certificate, 403 wrong code, 404 no such message (of this centre),
409 centre taken, message id taken or upload offset not where it is (with
``"offset"``), 413 body too large, 415 not an upload, 422 a message that is no
WebM or not what was announced, 429 too many refused enrolment tries or unfinished
uploads, 507 disk full. Each refusal is logged once, with who and why.

Threads: the handlers run on the service's event loop; the authority's calls
(sqlite, signing, a deliberately slow scrypt check of each code) run one at a time
on the service's ``authority`` thread, so the loop keeps answering meanwhile.
:func:`start` runs the whole service on a thread of its own for tests and the demo;
``python -m kiosk_provisioning.identity.service`` runs it in the foreground.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import re
import signal
import sqlite3
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from cryptography import x509
from cryptography.x509.oid import NameOID

from kiosk_provisioning.identity.authority import Authority, IdentityError
from kiosk_provisioning.identity.tokens import turn_credentials
from kiosk_provisioning.messages import MAX_CHUNK, MessageError, MessageStore

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY_BYTES = 16 * 1024
"""Largest request body: a CSR is under 1 KiB; anything bigger is refused (413)."""
STOP_S = 5.0
"""How long a stop waits for requests in flight (then closes what is left)."""
TURN_TTL_S = 3600
"""How long TURN credentials from ``/v1/turn`` stay valid; boxes fetch new ones before."""
_CENTRE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MAX_CODE_CHARS = 32
_MAX_CSR_CHARS = 8 * 1024

_STATUS = {"code": 403, "unknown": 403, "tries": 429, "taken": 409, "revoked": 401, "csr": 400}
"""HTTP status for each :attr:`IdentityError.kind`."""
_MESSAGE_STATUS = {
    "input": 400,
    "duration": 400,
    "unknown": 404,
    "conflict": 409,
    "offset": 409,
    "busy": 409,
    "size": 413,
    "malformed": 422,
    "space": 507,
}
"""HTTP status for each :attr:`MessageError.kind` (``busy`` when too many uploads
are unfinished is 429: see :meth:`IdentityService._announce`)."""
UPLOAD_TYPE = "application/offset+octet-stream"
SWEEP_EVERY_S = 3600.0
"""How often abandoned uploads are looked for."""


@dataclass(frozen=True)
class Limits:
    """How many refused enrolment tries are allowed before further tries get 429.

    On top of the authority's own count per code: these stop guessing across
    codes, centres and connections. A refused try counts; a successful one does not.
    """

    tries_per_centre: int = 5
    """RefusedError tries for one centre from one address within the window (keyed on
    both, so that a stranger cannot keep a centre's technician waiting)."""
    tries_per_address: int = 20
    """RefusedError tries from one remote address within the window, whatever the centre."""
    window_s: float = 900.0
    """Sliding window, in seconds."""


class TryCounter:
    """RefusedError tries per key (a centre, an address) within a sliding window.

    Owned by the service's event loop; *clock* is monotonic seconds (tests pass a
    fake one to move time without sleeping).
    """

    _MAX_KEYS = 100_000
    """Above this many keys, keys whose tries have all expired are dropped."""

    def __init__(self, most: int, window_s: float, clock: Callable[[], float]) -> None:
        self._most = most
        self._window_s = window_s
        self._clock = clock
        self._tries: dict[str, deque[float]] = {}
        self._pruned_at = float("-inf")

    def exhausted(self, key: str) -> bool:
        """Whether *key* has used up its tries in the current window."""
        return len(self._recent(key)) >= self._most

    def count(self, key: str) -> None:
        """Count one refused try for *key*."""
        now = self._clock()
        self._recent(key).append(now)
        # Pruning walks every key: at most once a second, however many keys arrive.
        if len(self._tries) > self._MAX_KEYS and now - self._pruned_at >= 1.0:
            self._pruned_at = now
            for stale in [k for k in self._tries if not self._recent(k)]:
                del self._tries[stale]

    def _recent(self, key: str) -> deque[float]:
        tries = self._tries.setdefault(key, deque())
        oldest = self._clock() - self._window_s
        while tries and tries[0] <= oldest:
            tries.popleft()
        return tries


class RefusedError(Exception):
    """A request the service answers with an error status and a plain message."""

    def __init__(self, status: int, kind: str, message: str, **more: Any) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.more = more
        """Further fields of the answer (an upload's ``offset``)."""


class IdentityService:
    """The HTTP handlers over one :class:`Authority`; :meth:`app` gives the aiohttp
    application. Owned by one event loop; :meth:`close` (idempotent) stops the
    authority's thread."""

    def __init__(
        self,
        authority: Authority,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        messages: MessageStore | None = None,
    ) -> None:
        self._authority = authority
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="authority")
        self._messages = messages
        # Disk work for uploads (fsync, the check of a whole message) on threads of
        # its own, so that neither the loop nor enrolments wait for it.
        self._disk = ThreadPoolExecutor(4, thread_name_prefix="messages")
        limits = limits or Limits()
        self._per_centre = TryCounter(limits.tries_per_centre, limits.window_s, clock)
        self._per_address = TryCounter(limits.tries_per_address, limits.window_s, clock)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/v1/enrol", self._guarded(self._enrol))
        app.router.add_post("/v1/renew", self._guarded(self._renew))
        app.router.add_get("/v1/turn", self._guarded(self._turn))
        if self._messages is not None:
            app.router.add_post("/v1/messages", self._guarded(self._announce))
            app.router.add_get("/v1/messages/{id}", self._guarded(self._message))
            app.router.add_patch("/v1/messages/{id}", self._guarded(self._upload))
            app.cleanup_ctx.append(self._sweeping)
        return app

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        self._disk.shutdown(wait=True)

    async def _ask(self, call: Callable[..., T], *args: Any) -> T:
        """Run one authority call on the authority's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, call, *args)

    async def _on_disk(self, call: Callable[..., T], *args: Any) -> T:
        """Run one message store call on a disk thread."""
        return await asyncio.get_running_loop().run_in_executor(self._disk, call, *args)

    def _guarded(
        self, handler: Callable[[web.Request], Awaitable[dict[str, Any]]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def answer(request: web.Request) -> web.Response:
            try:
                answered = await handler(request)
                status = answered.pop("_status", 200)
                return web.json_response(answered, status=status)
            except RefusedError as refused:
                log.warning(
                    "%s %s from %s refused (%d %s): %s",
                    request.method,
                    request.path,
                    request.remote,
                    refused.status,
                    refused.kind,
                    refused.message,
                )
                return web.json_response(
                    {"error": refused.kind, "message": refused.message, **refused.more},
                    status=refused.status,
                )

        return answer

    async def _enrol(self, request: web.Request) -> dict[str, Any]:
        body = await _json_body(request)
        centre_id = _field(body, "centre_id", 64)
        code = _field(body, "code", _MAX_CODE_CHARS)
        csr = _field(body, "csr", _MAX_CSR_CHARS)
        if not _CENTRE_ID.match(centre_id):
            raise RefusedError(400, "input", "centre_id is not a centre number")
        address = f"address {request.remote}"
        centre = f"centre {centre_id} from {request.remote}"
        for key, counter in ((address, self._per_address), (centre, self._per_centre)):
            if counter.exhausted(key):
                raise RefusedError(
                    429, "tries", f"too many wrong tries for {key}: wait and try again later"
                )
        try:
            certificate = await self._ask(self._authority.enrol, centre_id, code, csr.encode())
        except IdentityError as err:
            status = _STATUS.get(err.kind, 403)
            self._per_address.count(address)
            if status in (403, 429):
                self._per_centre.count(centre)
            raise RefusedError(status, err.kind, f"{centre}: {err}") from None
        log.info("centre %s enrolled a box from %s", centre_id, request.remote)
        return {"certificate": certificate.decode(), "ca": self._authority.ca_pem.decode()}

    async def _renew(self, request: web.Request) -> dict[str, Any]:
        der, centre_id = await self._identify(request)
        csr = _field(await _json_body(request), "csr", _MAX_CSR_CHARS)
        try:
            certificate = await self._ask(self._authority.renew, der, csr.encode())
        except IdentityError as err:
            raise RefusedError(
                _STATUS.get(err.kind, 403), err.kind, f"{centre_id}: {err}"
            ) from None
        log.info("centre %s renewed its certificate from %s", centre_id, request.remote)
        return {"certificate": certificate.decode()}

    async def _turn(self, request: web.Request) -> dict[str, Any]:
        _, centre_id = await self._identify(request)
        username, credential = turn_credentials(
            self._authority.turn_secret, centre_id, ttl_s=TURN_TTL_S
        )
        return {"username": username, "credential": credential, "ttl_s": TURN_TTL_S}

    async def _announce(self, request: web.Request) -> dict[str, Any]:
        _, centre_id = await self._identify(request)
        body = await _json_body(request)
        message_id = _field(body, "id", 32)
        size, duration_s = body.get("size"), body.get("duration_s")
        if not isinstance(size, int) or isinstance(size, bool):
            raise RefusedError(400, "input", "size must be a whole number of bytes")
        if not isinstance(duration_s, int | float) or isinstance(duration_s, bool):
            raise RefusedError(400, "input", "duration_s must be a number of seconds")
        try:
            seconds = float(duration_s)
        except OverflowError:  # a whole number no float holds (JSON allows it)
            raise RefusedError(400, "duration", "duration_s is out of range") from None
        sha256 = _field(body, "sha256", 64)
        recorded_at = _field(body, "recorded_at", 64)
        store = self._store()
        try:
            message, new = await self._on_disk(
                store.announce, centre_id, message_id, size, sha256, seconds, recorded_at
            )
        except MessageError as err:
            status = 429 if err.kind == "busy" else _MESSAGE_STATUS.get(err.kind, 400)
            raise RefusedError(status, err.kind, f"centre {centre_id}: {err}") from None
        answer: dict[str, Any] = {"id": message.id, "offset": message.offset}
        answer["state"] = message.state
        if new:
            answer["_status"] = 201
        return answer

    async def _message(self, request: web.Request) -> dict[str, Any]:
        _, centre_id = await self._identify(request)
        message_id = request.match_info["id"]
        try:
            message = await self._on_disk(self._store().status, centre_id, message_id)
        except MessageError as err:
            raise RefusedError(
                _MESSAGE_STATUS.get(err.kind, 400), err.kind, f"centre {centre_id}: {err}"
            ) from None
        if message is None:
            raise RefusedError(404, "unknown", f"centre {centre_id} has no message {message_id}")
        return {
            "id": message.id,
            "offset": message.offset,
            "size": message.size,
            "state": message.state,
            "handled_by": message.handled_by,
            "handled_at": message.handled_at,
        }

    async def _upload(self, request: web.Request) -> dict[str, Any]:
        """The next piece of an upload, streamed to disk as it arrives: durable and
        counted when the body is in (or as far as it came, if the connection
        broke); nothing of a piece that is too long is counted."""
        _, centre_id = await self._identify(request)
        message_id = request.match_info["id"]
        who = f"centre {centre_id}, message {message_id}"
        if request.content_type != UPLOAD_TYPE:
            raise RefusedError(415, "input", f"{who}: the body must be {UPLOAD_TYPE}")
        said = request.headers.get("Upload-Offset", "")
        if not said.isdigit() or len(said) > 12:
            raise RefusedError(400, "input", f"{who}: Upload-Offset must be a byte count")
        length = request.content_length
        if length is not None and length > MAX_CHUNK:
            raise RefusedError(413, "size", f"{who}: a piece is at most {MAX_CHUNK} bytes")
        store = self._store()
        try:
            piece = await self._on_disk(store.append, centre_id, message_id, int(said), length)
        except MessageError as err:
            more = {"offset": err.offset} if err.offset is not None else {}
            kind = "offset" if err.kind == "busy" else err.kind
            raise RefusedError(
                _MESSAGE_STATUS.get(err.kind, 400), kind, f"{who}: {err}", **more
            ) from None
        try:
            async for data in request.content.iter_chunked(64 * 1024):
                await self._on_disk(piece.write, data)
        except MessageError as err:  # more than it may carry: none of it counts
            await asyncio.shield(self._on_disk(piece.discard))
            raise RefusedError(413, err.kind, f"{who}: {err}") from None
        except asyncio.CancelledError:
            await asyncio.shield(self._on_disk(piece.commit))
            raise
        except Exception as err:  # noqa: BLE001 - whatever broke the body, the same answer
            # The connection broke mid-piece: what came is kept, durably, and counted.
            message = await asyncio.shield(self._on_disk(piece.commit))
            raise RefusedError(
                400, "broken", f"{who}: the body broke off ({err!r}), kept to {message.offset}"
            ) from None
        try:
            message = await asyncio.shield(self._on_disk(piece.commit))
        except MessageError as err:
            raise RefusedError(422, err.kind, f"{who}: {err}") from None
        return {"offset": message.offset, "state": message.state}

    def _store(self) -> MessageStore:
        assert self._messages is not None, "routes exist only with a store"
        return self._messages

    async def _sweeping(self, app: web.Application) -> Any:
        """Abandoned uploads deleted at start and every :data:`SWEEP_EVERY_S`."""

        async def sweep() -> None:
            while True:
                try:
                    await self._on_disk(self._store().sweep)
                except (OSError, sqlite3.Error) as err:
                    log.warning("messages: abandoned uploads not swept: %s", err)
                await asyncio.sleep(SWEEP_EVERY_S)

        task = asyncio.create_task(sweep())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _identify(self, request: web.Request) -> tuple[bytes, str]:
        """The client certificate (DER) and its centre, or 401. Only the TLS
        connection counts: the certificate the handshake verified against the CA."""
        transport = request.transport
        tls = transport.get_extra_info("ssl_object") if transport is not None else None
        der = tls.getpeercert(binary_form=True) if isinstance(tls, ssl.SSLObject) else None
        if not der:
            raise RefusedError(401, "certificate", "no client certificate")
        centre_id = await self._ask(self._authority.identify, der)
        if centre_id is None:
            raise RefusedError(
                401, "certificate", f"{_named(der)} is not a live box certificate (revoked?)"
            )
        return der, centre_id


def _named(der: bytes) -> str:
    """Who a certificate says it is, for the log (not proof of anything)."""
    try:
        cert = x509.load_der_x509_certificate(der)
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return "an unreadable certificate"
    said = str(names[0].value) if names else "?"
    return f"certificate {said!r} (serial {cert.serial_number:x})"


async def _json_body(request: web.Request) -> dict[str, Any]:
    # request.read() enforces client_max_size (413) before anything is parsed.
    data = await request.read()
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RefusedError(400, "input", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise RefusedError(400, "input", "the body is not a JSON object")
    return body


def _field(body: dict[str, Any], name: str, most: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > most:
        raise RefusedError(400, "input", f"{name} must be a text of 1 to {most} characters")
    return value


def tls_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    """Server TLS: our certificate; a client certificate optional, and if given,
    verified against the fleet CA (*ca*) by the handshake itself."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(ca)
    return context


async def serve(
    folder: Path,
    host: str,
    port: int,
    cert: Path,
    key: Path,
    *,
    limits: Limits | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled. *folder* is city hall's identity folder
    (``REPO/identity``); *port* 0 picks a free one. *ready* is called once with the
    service's URL when it accepts connections."""
    authority = Authority.open(folder)
    messages = MessageStore.open(folder.parent)
    service = IdentityService(authority, limits, messages=messages)
    # A stop (SIGTERM) waits at most this long for requests in flight.
    runner = web.AppRunner(service.app(), access_log=None, shutdown_timeout=STOP_S)
    try:
        await runner.setup()
        site = web.TCPSite(
            runner, host, port, ssl_context=tls_context(cert, key, authority.ca_path)
        )
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        url = f"https://{_url_host(bound_host)}:{bound_port}"
        log.info("identity service listening on %s", url)
        if ready is not None:
            ready(url)
        await asyncio.Event().wait()  # until cancelled
    finally:
        try:
            async with asyncio.timeout(2 * STOP_S):
                await runner.cleanup()
        except TimeoutError:
            log.warning("identity service: connections did not close in %.0f s", 2 * STOP_S)
        service.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class RunningService:
    """The identity service on a thread of its own (tests, the demo).

    :attr:`url` is set once it accepts connections; :meth:`close` stops it and
    is safe to call twice.
    """

    def __init__(
        self, folder: Path, host: str, port: int, cert: Path, key: Path, limits: Limits | None
    ) -> None:
        self.url = ""
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._args = (folder, host, port, cert, key, limits)
        self._thread = threading.Thread(target=self._run, name="identity-service", daemon=True)

    def _run(self) -> None:
        folder, host, port, cert, key, limits = self._args
        self._task = self._loop.create_task(
            serve(folder, host, port, cert, key, limits=limits, ready=self._started)
        )
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as err:  # noqa: BLE001 - the thread's boundary: start() raises it
            self._failure = err
        finally:
            self._ready.set()
            self._loop.close()

    def _started(self, url: str) -> None:
        self.url = url
        self._ready.set()

    def start(self, timeout_s: float = 30.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise TimeoutError("the identity service did not start")
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        if self._thread.is_alive() and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread.ident is not None:
            self._thread.join()


def start(
    folder: Path,
    cert: Path,
    key: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits | None = None,
) -> RunningService:
    """Start the service on its own thread; returns once it accepts connections
    (or raises why it could not start). Stop it with :meth:`RunningService.close`."""
    service = RunningService(folder, host, port, cert, key, limits)
    service.start()
    return service


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected IP:PORT")
    return host.strip("[]"), int(port)


def run(argv: Sequence[str] | None = None) -> int:
    """``python -m kiosk_provisioning.identity.service --repo REPO --listen IP:PORT
    --cert C --key K``: serve in the foreground until interrupted. Prints
    ``ready URL`` on standard output once it accepts connections."""
    parser = argparse.ArgumentParser(prog="kiosk_provisioning.identity.service")
    parser.add_argument("--repo", type=Path, required=True, metavar="REPO")
    parser.add_argument("--listen", type=_listen, required=True, metavar="IP:PORT")
    parser.add_argument("--cert", type=Path, required=True, help="server certificate (PEM)")
    parser.add_argument("--key", type=Path, required=True, help="server key (PEM)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    host, port = args.listen

    def ready(url: str) -> None:
        print(f"ready {url}", flush=True)

    async def foreground() -> None:
        # systemd stops it with SIGTERM: close the listener and connections cleanly.
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(args.repo / "identity", host, port, args.cert, args.key, ready=ready)

    # A parent may have left these blocked (a child inherits its signal mask, and
    # asyncio's handlers never run for a blocked signal): seen once in the test suite,
    # where SIGTERM then did nothing at all.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        asyncio.run(foreground())
    except KeyboardInterrupt:
        return 0
    except (OSError, ssl.SSLError, IdentityError) as err:
        print(f"identity service: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
