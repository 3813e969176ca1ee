"""영상 회의's questions: the host asks the centres of a meeting room a question with
2 to 4 answers, watches the answers come, closes it, and may show the result on every
screen of the room.

Each step is a message on ``questions/room/<room>/<question>`` (retained, with MQTT
5's message expiry), signed with city hall's alert key as alerts are
(:func:`kiosk_contract.questions.sign_question`), published through city hall's tools
listener (:class:`~kiosk_provisioning.broker.session.HallSession`). The broker lets
only the room's member centres read it (``kiosk-provision build`` writes the access
list from the centres' ``calls.rooms``).

Answers come on ``fleet/<centre>/answers/<question>`` through the console's one
subscription (:class:`~.fleetwatch.FleetWatch`, which hands them to
:func:`take_answer` on its thread). One per centre counts, its latest, and only while
the question is open: what arrives after it closed is kept apart as late and never
counted. Questions and answers live in the console's database (tables
``meeting_question`` and ``meeting_answer``): the record survives a restart, runs on
PostgreSQL as the rest of the console does, and the history is the staff's to read.

The page (``static/questions.js``) polls :func:`state` (JSON) every second while a
question is on it and draws the bars itself (no chart library).
"""

import datetime as dt
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk_contract.questions import (
    DEFAULT_ANSWERS,
    MAX_ANSWER,
    MAX_ANSWERS,
    MAX_TEXT,
    MIN_ANSWERS,
    QUESTION_HOURS,
    Answer,
    Question,
    QuestionState,
    sign_question,
)
from kiosk_provisioning.broker.alertkey import alert_key
from kiosk_provisioning.broker.alerts import speak
from kiosk_provisioning.broker.centres import built_configs
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.console.database import Database
from kiosk_provisioning.console.models import (
    Activity,
    MeetingAnswer,
    MeetingQuestion,
    Role,
    utc,
    utcnow,
)
from kiosk_provisioning.console.web import current_console, me, role_required
from kiosk_provisioning.identity.directory import identity_folder
from kiosk_provisioning.problems import ProvisionError

log = logging.getLogger(__name__)

blueprint = Blueprint("questions", __name__, url_prefix="/meeting")

POLL_MS = 1000
"""How often the page asks for the answers."""


class QuestionRefusedError(Exception):
    """What the host asked for cannot be done; the message says why, in Korean."""


@dataclass(frozen=True)
class Draft:
    """A question as the host typed it, checked."""

    text: str
    answers: list[str]


def check_draft(body: object) -> Draft:
    """The question in *body* (``{"text": str, "answers": [str, ...]}``), trimmed and
    checked; :class:`QuestionRefusedError` naming what is wrong. Empty answers are dropped
    (the page has four fields); none at all: the defaults."""
    if not isinstance(body, dict):
        raise QuestionRefusedError("질문을 읽지 못했습니다.")
    text = body.get("text")
    if not isinstance(text, str) or not " ".join(text.split()):
        raise QuestionRefusedError("질문을 쓰세요.")
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise QuestionRefusedError(f"질문은 {MAX_TEXT}자까지 쓸 수 있습니다 (지금 {len(text)}자).")
    given = body.get("answers", [])
    if not isinstance(given, list) or not all(isinstance(a, str) for a in given):
        raise QuestionRefusedError("답을 읽지 못했습니다.")
    answers = [" ".join(a.split()) for a in given if a.strip()] or list(DEFAULT_ANSWERS)
    if not MIN_ANSWERS <= len(answers) <= MAX_ANSWERS:
        raise QuestionRefusedError(f"답은 {MIN_ANSWERS}개에서 {MAX_ANSWERS}개까지입니다.")
    for number, answer in enumerate(answers, 1):
        if len(answer) > MAX_ANSWER:
            raise QuestionRefusedError(f"{number}번 답은 {MAX_ANSWER}자까지 쓸 수 있습니다.")
    if len(set(answers)) != len(answers):
        raise QuestionRefusedError("같은 답이 두 번 있습니다.")
    return Draft(text, answers)


def room_centres(configs: list[Any], room: int) -> dict[str, str]:
    """Centre id -> name of the centres whose configuration lists *room*."""
    return {
        c.centre.id: c.centre.name for c in configs if any(r.number == room for r in c.calls.rooms)
    }


_SIGNING = threading.Lock()
"""Held from a sequence number's choice to its transaction's commit: two hosts asking
(or closing) at the same moment on two of waitress' threads would otherwise both
take the same number, and one of them fail on the unique question id. (The console
is one process; several behind one PostgreSQL would need the database's own lock.)"""


def _next_seq(db: Session) -> int:
    """A sequence number higher than any signed before (and at least the current
    second, so it keeps counting up after the database was made again)."""
    last = db.scalar(select(func.max(MeetingQuestion.seq))) or 0
    return max(int(last) + 1, int(time.time()))


def _message(row: MeetingQuestion, state: QuestionState, voice: bytes | None) -> Question:
    counts: list[int] = []
    if state is QuestionState.RESULT:
        counts = _counts(row)
    return Question(
        id=row.public_id,
        seq=row.seq,
        room=row.room,
        text=row.text,
        answers=json.loads(row.answers),
        state=state,
        counts=counts,
        issued_at=int(utc(row.asked_at).timestamp()),
        expires_at=int(utc(row.expires_at).timestamp()),
        voice=voice,
    )


def _counts(row: MeetingQuestion) -> list[int]:
    answers = json.loads(row.answers)
    counts = [0] * len(answers)
    for answer in _answers(row, late=False):
        counts[answer.choice] += 1
    return counts


def _answers(row: MeetingQuestion, late: bool) -> list[MeetingAnswer]:
    session = Session.object_session(row)
    assert session is not None
    found = session.scalars(
        select(MeetingAnswer).where(MeetingAnswer.question_id == row.id, MeetingAnswer.late == late)
    )
    return [a for a in found if 0 <= a.choice < len(json.loads(row.answers))]


def publish(question: Question) -> None:
    """Sign *question* with city hall's alert key and publish it retained on its
    topic, to expire with it; :class:`QuestionRefusedError` if the broker cannot be reached."""
    console = current_console()
    broker = console.settings.broker
    if broker is None:
        raise QuestionRefusedError("경로당과 이어지는 통로(브로커)가 설정되지 않았습니다.")
    repo = console.settings.repo
    envelope = sign_question(question, alert_key(repo).sign)
    lasts = max(1, question.expires_at - int(time.time()))
    try:
        with HallSession.open(broker, identity_folder(repo), timeout_s=5.0) as hall:
            hall.publish(question.topic, envelope, retain=True, qos=1, lasts_s=lasts)
    except ProvisionError as err:
        raise QuestionRefusedError(f"경로당에 보내지 못했습니다: {err}") from None


def ask(db: Database, room: int, draft: Draft, staff_id: int | None) -> str:
    """Record and send *draft* to the centres of *room*; returns the question's id.
    The question is read aloud by espeak-ng into a small OGG (boxes without speech
    play it)."""
    console = current_console()
    centres = room_centres(built_configs(console.settings.repo), room)
    if not centres:
        raise QuestionRefusedError("이 회의방에 든 경로당이 없습니다.")
    voice = speak(draft.text)
    now = utcnow().replace(microsecond=0)
    with _SIGNING, db.session() as session:
        seq = _next_seq(session)
        row = MeetingQuestion(
            public_id=f"q-{seq}",
            room=room,
            text=draft.text,
            answers=json.dumps(draft.answers, ensure_ascii=False),
            centres=json.dumps(centres, ensure_ascii=False),
            asked_by=staff_id,
            asked_at=now,
            expires_at=now + dt.timedelta(hours=QUESTION_HOURS),
            seq=seq,
        )
        session.add(row)
        session.flush()
        message = _message(row, QuestionState.OPEN, voice)
        publish(message)  # inside the transaction: a question never sent is not recorded
        session.add(Activity(staff_id=staff_id, what="meeting-question", detail=draft.text))
    log.info("question %s asked in room %d: %s", message.id, room, draft.text)
    return message.id


def _find(session: Session, room: int, public_id: str) -> MeetingQuestion:
    row = session.scalar(
        select(MeetingQuestion).where(
            MeetingQuestion.public_id == public_id, MeetingQuestion.room == room
        )
    )
    if row is None:
        raise QuestionRefusedError("그런 질문이 없습니다.")
    return row


def close(db: Database, room: int, public_id: str, show: bool, staff_id: int | None) -> None:
    """Close the question (no more answers count) and, with *show*, show its result on
    every screen of the room. Closing twice, or showing after closing, is fine."""
    with _SIGNING, db.session() as session:
        row = _find(session, room, public_id)
        now, changed = utcnow(), False
        if row.closed_at is None:
            row.closed_at, changed = now, True
            closed = Activity(staff_id=staff_id, what="meeting-question-closed", detail=row.text)
            session.add(closed)
        if show and row.result_at is None:
            row.result_at, changed = now, True
        if not changed:
            return  # nothing new to tell the centres
        row.seq = _next_seq(session)
        session.flush()
        state = QuestionState.RESULT if row.result_at is not None else QuestionState.CLOSED
        publish(_message(row, state, None))
    log.info("question %s %s", public_id, "result shown" if show else "closed")


def take_answer(db: Database, centre: str, answer: Answer) -> str:
    """A centre's answer as the broker brought it (the fleet watch's thread). Returns
    what became of it: ``counted``, ``late`` (the question had closed: kept apart,
    not counted), ``again`` (the broker's copy of one already taken), or why it was
    ignored (unknown question, not a member, no such answer)."""
    with db.session() as session:
        row = session.scalar(
            select(MeetingQuestion).where(MeetingQuestion.public_id == answer.question)
        )
        if row is None:
            return "unknown question"
        if centre not in json.loads(row.centres):
            log.warning(
                "answer to %s from %s, not in room %d: ignored", row.public_id, centre, row.room
            )
            return "not a member"
        if answer.choice >= len(json.loads(row.answers)):
            return "no such answer"
        kept = {
            a.late: a
            for a in session.scalars(
                select(MeetingAnswer).where(
                    MeetingAnswer.question_id == row.id, MeetingAnswer.centre_id == centre
                )
            )
        }
        if any(a.n >= answer.n for a in kept.values()):
            return "again"
        late = row.closed_at is not None
        found = kept.get(late)
        if found is None:
            found = MeetingAnswer(question_id=row.id, centre_id=centre, late=late, n=0, choice=0)
            session.add(found)
        found.choice, found.n, found.received = answer.choice, answer.n, utcnow()
    if late:
        log.info("late answer to %s from %s (closed): not counted", answer.question, centre)
        return "late"
    return "counted"


def state_of(session: Session, row: MeetingQuestion) -> dict[str, Any]:
    """What the page shows of *row*: its answers with counts, each centre's answer."""
    answers = json.loads(row.answers)
    centres: dict[str, str] = json.loads(row.centres)
    counted = {a.centre_id: a for a in _answers(row, late=False)}
    late = {a.centre_id: a for a in _answers(row, late=True)}
    state = (
        QuestionState.OPEN
        if row.closed_at is None
        else QuestionState.RESULT
        if row.result_at is not None
        else QuestionState.CLOSED
    )
    return {
        "id": row.public_id,
        "text": row.text,
        "answers": answers,
        "counts": _counts(row),
        "state": state.value,
        "members": len(centres),
        "answered": len(counted),
        "centres": [
            {
                "id": centre,
                "name": name,
                "answer": answers[counted[centre].choice] if centre in counted else "",
                "late": answers[late[centre].choice] if centre in late else "",
            }
            for centre, name in sorted(centres.items(), key=lambda item: item[1])
        ],
    }


# --- the page's requests --------------------------------------------------------------


def _refused(problem: QuestionRefusedError, status: int = 400) -> ResponseReturnValue:
    return jsonify(error=str(problem)), status


@blueprint.post("/<int:number>/questions")
@role_required(Role.HOST)
def ask_now(number: int) -> ResponseReturnValue:
    """Ask the room *number* a question (JSON ``{"text", "answers"}``)."""
    console = current_console()
    try:
        draft = check_draft(request.get_json(silent=True))
        public_id = ask(console.db, number, draft, me().id)
    except QuestionRefusedError as problem:
        return _refused(problem)
    return jsonify(id=public_id), 201


@blueprint.get("/<int:number>/questions/latest")
@role_required(Role.HOST)
def latest(number: int) -> ResponseReturnValue:
    """The room's latest question still valid, with its answers (``{}``: none)."""
    with current_console().db.session() as session:
        row = session.scalar(
            select(MeetingQuestion)
            .where(MeetingQuestion.room == number, MeetingQuestion.expires_at > utcnow())
            .order_by(MeetingQuestion.id.desc())
            .limit(1)
        )
        return jsonify(state_of(session, row) if row is not None else {})


@blueprint.post("/<int:number>/questions/<public_id>/close")
@role_required(Role.HOST)
def close_now(number: int, public_id: str) -> ResponseReturnValue:
    """Close the question; ``{"show": true}`` also shows the result on every screen."""
    body = request.get_json(silent=True)
    show = isinstance(body, dict) and body.get("show") is True
    try:
        close(current_console().db, number, public_id, show, me().id)
    except QuestionRefusedError as problem:
        return _refused(problem)
    return jsonify(ok=True)
