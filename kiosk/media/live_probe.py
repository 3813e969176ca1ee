"""Is a live stream (HLS) answering again? One blocking check, run off the GUI thread."""

import requests

TIMEOUT_S = (2.0, 3.0)


def stream_answers(url: str, session: requests.Session | None = None) -> bool:
    """Whether *url* serves an HLS playlist now (a few seconds at most)."""
    try:
        reply = (session or requests).get(url, timeout=TIMEOUT_S)
    except requests.RequestException:
        return False
    return reply.status_code == 200 and reply.text.lstrip().startswith("#EXTM3U")
