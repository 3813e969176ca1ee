"""The alert board: what is shown, what was acknowledged, and that nothing comes twice."""

import json
from pathlib import Path

import pytest

from kiosk.fleet.board import AlertBoard, AlertPhase, Known
from kiosk_contract.fleet import Alert, Audience, Level

NOW = 1_800_000_000


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


def alert(seq: int, level: Level = Level.CAUTION, minutes: int = 60) -> Alert:
    return Alert(
        id=f"alert-{seq}",
        seq=seq,
        level=level,
        text=f"안내 {seq}",
        audience=Audience(kind="all"),
        issued_at=NOW,
        expires_at=NOW + minutes * 60,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


def board_at(tmp_path: Path, clock: Clock) -> tuple[AlertBoard, list[Known]]:
    sent: list[Known] = []
    board = AlertBoard(tmp_path / "alerts.json", clock)
    board.attach(sent.append)
    return board, sent


def test_an_alert_is_shown_until_acknowledged_and_city_hall_hears_each_step(
    tmp_path: Path, clock: Clock
) -> None:
    board, sent = board_at(tmp_path, clock)
    changes: list[None] = []
    board.subscribe(lambda: changes.append(None))
    first = alert(1)
    assert board.offer(first) is None
    assert board.current == first
    board.shown(first)
    board.shown(first)
    board.acknowledge(first)
    assert board.current is None
    assert board.recent() == [first]
    assert [k.phase for k in sent] == [
        AlertPhase.DELIVERED,
        AlertPhase.SHOWN,
        AlertPhase.ACKNOWLEDGED,
    ]
    assert len(changes) == 2  # received, acknowledged


def test_the_most_urgent_comes_first(tmp_path: Path, clock: Clock) -> None:
    board, _ = board_at(tmp_path, clock)
    board.offer(alert(1, Level.INFO))
    board.offer(alert(2, Level.EMERGENCY))
    board.offer(alert(3, Level.CAUTION))
    assert [a.seq for a in board.waiting()] == [2, 3, 1]


def test_a_replay_is_refused_and_changes_nothing(tmp_path: Path, clock: Clock) -> None:
    board, sent = board_at(tmp_path, clock)
    board.offer(alert(5))
    board.acknowledge(alert(5))
    count = len(sent)
    reason = board.offer(alert(5))
    assert reason is not None and "acknowledged already" in reason
    assert board.current is None and len(sent) == count


def test_the_same_sequence_for_another_alert_is_refused(tmp_path: Path, clock: Clock) -> None:
    board, _ = board_at(tmp_path, clock)
    board.offer(alert(5))
    other = Alert(
        id="other",
        seq=5,
        level=Level.EMERGENCY,
        text="가짜",
        audience=Audience(kind="all"),
        issued_at=NOW,
        expires_at=NOW + 60,
    )
    reason = board.offer(other)
    assert reason is not None and "was alert alert-5" in reason
    assert board.current == alert(5)


def test_acknowledged_alerts_stay_acknowledged_after_a_restart(
    tmp_path: Path, clock: Clock
) -> None:
    board, _ = board_at(tmp_path, clock)
    board.offer(alert(1))
    board.offer(alert(2))
    board.acknowledge(alert(1))
    again, _ = board_at(tmp_path, clock)
    assert again.offer(alert(1)) is not None  # the broker sends it again: not shown
    assert again.offer(alert(2)) is None  # not acknowledged: shown again
    assert again.current == alert(2)
    assert again.recent() == [alert(1)]


def test_an_expired_alert_leaves_and_its_receipt_is_taken_back(
    tmp_path: Path, clock: Clock
) -> None:
    board, _ = board_at(tmp_path, clock)
    forgotten: list[Known] = []
    board.attach(None, forgotten.append)
    changes: list[None] = []
    board.offer(alert(3, minutes=1))
    board.subscribe(lambda: changes.append(None))
    clock.now += 61
    board.tick()
    assert board.current is None and changes
    assert [k.seq for k in forgotten] == [3]
    assert json.loads((tmp_path / "alerts.json").read_text())["known"] == []


def test_an_older_alert_still_valid_is_shown_after_a_newer_one_expired_and_a_restart(
    tmp_path: Path, clock: Clock
) -> None:
    """A week-long alert (#2), then a short one (#3) that expires; the power goes, and
    on its return the broker hands over #2 again: it is still waiting for 확인."""
    board, _ = board_at(tmp_path, clock)
    board.offer(alert(2, minutes=7 * 24 * 60))
    board.offer(alert(3, minutes=1))
    board.acknowledge(alert(3))
    clock.now += 61
    board.tick()
    again, _ = board_at(tmp_path, clock)
    assert again.offer(alert(2, minutes=7 * 24 * 60)) is None
    assert again.current == alert(2, minutes=7 * 24 * 60)


@pytest.mark.allow_warnings
def test_an_unreadable_record_starts_afresh(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "alerts.json").write_text("{broken")
    board, _ = board_at(tmp_path, clock)
    assert board.offer(alert(1)) is None
    assert "unreadable" in caplog.text


@pytest.mark.allow_warnings
def test_a_full_disk_still_shows_and_acknowledges(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    record = tmp_path / "no-such-folder-as-file"
    record.write_text("")
    board = AlertBoard(record / "alerts.json", clock)  # its folder is a file: never written
    board.offer(alert(1))
    assert board.current == alert(1)
    board.acknowledge(alert(1))
    assert board.current is None
    assert caplog.text.count("cannot record alerts received") == 1
