"""A full disk on a real (tiny tmpfs) file system: the update fails cleanly."""

import shutil
from pathlib import Path

import pytest

from kiosk.paths import Paths
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import Enrolment
from kiosk.sync.result import Outcome
from tests.disks import fill, tiny_disk
from tests.sync.conftest import Fleet


@pytest.mark.allow_warnings
def test_a_full_disk_keeps_the_last_good_configuration(
    fleet: Fleet, box: tuple[Paths, Enrolment], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths, enrolment = box
    assert sync_once(paths, enrolment).outcome is Outcome.APPLIED
    before = paths.config.read_bytes()
    with tiny_disk(tmp_path / "disk", 512) as disk:
        state = disk / "state"
        shutil.copytree(paths.state, state)
        on_disk = Paths(paths.etc, state, paths.assets)
        fleet.set_default("idle", "return_home_after_s", 333)
        fleet.publish()
        fill(disk)
        result = sync_once(on_disk, enrolment)
        assert result.outcome is Outcome.REJECTED, result.reason
        assert "space" in result.reason.lower()
        assert "could not record the sync status" in caplog.text
        assert on_disk.config.read_bytes() == before
        assert not list(state.glob(".*.tmp")), "no half-written file left behind"
        (disk / "filler").unlink()
        assert sync_once(on_disk, enrolment).outcome is Outcome.APPLIED, (
            "recovers once there is room"
        )
