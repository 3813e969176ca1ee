"""Signing keys of the fleet repository.

The root key signs only the trust root (who may sign what). It is written to
``REPO/offline/`` by ``init`` and ``rotate-key root`` and is meant to live on
an offline medium the rest of the time: every other command works without it.
The online keys (targets, snapshot, timestamp) live in ``REPO/keys/``, mode 0600.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner

from kiosk_provisioning.problems import Problem, ProvisionError

ONLINE_ROLES = ("targets", "snapshot", "timestamp")


def key_path(repo: Path, role: str) -> Path:
    """Where the private key of *role* is kept."""
    return repo / ("offline" if role == "root" else "keys") / f"{role}.pem"


def new_signer(repo: Path, role: str) -> CryptoSigner:
    """Generate an Ed25519 key for *role*, store it (0600) and return its signer."""
    signer = CryptoSigner.generate_ed25519()
    path = key_path(repo, role)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(signer.private_bytes)
    path.with_suffix(".tmp").replace(path)
    return signer


def load_signer(repo: Path, role: str) -> CryptoSigner:
    """The signer of *role*; a clear error if its key is not here (e.g. root kept offline)."""
    path = key_path(repo, role)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        hint = " (bring the offline root key back for this step)" if role == "root" else ""
        raise ProvisionError([Problem(str(path), f"{role} key not found{hint}")]) from None
    except (OSError, ValueError) as err:
        raise ProvisionError([Problem(str(path), f"unusable {role} key: {err}")]) from None
    return CryptoSigner(key)
