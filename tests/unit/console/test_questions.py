"""The console's rules for a meeting's questions, on its real database (SQLite, migrated):
what the host may ask, and which answers count (one per centre, its latest, only while
the question is open; the broker's copy again is no new answer; a late one kept apart)."""

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from kiosk_contract.questions import DEFAULT_ANSWERS, Answer, Question
from kiosk_provisioning.console import questions
from kiosk_provisioning.console.database import Database, migrate
from kiosk_provisioning.console.models import MeetingQuestion, utcnow
from kiosk_provisioning.console.questions import (
    Draft,
    QuestionRefusedError,
    ask,
    check_draft,
    state_of,
    take_answer,
)

CENTRES = {"c-1": "향교동 경로당", "c-2": "산내 경로당"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(url)
    database = Database(url)
    yield database
    database.close()


def asked(db: Database) -> str:
    with db.session() as session:
        session.add(
            MeetingQuestion(
                public_id="q-100",
                room=1001,
                text="찬성하십니까?",
                answers=json.dumps(list(DEFAULT_ANSWERS)),
                centres=json.dumps(CENTRES),
                expires_at=utcnow() + dt.timedelta(hours=3),
                seq=100,
            )
        )
    return "q-100"


def state(db: Database) -> dict[str, object]:
    with db.session() as session:
        row = session.scalar(select(MeetingQuestion))
        assert row is not None
        return state_of(session, row)


def answer(choice: int, n: int, question: str = "q-100") -> Answer:
    return Answer(question=question, choice=choice, n=n, at=0)


@pytest.mark.allow_warnings  # a non-member's answer is one
def test_the_latest_answer_of_each_member_counts_while_open(db: Database) -> None:
    asked(db)
    assert take_answer(db, "c-1", answer(0, 1)) == "counted"
    assert take_answer(db, "c-1", answer(1, 2)) == "counted"  # changed: the latest counts
    assert take_answer(db, "c-1", answer(0, 1)) == "again"  # the broker's copy of an old one
    assert take_answer(db, "c-2", answer(1, 5)) == "counted"
    assert take_answer(db, "c-9", answer(0, 1)) == "not a member"
    assert take_answer(db, "c-2", answer(0, 6, "q-404")) == "unknown question"
    assert take_answer(db, "c-2", answer(3, 7)) == "no such answer"
    seen = state(db)
    assert seen["counts"] == [0, 2, 0] and seen["answered"] == 2 and seen["state"] == "open"

    with db.session() as session:
        row = session.scalar(select(MeetingQuestion))
        assert row is not None
        row.closed_at = utcnow()
    assert take_answer(db, "c-2", answer(1, 5)) == "again"  # its counted answer, resent
    assert take_answer(db, "c-2", answer(0, 8)) == "late"
    assert take_answer(db, "c-1", answer(2, 3)) == "late"
    assert take_answer(db, "c-1", answer(0, 4)) == "late"  # the latest late one is kept
    seen = state(db)
    assert seen["counts"] == [0, 2, 0], "late answers are never counted"
    assert seen["state"] == "closed"
    by_centre = {c["id"]: c for c in seen["centres"]}  # type: ignore[attr-defined]
    assert by_centre["c-1"]["answer"] == "반대" and by_centre["c-1"]["late"] == "찬성"
    assert by_centre["c-2"]["answer"] == "반대" and by_centre["c-2"]["late"] == "찬성"


def test_what_the_host_may_ask() -> None:
    draft = check_draft({"text": "  경로당   냉방비  ", "answers": ["예", "", "아니요", " "]})
    assert (draft.text, draft.answers) == ("경로당 냉방비", ["예", "아니요"])
    assert check_draft({"text": "질문"}).answers == list(DEFAULT_ANSWERS)
    for body, why in (
        ({"text": ""}, "질문을 쓰세요"),
        ({"text": "가" * 121}, "120자"),
        ({"text": "질문", "answers": ["하나"]}, "2개에서 4개"),
        ({"text": "질문", "answers": ["1", "2", "3", "4", "5"]}, "2개에서 4개"),
        ({"text": "질문", "answers": ["예", "가" * 21]}, "2번 답은 20자"),
        ({"text": "질문", "answers": ["예", "예"]}, "같은 답"),
        ("not json object", "읽지 못했습니다"),
    ):
        with pytest.raises(QuestionRefusedError, match=why):
            check_draft(body)


def test_two_hosts_asking_at_the_same_moment_both_get_their_question_sent(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The question's sending (broker, speech, the build's rooms) is not what is tested.
    console = SimpleNamespace(settings=SimpleNamespace(repo=Path("/nonexistent")))
    monkeypatch.setattr(questions, "current_console", lambda: console)
    monkeypatch.setattr(questions, "built_configs", lambda repo: [])
    monkeypatch.setattr(questions, "room_centres", lambda configs, room: CENTRES)
    monkeypatch.setattr(questions, "speak", lambda text: None)
    numbering = questions._next_seq
    second_numbered = threading.Event()
    sent: list[Question] = []

    def next_seq(session: object) -> int:
        seq = numbering(session)  # type: ignore[arg-type]
        if threading.current_thread().name == "second":
            second_numbered.set()
        return seq

    def publish(question: Question) -> None:
        sent.append(question)
        if threading.current_thread().name == "first":
            # The first host's question is on its way; the second host asks now. Chosen
            # under the same lock, the second number comes only after this commit.
            second.start()
            second_numbered.wait(timeout=1.0)

    monkeypatch.setattr(questions, "_next_seq", next_seq)
    monkeypatch.setattr(questions, "publish", publish)
    failures: list[BaseException] = []

    def host(text: str) -> None:
        try:
            ask(db, 1001, Draft(text, list(DEFAULT_ANSWERS)), None)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    second = threading.Thread(target=host, args=("두 번째 질문",), name="second")
    first = threading.Thread(target=host, args=("첫 번째 질문",), name="first")
    first.start()
    first.join()
    second.join()
    assert failures == []
    with db.session() as session:
        seqs = session.scalars(select(MeetingQuestion.seq)).all()
    assert len(seqs) == 2 and len(set(seqs)) == 2
    assert [q.seq for q in sent] == sorted(seqs), "sent in the order of their numbers"
