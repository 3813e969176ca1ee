"""What a box must refuse, each through a real nginx: the last good configuration
stays in force, byte for byte."""

import datetime as dt
import json
import os
import random
import resource
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata
from tuf.api.serialization.json import JSONSerializer

from kiosk.paths import Paths
from kiosk.sync.client import Synchroniser, sync_once
from kiosk.sync.enrolment import Enrolment, metadata_dir
from kiosk.sync.result import Outcome, SyncResult, apply
from kiosk_provisioning.keys import key_path, load_signer
from tests.sync.conftest import Fleet

Box = tuple[Paths, Enrolment]


def check_and_apply(paths: Paths, enrolment: Enrolment) -> SyncResult:
    synchroniser = Synchroniser(paths, enrolment)
    try:
        return apply(paths, synchroniser.check())
    finally:
        synchroniser.close()


def synced(box: Box) -> bytes:
    paths, enrolment = box
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    return paths.config.read_bytes()


def assert_refused(box: Box, before: bytes) -> SyncResult:
    paths, enrolment = box
    result = check_and_apply(paths, enrolment)
    assert result.outcome is Outcome.REJECTED, result.reason
    assert result.exit_code == 2
    assert paths.config.read_bytes() == before
    return result


def files_for_next_version(fleet: Fleet, centre: str = "namwon-002") -> list[Path]:
    """The published files a box must read to move to the newest version."""
    meta = fleet.repo.public / "metadata"
    snapshot = fleet.repo.load("snapshot").signed.version
    targets = fleet.repo.load("targets").signed
    digest = targets.targets[f"centres/{centre}/config.json"].hashes["sha256"]
    return [
        meta / "timestamp.json",
        meta / f"{snapshot}.snapshot.json",
        meta / f"{targets.version}.targets.json",
        fleet.repo.public / "targets" / "centres" / centre / f"{digest}.config.json",
    ]


def _edit_a_field(data: bytes, rng: random.Random) -> bytes:
    doc = json.loads(data)
    node = doc.get("signed", doc)
    path: list[object] = []
    while isinstance(node, dict | list) and node:
        key = rng.choice(list(node.keys())) if isinstance(node, dict) else rng.randrange(len(node))
        path.append(key)
        node = node[key]
    value: object = (
        (not node) if isinstance(node, bool) else node + 1 if isinstance(node, int) else f"{node}x"
    )
    parent = doc.get("signed", doc)
    for key in path[:-1]:
        parent = parent[key]
    if path:
        parent[path[-1]] = value
    return json.dumps(doc, separators=(",", ":")).encode()


def mutate(data: bytes, rng: random.Random) -> bytes:
    kind = rng.choice(["flip", "truncate", "edit", "append"])
    if kind == "flip" or (kind == "edit" and not data.startswith(b"{")):
        position = rng.randrange(len(data))
        return (
            data[:position] + bytes([data[position] ^ rng.randrange(1, 256)]) + data[position + 1 :]
        )
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "append":
        return data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    return _edit_a_field(data, rng)


def same_meaning(a: bytes, b: bytes) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return False


def test_a_thousand_tampered_files_are_all_refused(fleet: Fleet, box: Box, tmp_path: Path) -> None:
    paths, enrolment = box
    before = synced(box)
    template = tmp_path / "box-state-v1"
    shutil.copytree(paths.state, template)
    fleet.set_default("idle", "return_home_after_s", 220)
    fleet.publish()
    targets = files_for_next_version(fleet)
    originals = {path: path.read_bytes() for path in targets}
    rng = random.Random(20261125)
    stamp = int(targets[0].stat().st_mtime) + 10
    refused = 0
    for _ in range(1000):
        path = rng.choice(targets)
        mutated = mutate(originals[path], rng)
        if mutated == originals[path]:
            continue
        path.write_bytes(mutated)
        stamp += 1
        os.utime(path, (stamp, stamp))  # a new ETag for nginx, whatever the size
        shutil.rmtree(paths.state)
        shutil.copytree(template, paths.state)
        result = check_and_apply(paths, enrolment)
        if result.outcome is Outcome.APPLIED:
            assert same_meaning(mutated, originals[path]), (path.name, result.reason)
        else:
            assert result.outcome is Outcome.REJECTED, (path.name, result.reason)
            assert paths.config.read_bytes() == before
            refused += 1
        path.write_bytes(originals[path])
        stamp += 1
        os.utime(path, (stamp, stamp))  # never the ETag the box saw for version 1
    assert refused >= 990
    # With the genuine files back, the same box takes the new version.
    shutil.rmtree(paths.state)
    shutil.copytree(template, paths.state)
    stamp += 1
    os.utime(targets[0], (stamp, stamp))
    assert check_and_apply(paths, enrolment).outcome is Outcome.APPLIED


def test_rollback_to_any_older_signed_version_is_refused(
    fleet: Fleet, box: Box, tmp_path: Path
) -> None:
    versions = []
    for seconds in (200, 300, 400):
        fleet.set_default("idle", "return_home_after_s", seconds)
        fleet.publish()
        copy = tmp_path / f"public-{seconds}"
        shutil.copytree(fleet.repo.public, copy)
        versions.append(copy)
    newest = synced(box)
    assert json.loads(newest)["idle"]["return_home_after_s"] == 400
    for old in versions[:-1]:
        shutil.rmtree(fleet.repo.public)
        shutil.copytree(old, fleet.repo.public)
        result = assert_refused(box, newest)
        assert "version" in result.reason.lower()


def test_a_frozen_repository_is_never_taken_as_current(fleet: Fleet, box: Box) -> None:
    before = synced(box)
    fleet.repo.now = fleet.repo.now - dt.timedelta(days=3)  # signed as if three days ago
    fleet.set_default("idle", "return_home_after_s", 160)
    fleet.publish()
    result = assert_refused(box, before)
    assert result.expired
    assert "expired" in result.reason


def test_box_b_refuses_the_configuration_of_box_a(fleet: Fleet, box: Box) -> None:
    before = synced(box)
    fleet.set_default("idle", "return_home_after_s", 180)
    fleet.publish()
    mine = files_for_next_version(fleet, "namwon-002")[-1]
    theirs = files_for_next_version(fleet, "namwon-001")[-1]
    mine.write_bytes(theirs.read_bytes())  # served at B's address
    assert_refused(box, before)


def test_a_signed_configuration_for_another_centre_is_refused(fleet: Fleet, box: Box) -> None:
    before = synced(box)
    built = fleet.repo.path / "build" / "centres"
    (built / "namwon-002.json").write_bytes((built / "namwon-001.json").read_bytes())
    from kiosk_provisioning.build import publish

    publish(fleet.repo)
    result = assert_refused(box, before)
    assert "addressed to centre namwon-001" in result.reason


@pytest.mark.parametrize("which", ["timestamp", "config"])
def test_endless_data_is_cut_off_and_memory_stays_flat(fleet: Fleet, box: Box, which: str) -> None:
    before = synced(box)
    fleet.set_default("idle", "return_home_after_s", 140)
    fleet.publish()
    files = files_for_next_version(fleet)
    victim = files[0] if which == "timestamp" else files[-1]
    with victim.open("r+b") as out:
        out.truncate(300 * 1024 * 1024)  # 300 MB of zeros behind the real start
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert_refused(box, before)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 20, f"memory grew by {grown_mb:.0f} MB"


def _resign(
    fleet: Fleet,
    role: str,
    signer: CryptoSigner,
    edit: Callable[[Metadata], None] = lambda md: None,  # type: ignore[type-arg]
) -> None:
    """Publish the next version of *role*, edited, signed by *signer* (an attacker's,
    a revoked or a genuine key), bypassing the repository's own tool."""
    md = fleet.repo.load(role)
    md.signed.version += 1
    edit(md)
    md.signatures.clear()
    md.sign(signer)
    name = "timestamp.json" if role == "timestamp" else f"{md.signed.version}.{role}.json"
    path = fleet.repo.public / "metadata" / name
    seen = int(path.stat().st_mtime) if path.exists() else 0
    path.write_bytes(md.to_bytes(JSONSerializer(compact=True)))
    # A new ETag for nginx even within the same second (as the repository tool does).
    os.utime(path, (seen + 1, seen + 1))


def test_metadata_signed_by_a_wrong_key_is_refused(fleet: Fleet, box: Box) -> None:
    before = synced(box)
    _resign(fleet, "timestamp", CryptoSigner.generate_ed25519())
    result = assert_refused(box, before)
    assert "timestamp was signed by 0/1 keys" in result.reason


def test_key_rotation_is_followed_and_the_revoked_key_refused(fleet: Fleet, box: Box) -> None:
    paths, enrolment = box
    synced(box)
    old_targets_key = load_signer(fleet.repo.path, "targets")
    fleet.repo.rotate_key("targets")
    assert key_path(fleet.repo.path, "targets").exists()
    fleet.set_default("idle", "return_home_after_s", 260)
    fleet.publish()
    # No manual step on the box: it learns the new root by itself.
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    root = Metadata.from_file(str(metadata_dir(paths) / "root.json"))
    assert root.signed.version == 2
    after_rotation = paths.config.read_bytes()
    # Whoever still holds the old targets key cannot push anything any more.
    _resign(fleet, "targets", old_targets_key)
    forged_targets = fleet.repo.load("targets").signed.version + 1
    forged_snapshot = fleet.repo.load("snapshot").signed.version + 1

    def point_at_forged_targets(md: Metadata) -> None:  # type: ignore[type-arg]
        md.signed.meta["targets.json"].version = forged_targets

    def point_at_forged_snapshot(md: Metadata) -> None:  # type: ignore[type-arg]
        md.signed.snapshot_meta.version = forged_snapshot

    _resign(fleet, "snapshot", load_signer(fleet.repo.path, "snapshot"), point_at_forged_targets)
    _resign(fleet, "timestamp", load_signer(fleet.repo.path, "timestamp"), point_at_forged_snapshot)
    assert_refused(box, after_rotation)


def test_root_key_rotation_is_followed(fleet: Fleet, box: Box) -> None:
    paths, enrolment = box
    synced(box)
    fleet.repo.rotate_key("root")
    fleet.set_default("idle", "return_home_after_s", 300)
    fleet.publish()
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
