from pathlib import Path

import pytest

from kiosk.lockout import LOCKOUT_S, MAX_LOCKOUT_S, MAX_TRIES, Outcome, PinGate
from kiosk_contract.pin import hash_pin
from tests.disks import fill, tiny_disk

PIN_HASH = hash_pin("2468")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "leader-pin.json"


def test_right_pin_opens(record: Path) -> None:
    assert PinGate({"leader": PIN_HASH}, record).try_pin("2468").outcome is Outcome.OPEN


def test_no_configured_pin_keeps_the_door_shut(record: Path) -> None:
    assert PinGate({"leader": None}, record).try_pin("2468").outcome is Outcome.NO_PIN


@pytest.mark.allow_warnings
def test_wrong_tries_count_down_and_a_right_one_resets(record: Path) -> None:
    gate = PinGate({"leader": PIN_HASH}, record)
    assert gate.try_pin("1111").tries_left == MAX_TRIES - 1
    assert gate.try_pin("1111").tries_left == MAX_TRIES - 2
    assert gate.try_pin("2468").outcome is Outcome.OPEN
    assert gate.try_pin("1111").tries_left == MAX_TRIES - 1


@pytest.mark.allow_warnings
def test_five_wrong_lock_for_five_minutes_across_a_restart(record: Path) -> None:
    clock = Clock()
    gate = PinGate({"leader": PIN_HASH}, record, clock)
    verdicts = [gate.try_pin("0000") for _ in range(MAX_TRIES)]
    assert [v.outcome for v in verdicts] == [Outcome.WRONG] * 4 + [Outcome.LOCKED]
    restarted = PinGate({"leader": PIN_HASH}, record, clock)
    clock.now += LOCKOUT_S - 1
    locked = restarted.try_pin("2468")
    assert locked.outcome is Outcome.LOCKED and locked.locked_s == 1
    clock.now += 1
    assert restarted.try_pin("2468").outcome is Outcome.OPEN


@pytest.mark.allow_warnings
def test_clock_set_back_never_lengthens_the_lock_out(record: Path) -> None:
    clock = Clock()
    gate = PinGate({"leader": PIN_HASH}, record, clock)
    for _ in range(MAX_TRIES):
        gate.try_pin("0000")
    clock.now -= 86_400
    assert gate.state().locked_s == LOCKOUT_S
    clock.now += LOCKOUT_S
    assert gate.try_pin("2468").outcome is Outcome.OPEN


@pytest.mark.allow_warnings
def test_a_tampered_record_locks_rather_than_resets(record: Path) -> None:
    record.write_text('{"failures": -3, "locked_until": 0}')
    clock = Clock()
    gate = PinGate({"leader": PIN_HASH}, record, clock)
    assert gate.try_pin("2468").outcome is Outcome.LOCKED
    clock.now += LOCKOUT_S
    assert gate.try_pin("2468").outcome is Outcome.OPEN


def test_one_keypad_two_doors(record: Path) -> None:
    gate = PinGate({"leader": PIN_HASH, "technician": hash_pin("97531")}, record)
    assert gate.try_pin("2468").door == "leader"
    assert gate.try_pin("97531").door == "technician"


@pytest.mark.allow_warnings
def test_lock_outs_in_a_row_grow_longer_until_a_right_pin(record: Path) -> None:
    clock = Clock()
    gate = PinGate({"leader": PIN_HASH}, record, clock)
    lasted = []
    for _ in range(5):
        for _ in range(MAX_TRIES):
            verdict = gate.try_pin("0000")
        assert verdict.outcome is Outcome.LOCKED
        lasted.append(verdict.locked_s)
        clock.now += verdict.locked_s
    assert lasted == [LOCKOUT_S, 2 * LOCKOUT_S, 4 * LOCKOUT_S, 8 * LOCKOUT_S, MAX_LOCKOUT_S]
    assert PinGate({"leader": PIN_HASH}, record, clock).state().tries_left == MAX_TRIES
    assert gate.try_pin("2468").outcome is Outcome.OPEN
    for _ in range(MAX_TRIES):
        verdict = gate.try_pin("0000")
    assert verdict.locked_s == LOCKOUT_S, "a right PIN starts the count afresh"


@pytest.mark.allow_warnings
def test_a_full_disk_still_locks_the_keypad_after_five(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The record cannot be written: the count goes on in memory (it used to fail open:
    12 wrong PINs never locked the keypad)."""
    clock = Clock()
    with tiny_disk(tmp_path / "disk", 64) as disk:
        fill(disk)
        gate = PinGate({"leader": PIN_HASH}, disk / "leader-pin.json", clock)
        verdicts = [gate.try_pin("0000") for _ in range(12)]
        assert [v.outcome for v in verdicts[:5]] == [Outcome.WRONG] * 4 + [Outcome.LOCKED]
        assert all(v.outcome is Outcome.LOCKED for v in verdicts[5:])
        assert gate.try_pin("2468").outcome is Outcome.LOCKED, "not even the right one"
        assert not (disk / "leader-pin.json").exists()
    assert caplog.text.count("cannot record PIN tries") == 1
