"""Is a live stream (HLS) answering again? One blocking check, run off the GUI thread.

Bounded whatever the server does: at most :data:`MAX_BYTES` are read (a playlist
announces itself in its first line), and the whole check gives up after
:data:`TOTAL_S` even if the server trickles bytes slowly enough to dodge the read
time-out.
"""

import time

import requests
import urllib3

TIMEOUT_S = (2.0, 3.0)
"""Connect and per-read time-outs."""
TOTAL_S = 5.0
"""The whole check, at most (give or take one read time-out)."""
MAX_BYTES = 4096
SIGNATURE = b"#EXTM3U"


def stream_answers(url: str, session: requests.Session | None = None) -> bool:
    """Whether *url* serves an HLS playlist now (a few seconds at most)."""
    deadline = time.monotonic() + TOTAL_S
    head = b""
    try:
        with (session or requests).get(url, timeout=TIMEOUT_S, stream=True) as reply:
            if reply.status_code != 200:
                return False
            while len(head.lstrip()) < len(SIGNATURE) and len(head) < MAX_BYTES:
                # read1: whatever has arrived (never waits to fill a buffer, so a
                # trickling server cannot stretch one read), each read within TIMEOUT_S.
                chunk = reply.raw.read1(MAX_BYTES - len(head), decode_content=True)
                if not chunk or time.monotonic() >= deadline:
                    break
                head += chunk
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        return False
    return head.lstrip().startswith(SIGNATURE)
