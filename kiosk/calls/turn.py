"""City hall's TURN logins for the box: ``GET {identity}/v1/turn`` over mutual TLS
(the box's certificate says which centre asks). Qt-free.

A :class:`CityHallTurn` is the call desk's ``turn_login``
(:data:`kiosk.calls.desk.TurnLogin`): asked before each call or session, it keeps
a login until two thirds of its life have passed and only then asks again. The
request runs on a worker thread (blocking HTTP never on the loop).
"""

import asyncio
import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from kiosk.calls.line import TlsContext

TIMEOUT_S = 10.0


class CityHallTurn:
    """Time-limited TURN logins from city hall's identity service at *identity_url*."""

    def __init__(
        self, identity_url: str, tls: TlsContext, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._url = f"{identity_url.rstrip('/')}/v1/turn"
        self._tls = tls
        self._clock = clock
        self._kept: tuple[str, str] | None = None
        self._ask_again_at = 0.0

    async def __call__(self) -> tuple[str, str]:
        """A login valid for a while yet; raises ``OSError`` (unreachable, refused:
        ``urllib.error.HTTPError`` is one) or ``ValueError`` (a reply it cannot read)."""
        if self._kept is not None and self._clock() < self._ask_again_at:
            return self._kept
        context = self._tls()
        if context is None:
            raise OSError("the box has no certificate yet")
        asked = self._clock()
        username, credential, ttl_s = await asyncio.to_thread(self._fetch, context)
        self._kept = (username, credential)
        self._ask_again_at = asked + ttl_s * 2 / 3
        return self._kept

    def _fetch(self, context: ssl.SSLContext) -> tuple[str, str, float]:
        try:
            with urllib.request.urlopen(self._url, timeout=TIMEOUT_S, context=context) as reply:
                answer = json.loads(reply.read())
        except urllib.error.HTTPError as err:
            err.close()  # its connection with it
            raise OSError(f"city hall refused a TURN login: HTTP {err.code}") from None
        username = answer.get("username") if isinstance(answer, dict) else None
        credential = answer.get("credential") if isinstance(answer, dict) else None
        ttl_s = answer.get("ttl_s") if isinstance(answer, dict) else None
        if not isinstance(username, str) or not isinstance(credential, str):
            raise ValueError("no TURN login in city hall's answer")
        if not isinstance(ttl_s, int | float) or isinstance(ttl_s, bool) or ttl_s <= 0:
            raise ValueError("no lifetime for the TURN login in city hall's answer")
        return username, credential, float(ttl_s)
