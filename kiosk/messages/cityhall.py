"""City hall's side of a message upload, as the box sees it (Contract M). Qt-free,
blocking: the uploader calls it on a worker thread.

:class:`CityHallMessages` speaks to the identity service over HTTPS with the box's
certificate (the same TLS context as the box's TURN logins, :mod:`kiosk.calls.turn`,
so city hall is verified against the same authorities): ``POST /v1/messages``
announces a message, ``PATCH /v1/messages/<id>`` appends the bytes at an offset,
``GET /v1/messages/<id>`` says how far it got and whether staff handled it. The
uploader takes any :class:`CityHall` (tests pass fakes).
"""

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.messages.spool import Message

TIMEOUT_S = 30.0
"""One request's limit: a 256 KiB chunk takes about 2 s at 1 Mbit/s."""


@dataclass(frozen=True)
class Progress:
    """City hall's answer: how many bytes it holds and the message's state
    (``uploading``, ``received``, ``handled``)."""

    offset: int
    state: str
    handled_by: str = ""


class UnreachableError(OSError):
    """City hall did not answer (no route, refused, timed out, a 5xx): try later."""


class RefusedError(Exception):
    """City hall will never take the message as it is (HTTP *status*, *kind*)."""

    def __init__(self, status: int, kind: str, text: str) -> None:
        super().__init__(f"HTTP {status} {kind}: {text}")
        self.status = status
        self.kind = kind


class WrongOffsetError(Exception):
    """City hall holds *offset* bytes, not what the box sent from (409 ``offset``)."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"city hall holds {offset} bytes")
        self.offset = offset


class CityHall(Protocol):
    """The three requests of an upload. Each raises :class:`UnreachableError`,
    :class:`RefusedError` or :class:`WrongOffsetError`."""

    def announce(self, message: Message) -> Progress: ...

    def progress(self, message_id: str) -> Progress: ...

    def append(self, message_id: str, offset: int, chunk: bytes) -> Progress: ...


class CityHallMessages:
    """:class:`CityHall` at *identity_url*, shown the box's identity by *tls* (asked at
    each request, so a renewed certificate is used; ``None``: not enrolled yet)."""

    def __init__(self, identity_url: str, tls: Callable[[], ssl.SSLContext | None]) -> None:
        self._url = f"{identity_url.rstrip('/')}/v1/messages"
        self._tls = tls

    def announce(self, message: Message) -> Progress:
        body = {
            "id": message.id,
            "size": message.size,
            "sha256": message.sha256,
            "duration_s": message.duration_s,
            "recorded_at": message.recorded_at,
        }
        data = json.dumps(body).encode()
        return self._ask("POST", self._url, data, {"Content-Type": "application/json"})

    def progress(self, message_id: str) -> Progress:
        return self._ask("GET", f"{self._url}/{message_id}", None, {})

    def append(self, message_id: str, offset: int, chunk: bytes) -> Progress:
        headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        return self._ask("PATCH", f"{self._url}/{message_id}", chunk, headers)

    def _ask(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Progress:
        context = self._tls()
        if context is None:
            raise UnreachableError("the box has no certificate yet")
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as reply:
                answer = _json(reply.read())
        except urllib.error.HTTPError as err:
            with err:
                answer = _json(err.read())
            if err.code == 409 and answer.get("error") == "offset":
                offset = answer.get("offset")
                if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
                    raise WrongOffsetError(offset) from None
            if err.code >= 500 or err.code in (408, 429):
                raise UnreachableError(f"city hall answered HTTP {err.code}") from None
            if err.code in (401, 403):
                # The box's certificate, not the message: kept and tried again (a
                # renewed certificate or a lifted revocation lets it through).
                raise UnreachableError(
                    f"city hall does not take the box's certificate (HTTP {err.code})"
                ) from None
            kind = str(answer.get("error", "refused"))
            raise RefusedError(err.code, kind, str(answer.get("message", ""))) from None
        except (urllib.error.URLError, OSError) as err:
            raise UnreachableError(f"city hall cannot be reached: {err}") from None
        return _progress(answer)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _progress(answer: dict[str, Any]) -> Progress:
    offset, state = answer.get("offset"), answer.get("state")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise UnreachableError("city hall's answer has no offset")
    if not isinstance(state, str):
        raise UnreachableError("city hall's answer has no state")
    handled_by = answer.get("handled_by")
    return Progress(offset, state, handled_by if isinstance(handled_by, str) else "")
