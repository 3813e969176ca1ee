"""PINs (leader mode, technician screen) as salted slow hashes. Qt-free.

A PIN is never stored or published in plain text: the central side hashes it
with scrypt (memory-hard, in Python's standard library) and boxes only compare.
Encoded as ``scrypt:N:r:p:<salt>:<hash>`` (base64).
"""

import base64
import hashlib
import hmac
import os
import re

N, R, P = 2**14, 8, 1
"""scrypt cost: ~16 MB and some tens of milliseconds per check; ample for a 4–8 digit
PIN behind a lock-out after a few wrong tries."""
_LENGTH = 32
_B64 = "[A-Za-z0-9+/=]"
PIN_HASH_PATTERN = (
    rf"^scrypt:[0-9]{{1,7}}:[0-9]{{1,3}}:[0-9]{{1,3}}:{_B64}{{16,64}}:{_B64}{{40,64}}$"
)
_PIN = re.compile(r"^[0-9]{4,8}$")


def is_valid_pin(pin: str) -> bool:
    """4 to 8 digits: what a big on-screen keypad can enter."""
    return bool(_PIN.match(pin))


def hash_pin(pin: str) -> str:
    """A new salted hash of *pin* (raises ``ValueError`` for a PIN that is not 4–8 digits)."""
    if not is_valid_pin(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=_LENGTH)
    return f"scrypt:{N}:{R}:{P}:{_b64(salt)}:{_b64(digest)}"


def verify_pin(pin: str, encoded: str) -> bool:
    """Whether *pin* matches *encoded*; ``False`` for anything malformed. Constant time."""
    try:
        scheme, n, r, p, salt, digest = encoded.split(":")
        if scheme != "scrypt" or int(n) > 2**20 or int(r) > 32 or int(p) > 16:
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
