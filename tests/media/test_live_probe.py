"""The live-stream probe stays bounded in bytes and time whatever the server does
(real HTTP servers on loopback)."""

import contextlib
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kiosk.media.live_probe import MAX_BYTES, TIMEOUT_S, TOTAL_S, stream_answers


@contextmanager
def serving(body: Callable[[http.server.BaseHTTPRequestHandler], object]) -> Iterator[str]:
    """A server on loopback whose every GET answers 200 and then runs *body*."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.apple.mpegurl")
            self.end_headers()
            with contextlib.suppress(OSError):  # the probe hung up: as it should
                body(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/live.m3u8"
    finally:
        server.shutdown()
        server.server_close()


def test_a_playlist_answers() -> None:
    with serving(lambda h: h.wfile.write(b"#EXTM3U\n#EXT-X-VERSION:3\n")) as url:
        assert stream_answers(url)


def test_something_else_does_not() -> None:
    with serving(lambda h: h.wfile.write(b"<html>maintenance</html>")) as url:
        assert not stream_answers(url)


def test_an_endless_body_is_not_read_to_its_end() -> None:
    written = [0]

    def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
        while True:
            handler.wfile.write(b" " * 65536)
            written[0] += 65536

    with serving(endless) as url:
        started = time.monotonic()
        assert not stream_answers(url)
        assert time.monotonic() - started < TOTAL_S + TIMEOUT_S[1]
    # The server may run ahead into socket buffers, never by much: the probe read
    # MAX_BYTES and hung up, it did not take gigabytes into memory.
    assert written[0] < 100 * MAX_BYTES * 64


def test_a_server_trickling_bytes_is_given_up_within_the_total_time() -> None:
    def trickle(handler: http.server.BaseHTTPRequestHandler) -> None:
        while True:  # one space a second: never a read time-out, never a playlist
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(1)

    with serving(trickle) as url:
        started = time.monotonic()
        assert not stream_answers(url)
        took = time.monotonic() - started
    assert TOTAL_S - 1 <= took < TOTAL_S + TIMEOUT_S[1]
