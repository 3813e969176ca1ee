"""Short-lived credentials: staff passes, Janus tokens and TURN logins.

- A **staff pass** is a JSON Web Token (HS256, PyJWT) signed with city hall's
  token key: who the staff member is, the call names they may use, the rooms they
  may join and whether they may host. City-hall staff give it to janus.js as its
  ``token``; the call gate checks it. It expires (12 hours by default).
- A **Janus token** is Janus' own signed token (``token_auth_secret``): only the
  call gate holds the secret, so Janus refuses anyone who did not come through it.
- **TURN logins** follow coturn's shared-secret scheme (``use-auth-secret``):
  username ``expiry:who``, password the base64 HMAC-SHA1 of it.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass

import jwt

AUDIENCE = "kiosk-calls"
STAFF_PASS_S = 12 * 3600
JANUS_PLUGINS = ("janus.plugin.videocall", "janus.plugin.videoroom")


@dataclass(frozen=True)
class StaffPass:
    """What a valid staff pass proves."""

    login: str
    names: tuple[str, ...]
    rooms: tuple[int, ...]
    host: bool
    expires: int
    """Unix time."""


def issue_staff_pass(
    key: bytes,
    login: str,
    names: Sequence[str],
    rooms: Sequence[int] = (),
    host: bool = False,
    ttl_s: int = STAFF_PASS_S,
) -> str:
    now = int(time.time())
    claims = {
        "sub": login,
        "names": list(names),
        "rooms": list(rooms),
        "host": host,
        "iat": now,
        "exp": now + ttl_s,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, key, algorithm="HS256")


def verify_staff_pass(key: bytes, token: str) -> StaffPass | None:
    """The pass *token* proves, or ``None`` (forged, expired, for something else)."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
        names = tuple(str(n) for n in claims.get("names", []))
        rooms = tuple(int(r) for r in claims.get("rooms", []))
        return StaffPass(
            str(claims["sub"]), names, rooms, claims.get("host") is True, int(claims["exp"])
        )
    except (jwt.PyJWTError, TypeError, ValueError):
        return None


def janus_token(secret: str, ttl_s: int, plugins: Sequence[str] = JANUS_PLUGINS) -> str:
    """A token Janus accepts (``token_auth_secret``) for *ttl_s* seconds, for *plugins*."""
    data = ",".join([str(int(time.time()) + ttl_s), "janus", *plugins])
    signature = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(signature).decode()}"


def turn_credentials(secret: str, identity: str, ttl_s: int = 3600) -> tuple[str, str]:
    """A TURN username and password valid for *ttl_s* seconds (coturn ``use-auth-secret``)."""
    username = f"{int(time.time()) + ttl_s}:{identity}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()
