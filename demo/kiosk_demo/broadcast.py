"""City hall's live broadcast for the demo: ``python -m kiosk_demo.broadcast [PORT]``
serves an HLS stream with the time of day burnt in at ``http://127.0.0.1:PORT/live.m3u8``
(8089 by default, as in the demo configuration) until killed."""

import http.server
import signal
import subprocess
import sys
from pathlib import Path

from kiosk_demo.media import live_feed_command


def broadcast(port: int) -> None:
    """The demo's city-hall live broadcast at ``http://127.0.0.1:PORT/live.m3u8``, until killed."""
    import functools
    import tempfile
    import threading

    # `kill` (SIGTERM) must still stop ffmpeg and remove the folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-live-") as folder:
        feed = subprocess.Popen(live_feed_command(Path(folder), caption="시청 생방송"))
        handler = functools.partial(_QuietHandler, directory=folder)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            feed.wait()
        finally:
            feed.terminate()
            server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    broadcast(int(sys.argv[1]) if len(sys.argv) > 1 else 8089)
