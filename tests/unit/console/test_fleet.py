"""The fleet page's words for what boxes report, and its rows' cache."""

import pytest

from kiosk_provisioning.broker.status import CentreState
from kiosk_provisioning.console import fleet
from kiosk_provisioning.console.fleet import RowsCache, problem_words, row, screen_words


def test_problems_in_a_clerks_words() -> None:
    assert [
        problem_words(p)
        for p in (
            "camera missing",
            "microphone none chosen",
            "speaker missing",
            "configuration 2 of 3",
            "configuration refused: 서명이 맞지 않음",
            "no status",
            "error",
            "something new",
        )
    ] == [
        "카메라 없음",
        "마이크 선택 안 됨",
        "스피커 없음",
        "새 설정 아직 안 받음",
        "설정 거부: 서명이 맞지 않음",
        "상태 보고 없음",
        "오류 있음",
        "something new",
    ]
    assert screen_words("programme") == "프로그램 방송 중" and screen_words("call") == "통화 중"
    assert screen_words("alert") == "알림 표시 중" and screen_words("home") == "첫 화면"


def test_a_row_says_the_state_once_and_the_rest_as_issues() -> None:
    offline = CentreState(
        "금동", "c-1", "노암경로당", "offline", 100, screen="call", camera="missing",
        problems=("offline", "camera missing"),
    )  # fmt: skip
    made = row(offline)
    assert made["state"] == "offline" and made["issues"] == ["카메라 없음"]
    assert made["screen"] == "", "an offline box's last screen is not what it shows now"
    erring = row(CentreState("금동", "c-3", "", "online", 1, last_error="x", problems=("error",)))
    assert erring["issues"] == [] and erring["error"] == "x", "the error says itself"
    never = row(
        CentreState("금동", "c-2", "", "never connected", None, problems=("never connected",))
    )
    assert never["state"] == "never" and never["issues"] == []


def test_rows_are_encoded_again_only_when_the_fleet_changed() -> None:
    cache = RowsCache()
    rows = [CentreState("금동", "c-1", "노암경로당", "online", 100)]
    first = cache.get(1, rows)
    assert '"name":"노암경로당"'.encode() in first.rows
    assert cache.get(1, []) is first
    again = cache.get(2, [])
    assert again.rows == b"[]" and again.version == first.version + 1


def test_only_the_rows_that_changed_are_encoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def counted(centre: CentreState) -> dict[str, object]:
        made.append(centre.centre)
        return row(centre)

    monkeypatch.setattr(fleet, "row", counted)
    cache = RowsCache()
    one = CentreState("금동", "c-1", "노암경로당", "online", 100)
    two = CentreState("금동", "c-2", "월락경로당", "online", 100)
    cache.get(1, [one, two])
    assert made == ["c-1", "c-2"]
    moved = CentreState("금동", "c-2", "월락경로당", "offline", 200)
    assert cache.get(2, [one, moved]).rows.count(b'"state":"offline"') == 1
    assert made == ["c-1", "c-2", "c-2"], "c-1's row is the same object: its bytes are kept"
    assert b'"id":"c-2"' not in cache.get(3, [one]).rows
