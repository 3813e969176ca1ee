"""City hall staff in a real browser: Debian's Chromium, headless, with a fake
camera and microphone sending a known colour and tone, running ``janus.js`` from
Debian's libjs-janus-gateway (tests/calls/web/staff.js drives it).

Chromium runs inside city hall's network namespace (it can reach nothing but
Janus and this test's page server on our end of the veth pair). The page POSTs
what happens, and what the far side looks and sounds like, to that server."""

import asyncio
import base64
import hashlib
import json
import logging
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlencode

from kiosk_demo.network import PrivateNetwork

WEB = Path(__file__).parent / "web"
PAGE_S = 8.0
"""Chromium fetches its page within a second or two; one that has not in this long
has stalled (the caller's event loop is blocked meanwhile: keep it short)."""
SCRIPTS = {
    "/staff.html": WEB / "staff.html",
    "/staff.js": WEB / "staff.js",
    "/janus.js": Path("/usr/share/javascript/janus-gateway/janus.js"),
    "/adapter.js": Path("/usr/share/javascript/webrtc-adapter/adapter.js"),
}
Report = dict[str, Any]


class Server(Protocol):
    @property
    def url(self) -> str:
        """Where janus.js connects (city hall's call gate)."""
        ...


class PageServer:
    """Serves the staff page on our end of the veth pair and collects its reports."""

    def __init__(self, address: str) -> None:
        self.reports: queue.Queue[Report] = queue.Queue()
        reports = self.reports
        self.pages_served = 0
        served = threading.Condition()
        self.served = served
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = SCRIPTS.get(self.path.split("?")[0])
                if path is None:
                    self.send_error(404)
                    return
                body = path.read_bytes()
                kind = "text/html" if path.suffix == ".html" else "text/javascript"
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if path.suffix == ".html":
                    with served:
                        page.pages_served += 1
                        served.notify_all()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                reports.put(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer((address, 0), Handler)
        self.origin = f"http://{address}:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, name="staff-page")
        self._thread.start()

    def loaded_since(self, count: int, timeout: float) -> bool:
        """Whether the page was fetched more than *count* times within *timeout* s."""
        with self.served:
            return self.served.wait_for(lambda: self.pages_served > count, timeout)

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    async def next(self, check: Callable[[Report], bool]) -> Report:
        """The next report for which *check* holds (earlier ones are dropped)."""
        while True:
            try:  # a short wait, so a cancelled test does not leave a thread waiting
                report = await asyncio.to_thread(self.reports.get, True, 0.5)
            except queue.Empty:
                continue
            if report.get("event") == "error":
                raise AssertionError(f"the browser failed: {report}")
            if check(report):
                return report


def fake_media(
    folder: Path, colour: tuple[int, int, int] | None, tone: int, seconds: int = 2
) -> tuple[Path, Path]:
    """A y4m picture of *colour* (``None``: ffmpeg's moving test pattern) and a wav
    of *tone* Hz for Chromium's fake devices, 640×480 at 15 frames a second."""
    video, audio = folder / "camera.y4m", folder / "microphone.wav"
    picture = "testsrc=" if colour is None else "color=c=0x{:02x}{:02x}{:02x}:".format(*colour)
    ffmpeg = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi"]
    subprocess.run(
        [*ffmpeg, "-i", f"{picture}s=640x480:r=15:d={seconds}", "-pix_fmt", "yuv420p", video],
        check=True,
    )
    subprocess.run(
        [*ffmpeg, "-i", f"sine=frequency={tone}:sample_rate=48000:duration={seconds}", audio],
        check=True,
    )
    return video, audio


def spki_pin(cert: Path) -> str:
    """Chromium's pin of a certificate's key: base64 SHA-256 of its SubjectPublicKeyInfo."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class StaffBrowser:
    """Chromium as city hall's staff: *colour* (or a moving test pattern) on its
    camera, *tone* on its microphone, its page served from our end of the veth
    pair. Close it when done."""

    def __init__(
        self,
        network: PrivateNetwork,
        janus: Server,
        folder: Path,
        colour: tuple[int, int, int] | None,
        tone: int,
        token: str = "",
        trust: Path | None = None,
    ) -> None:
        """*trust*: the gate's certificate, the only one this browser accepts beyond
        its (empty) store, as a staff browser trusts city hall's."""
        self._network = network
        self._janus = janus
        self._token = token
        self._trust = spki_pin(trust) if trust else None
        self._folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._media = fake_media(folder, colour, tone)
        self.page = PageServer(network.kiosk_address)

    async def next(self, check: Callable[[Report], bool]) -> Report:
        return await self.page.next(check)

    @contextmanager
    def showing(self, **query: str) -> Iterator[subprocess.Popen[bytes]]:
        """Chromium showing the staff page with *query*, inside city hall's namespace;
        closed (the tab gone, as when staff close it) on leaving."""
        fields = {"server": self._janus.url, "token": self._token, **query}
        url = f"{self.page.origin}/staff.html?{urlencode(fields)}"
        video, audio = self._media
        argv = [
            "chromium",
            "--headless=new",
            "--no-sandbox",  # we are root in the test rig
            f"--user-data-dir={self._folder / 'profile'}",
            "--no-first-run",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-breakpad",
            "--disable-crash-reporter",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            f"--use-file-for-fake-audio-capture={audio}",
            "--autoplay-policy=no-user-gesture-required",
            # The gate's certificate is from the test's own fleet CA, which this
            # throwaway profile does not know: trust that one key, nothing else.
            *([f"--ignore-certificate-errors-spki-list={self._trust}"] if self._trust else []),
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            # The page comes from our end of the veth pair, not localhost: let it use
            # the (fake) camera all the same.
            f"--unsafely-treat-insecure-origin-as-secure={self.page.origin}",
            url,
        ]
        log = (self._folder / "chromium.log").open("ab")
        process = self._launch(argv, log)
        try:
            yield process
        finally:
            _end(process)
            log.close()

    def _launch(self, argv: list[str], log: IO[bytes]) -> "subprocess.Popen[bytes]":
        """Start Chromium; one that has not fetched its page in PAGE_S (it stalls at
        start now and then on a busy machine, before any network or media) is
        started once more. Blocks the caller for at most 2 × PAGE_S."""
        for attempt in (1, 2):
            before = self.page.pages_served
            process = subprocess.Popen(
                self._network.command(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            if self.page.loaded_since(before, PAGE_S) or attempt == 2:
                return process
            logging.getLogger(__name__).info("chromium did not load its page; starting it again")
            _end(process)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.page.close()


def _end(process: "subprocess.Popen[bytes]") -> None:
    """Every process of the browser at once, as when the machine's tab dies: a child
    left behind (its network service) would keep the WebSocket open."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
