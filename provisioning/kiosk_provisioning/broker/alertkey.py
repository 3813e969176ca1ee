"""City hall's alert key: Ed25519, ``REPO/keys/alert.pem`` (0600), made on first use.

Its public half goes into every centre's ``fleet.alert_keys`` (``build``); a box shows
only alerts it signed. To change it: move the old file aside, let ``build`` make a new
one, and list the old public half in fleet.json's ``fleet.alert_keys`` until every box
has the new configuration.
"""

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_contract.files import write_atomically
from kiosk_provisioning.problems import Problem, ProvisionError


def alert_key_path(repo: Path) -> Path:
    return repo / "keys" / "alert.pem"


def alert_key(repo: Path) -> Ed25519PrivateKey:
    """City hall's alert key, made (0600) if there is none yet."""
    path = alert_key_path(repo)
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), None)
    except FileNotFoundError:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, pem, mode=0o600)
        return key
    except (OSError, ValueError) as err:
        raise ProvisionError([Problem(str(path), f"unusable alert key: {err}")]) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ProvisionError([Problem(str(path), "the alert key is not an Ed25519 key")])
    return loaded


def alert_public_key(repo: Path) -> str:
    """The public half, raw and base64, as ``fleet.alert_keys`` holds it."""
    raw = (
        alert_key(repo)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()
