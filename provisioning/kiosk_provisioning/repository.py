"""The signed fleet repository (The Update Framework, through python-tuf).

``REPO/metadata/`` holds the latest signed metadata of each role (the
repository's own state); ``REPO/public/`` is what any static web server
serves: ``metadata/`` with versioned files (consistent snapshots) and
``targets/`` with content-addressed files (``<sha256>.<name>``). Each centre's
configuration is the target ``centres/<id>/config.json``.
"""

import datetime as dt
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from kiosk_contract.files import write_atomically
from kiosk_provisioning.keys import ONLINE_ROLES, load_signer, new_signer
from kiosk_provisioning.problems import Problem, ProvisionError

LIFETIME = {
    "root": dt.timedelta(days=365),
    "targets": dt.timedelta(days=90),
    "snapshot": dt.timedelta(days=90),
    "timestamp": dt.timedelta(days=2),
}
"""How long each role's signature stays valid. The timestamp is the short-lived
freshness signature: ``kiosk-provision refresh`` re-signs it from a timer."""

RENEW_BEFORE = dt.timedelta(days=14)
"""``refresh`` also re-signs targets and snapshot this long before they expire."""

_COMPACT = JSONSerializer(compact=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Repository:
    """A fleet repository on disk. Methods raise :class:`ProvisionError`."""

    def __init__(self, path: Path, now: dt.datetime | None = None) -> None:
        self.path = path
        self.now = now or _now()
        """Signing time; tests set it to make stale or future metadata."""

    # --- reading state ----------------------------------------------------

    def _state(self, role: str) -> Path:
        return self.path / "metadata" / f"{role}.json"

    def load(self, role: str) -> Metadata:  # type: ignore[type-arg]
        try:
            return Metadata.from_file(str(self._state(role)))
        except FileNotFoundError:
            raise ProvisionError(
                [Problem(str(self.path), "not a fleet repository (run kiosk-provision init)")]
            ) from None

    @property
    def public(self) -> Path:
        return self.path / "public"

    # --- init and keys ----------------------------------------------------

    def init(self) -> None:
        """Create keys, the trust root and an empty published repository."""
        if self._state("root").exists():
            raise ProvisionError([Problem(str(self.path), "already a fleet repository")])
        signers = {role: new_signer(self.path, role) for role in ("root", *ONLINE_ROLES)}
        root = Root(expires=self.now + LIFETIME["root"], consistent_snapshot=True)
        for role, signer in signers.items():
            root.add_key(signer.public_key, role)
        root_md = Metadata(root)
        root_md.sign(signers["root"])
        self._write_root(root_md)
        targets = Metadata(Targets(expires=self.now + LIFETIME["targets"]))
        self._sign_and_store(targets, signers["targets"])
        self._write_public("targets", targets)
        self._republish_snapshot(signers)

    def rotate_key(self, role: str) -> None:
        """Replace *role*'s key; the new trust root is signed by the root key (both
        the old and new one when the root key itself is rotated). Boxes follow with
        no manual step; metadata signed by the old key is refused from then on."""
        root_signer = load_signer(self.path, "root")
        root_md = self.load("root")
        root = root_md.signed
        for keyid in list(root.roles[role].keyids):
            root.revoke_key(keyid, role)
        new = new_signer(self.path, role)
        root.add_key(new.public_key, role)
        root.version += 1
        root.expires = self.now + LIFETIME["root"]
        root_md.signatures.clear()
        root_md.sign(root_signer, append=True)
        if role == "root":
            root_md.sign(new, append=True)
        self._write_root(root_md)
        signers = {r: load_signer(self.path, r) for r in ONLINE_ROLES}
        if role in ONLINE_ROLES:
            # Everything the new key signs must be re-signed now.
            self._resign_targets(self.load("targets"), signers["targets"])
        self._republish_snapshot(signers)

    # --- publishing -------------------------------------------------------

    def publish(self, files: Mapping[str, bytes], remove_missing: bool = True) -> bool:
        """Make *files* (target path -> content) the published targets.

        Unchanged content keeps its version: boxes download nothing new. Returns
        ``True`` if the targets changed. Always re-signs the freshness timestamp.
        """
        signers = {role: load_signer(self.path, role) for role in ONLINE_ROLES}
        targets_md = self.load("targets")
        targets = targets_md.signed
        wanted = {
            path: TargetFile.from_data(path, data, ["sha256"]) for path, data in files.items()
        }
        current = dict(targets.targets)
        if not remove_missing:
            wanted = {**current, **wanted}
        changed = wanted != current
        for path, info in wanted.items():
            if path in files:
                self._write_target(path, info, files[path])
        if changed:
            targets.targets = wanted
            self._resign_targets(targets_md, signers["targets"])
        self._republish_snapshot(signers)
        return changed

    def refresh(self) -> None:
        """Re-sign the freshness timestamp (and targets/snapshot near expiry): for a timer."""
        signers = {role: load_signer(self.path, role) for role in ONLINE_ROLES}
        targets_md = self.load("targets")
        renew = targets_md.signed.expires - self.now < RENEW_BEFORE
        if renew:
            self._resign_targets(targets_md, signers["targets"])
        snapshot_expires = self.load("snapshot").signed.expires
        self._republish_snapshot(
            signers, new_snapshot=renew or snapshot_expires - self.now < RENEW_BEFORE
        )

    # --- internals ----------------------------------------------------------

    def _resign_targets(self, targets_md: Metadata, signer: Signer) -> None:  # type: ignore[type-arg]
        """A new version of the targets role, valid for its full lifetime, published."""
        targets_md.signed.version += 1
        targets_md.signed.expires = self.now + LIFETIME["targets"]
        self._sign_and_store(targets_md, signer)
        self._write_public("targets", targets_md)

    def _republish_snapshot(self, signers: Mapping[str, Signer], new_snapshot: bool = True) -> None:
        """Sign a new timestamp; and a new snapshot (pointing at the current targets)
        unless *new_snapshot* is false."""
        targets_version = self.load("targets").signed.version
        first = not self._state("snapshot").exists()
        snapshot_md = Metadata(Snapshot()) if first else self.load("snapshot")
        snapshot = snapshot_md.signed
        if first or new_snapshot:
            snapshot.version += 0 if first else 1
            snapshot.meta["targets.json"] = MetaFile(version=targets_version)
            snapshot.expires = self.now + LIFETIME["snapshot"]
            self._sign_and_store(snapshot_md, signers["snapshot"])
            self._write_public("snapshot", snapshot_md)
        first = not self._state("timestamp").exists()
        timestamp_md = Metadata(Timestamp()) if first else self.load("timestamp")
        timestamp = timestamp_md.signed
        timestamp.version += 0 if first else 1
        timestamp.snapshot_meta = MetaFile(version=snapshot.version)
        timestamp.expires = self.now + LIFETIME["timestamp"]
        self._sign_and_store(timestamp_md, signers["timestamp"])
        # Unversioned: clients always ask for the newest timestamp.
        path = self.public / "metadata" / "timestamp.json"
        previous = int(path.stat().st_mtime) if path.exists() else 0
        write_atomically(path, timestamp_md.to_bytes(_COMPACT))
        if int(path.stat().st_mtime) <= previous:
            # Web servers derive ETag/Last-Modified from whole-second mtime and size:
            # two publishes in one second must still look different to a box asking
            # "changed since?".
            os.utime(path, (previous + 1, previous + 1))

    def _sign_and_store(self, md: Metadata, signer: Signer) -> None:  # type: ignore[type-arg]
        md.signatures.clear()
        md.sign(signer)
        write_atomically(self._state(md.signed.type), md.to_bytes(_COMPACT))

    def _write_root(self, root_md: Metadata) -> None:  # type: ignore[type-arg]
        data = root_md.to_bytes(_COMPACT)
        write_atomically(self._state("root"), data)
        write_atomically(self.public / "metadata" / f"{root_md.signed.version}.root.json", data)
        # The trust root a newly installed box starts from.
        write_atomically(self.path / "root.json", data)

    def _write_public(self, role: str, md: Metadata) -> None:  # type: ignore[type-arg]
        name = f"{md.signed.version}.{role}.json"
        write_atomically(self.public / "metadata" / name, md.to_bytes(_COMPACT))

    def _write_target(self, path: str, info: TargetFile, data: bytes) -> None:
        folder, _, name = path.rpartition("/")
        digest = info.hashes["sha256"]
        out = self.public / "targets" / folder / f"{digest}.{name}"
        if out.exists() and hashlib.sha256(out.read_bytes()).hexdigest() == digest:
            return
        write_atomically(out, data)
