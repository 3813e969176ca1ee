"""Which configuration runs: a bad document never replaces a good one, and a new one is
kept as last good only once it ran well; one whose runs keep ending badly is refused,
while orderly stops (restarts, reboots, upgrades) never count."""

import json
import logging
from pathlib import Path

import pytest

from kiosk.config import ConfigSource, ConfigTrial, builtin_config
from kiosk.config.trial import MAX_CRASHES
from kiosk_contract.files import write_atomically
from tests.conftest import DEMO_CONFIG

GOOD = DEMO_CONFIG.read_bytes()
NEWER = GOOD.replace(b'"revision": 1', b'"revision": 2')


class Box:
    """A box's state folder: the active configuration, the last good one, the record."""

    def __init__(self, folder: Path) -> None:
        self.active = folder / "active-config.json"
        self.last_good = folder / "last-good-config.json"
        self.record = folder / "config-trial.json"

    def start(self) -> ConfigTrial:
        """What ``kiosk run`` does first."""
        return ConfigTrial(self.record, self.last_good)

    def proven(self, data: bytes) -> ConfigTrial:
        """*data* active and run for long enough: the last good one."""
        write_atomically(self.active, data)
        trial = self.start()
        trial.load(self.active)
        trial.passed()
        return trial


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path / "state")


def test_revision_markers_exist() -> None:
    assert NEWER != GOOD, "the demo configuration names its revision"


def test_a_new_document_runs_on_trial_and_becomes_last_good_only_once_it_ran_well(
    box: Box,
) -> None:
    write_atomically(box.active, GOOD)
    trial = box.start()
    loaded = trial.load(box.active)
    assert loaded.source is ConfigSource.FILE and loaded.problem is None
    assert trial.on_trial and not box.last_good.exists(), "parsing proves nothing yet"
    trial.passed()
    assert box.last_good.read_bytes() == GOOD and not trial.on_trial
    again = box.start()
    assert again.load(box.active).source is ConfigSource.FILE
    assert not again.on_trial, "proven: no trial on the next start"


@pytest.mark.allow_warnings
def test_a_document_whose_runs_keep_ending_badly_is_refused_for_good(
    box: Box, caplog: pytest.LogCaptureFixture
) -> None:
    box.proven(GOOD)
    write_atomically(box.active, NEWER)  # the sync brought revision 2
    for run in range(1, MAX_CRASHES + 1):
        trial = box.start()  # ... and every run with it dies (no orderly stop)
        loaded = trial.load(box.active)
        assert loaded.config.revision == 2 and trial.on_trial, f"run {run}"
    trial = box.start()
    loaded = trial.load(box.active)
    assert loaded.source is ConfigSource.LAST_GOOD and loaded.config.revision == 1
    assert loaded.problem is not None and "revision 2 refused" in loaded.problem
    assert trial.refused(NEWER) and not trial.refused(GOOD)
    assert "stopped the kiosk 3 times" in caplog.text
    later = box.start()
    assert later.load(box.active).config.revision == 1, "refused on every later start too"


def test_orderly_stops_never_count_against_a_document_on_trial(box: Box) -> None:
    """Restarts, reboots, upgrades, a TV switched off: the kiosk stops in order."""
    write_atomically(box.active, NEWER)
    for _ in range(MAX_CRASHES * 3):
        trial = box.start()
        assert trial.load(box.active).config.revision == 2
        trial.stopped_cleanly()
    assert trial.on_trial and not trial.refused(NEWER)


def test_the_demo_is_never_on_trial(box: Box) -> None:
    write_atomically(box.active, GOOD)
    for _ in range(MAX_CRASHES + 2):
        trial = ConfigTrial(box.record, box.last_good, demo=True)
        assert trial.load(box.active).source is ConfigSource.FILE
        assert not trial.on_trial
    assert not box.record.exists()


@pytest.mark.allow_warnings
def test_a_document_that_failed_to_be_put_in_force_is_refused(box: Box) -> None:
    trial = box.proven(GOOD)
    trial.begin(NEWER, trial.load(box.active).config)
    trial.refuse(NEWER)
    assert trial.refused(NEWER) and not trial.on_trial
    write_atomically(box.active, NEWER)
    assert box.start().load(box.active).config.revision == 1


def test_a_document_applied_while_running_starts_its_trial_then(box: Box) -> None:
    trial = box.proven(GOOD)
    write_atomically(box.active, NEWER)
    trial.begin(NEWER, trial.load(box.active).config)
    assert trial.on_trial
    record = json.loads(box.record.read_text())
    assert record["running"] and record["crashes"] == 0
    assert box.last_good.read_bytes() == GOOD


@pytest.mark.allow_warnings
def test_bad_file_keeps_the_last_good_byte_for_byte(
    box: Box, caplog: pytest.LogCaptureFixture
) -> None:
    box.proven(GOOD)
    before = box.last_good.read_bytes()
    box.active.write_text(DEMO_CONFIG.read_text().replace('"#9B1C1C"', '"#FFFF00"'))
    loaded = box.start().load(box.active)
    assert loaded.source is ConfigSource.LAST_GOOD
    assert loaded.config.centre.id == "demo-001"
    assert loaded.config.tiles[0].colour == "#9B1C1C"
    assert loaded.problem is not None and "tiles[0].colour" in loaded.problem
    assert box.last_good.read_bytes() == before
    assert any("refused" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


@pytest.mark.allow_warnings
def test_nothing_good_falls_back_to_builtin(box: Box) -> None:
    loaded = box.start().load(box.active)
    assert loaded.source is ConfigSource.BUILTIN
    assert loaded.config == builtin_config()
    assert loaded.problem is not None and "cannot read" in loaded.problem


@pytest.mark.allow_warnings
def test_corrupt_last_good_and_record_fall_back_to_builtin(box: Box) -> None:
    write_atomically(box.last_good, b"\x00garbage")
    write_atomically(box.record, b"{not json")
    loaded = box.start().load(box.active)
    assert loaded.source is ConfigSource.BUILTIN


@pytest.mark.allow_warnings
def test_unwritable_state_still_runs_the_good_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wanted = tmp_path / "config.json"
    wanted.write_bytes(GOOD)
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state folder should be")
    trial = ConfigTrial(blocker / "config-trial.json", blocker / "last-good.json")
    loaded = trial.load(wanted)
    assert loaded.source is ConfigSource.FILE
    trial.passed()
    assert "cannot record the configuration's trial" in caplog.text
    assert "could not save the last good configuration" in caplog.text


def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.json"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.json"]
