"""Falling back: a bad document never replaces a good one."""

import json
import logging
from pathlib import Path

import pytest

from kiosk.config import ConfigSource, builtin_config, load_with_fallback
from kiosk_contract.files import write_atomically
from tests.conftest import DEMO_CONFIG


def test_good_file_is_used_and_remembered(tmp_path: Path) -> None:
    wanted, last_good = tmp_path / "config.json", tmp_path / "state" / "last-good.json"
    wanted.write_bytes(DEMO_CONFIG.read_bytes())
    loaded = load_with_fallback(wanted, last_good)
    assert loaded.source is ConfigSource.FILE
    assert loaded.problem is None
    assert loaded.config.centre.id == "demo-001"
    assert json.loads(last_good.read_text())["centre"]["id"] == "demo-001"


@pytest.mark.allow_warnings
def test_bad_file_keeps_the_last_good_byte_for_byte(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wanted, last_good = tmp_path / "config.json", tmp_path / "last-good.json"
    wanted.write_bytes(DEMO_CONFIG.read_bytes())
    load_with_fallback(wanted, last_good)
    before = last_good.read_bytes()

    wanted.write_text(DEMO_CONFIG.read_text().replace('"#9B1C1C"', '"#FFFF00"'))
    loaded = load_with_fallback(wanted, last_good)

    assert loaded.source is ConfigSource.LAST_GOOD
    assert loaded.config.centre.id == "demo-001"
    assert loaded.config.tiles[0].colour == "#9B1C1C"
    assert loaded.problem is not None and "tiles[0].colour" in loaded.problem
    assert last_good.read_bytes() == before
    assert any("refused" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


@pytest.mark.allow_warnings
def test_nothing_good_falls_back_to_builtin(tmp_path: Path) -> None:
    loaded = load_with_fallback(tmp_path / "missing.json", tmp_path / "also-missing.json")
    assert loaded.source is ConfigSource.BUILTIN
    assert loaded.config == builtin_config()
    assert loaded.problem is not None and "cannot read" in loaded.problem


@pytest.mark.allow_warnings
def test_corrupt_last_good_falls_back_to_builtin(tmp_path: Path) -> None:
    last_good = tmp_path / "last-good.json"
    last_good.write_bytes(b"\x00garbage")
    loaded = load_with_fallback(tmp_path / "missing.json", last_good)
    assert loaded.source is ConfigSource.BUILTIN


@pytest.mark.allow_warnings
def test_unwritable_state_still_runs_the_good_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wanted = tmp_path / "config.json"
    wanted.write_bytes(DEMO_CONFIG.read_bytes())
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state folder should be")
    loaded = load_with_fallback(wanted, blocker / "last-good.json")
    assert loaded.source is ConfigSource.FILE
    assert any("could not save" in r.getMessage() for r in caplog.records)


def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.json"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.json"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    write_atomically(target, b"old")
    (tmp_path / ".file.json.tmp").mkdir()  # the temporary cannot be created
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
