"""A question city hall's meeting host asks the centres of a meeting room, and the
centres' answers. Shared by the box and city hall; Qt-free.

Topics (the broker's access list enforces who writes and reads)::

    questions/room/<room>/<question>   the question (open, closed, result)
                                       city hall only; read by the room's member centres
    fleet/<centre>/answers/<question>  a centre's answer, written by that centre's box only

A question travels in the alerts' envelope (:func:`kiosk_contract.fleet.open_envelope`),
signed with city hall's alert key, so a broker taken over cannot put a question on a
screen. Every change (opened, closed, result shown) is a new signed message on the
same topic, retained, with a higher sequence number (the same counter as the
question's: :attr:`Question.seq`); a box takes only a higher number than it had for
that question, so an old "open" replayed after "closed" changes nothing. Like an
alert, a question expires (:attr:`Question.expires_at`) and is refused after that.

A box answers as often as it likes while the question is open (the latest answer
counts: :attr:`Answer.n` grows with each press); city hall counts only answers that
arrive while the question is open.
"""

import enum
from collections.abc import Callable
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from kiosk_contract.fleet import (
    MAX_VOICE_BYTES,
    Slug,
    open_envelope,
    open_signed,
    read_from_box,
    sign_envelope,
    topic_part,
)

MAX_TEXT = 120
"""Characters of a question (what the box's screen shows large)."""
MAX_ANSWER = 20
"""Characters of one answer (on a huge button)."""
MIN_ANSWERS = 2
MAX_ANSWERS = 4
"""A keypad's keys 1 to 4, one colour each."""
DEFAULT_ANSWERS = ("찬성", "반대", "잘 모르겠어요")
QUESTION_HOURS = 3
"""A question (and its result) lasts this long: the longest meeting."""
MAX_QUESTION_BYTES = MAX_VOICE_BYTES * 3 // 2
"""Largest envelope a box reads: a spoken question as OGG (base64), text and answers."""
MAX_ANSWER_BYTES = 1000


class QuestionState(enum.Enum):
    OPEN = "open"
    """Answers are taken."""
    CLOSED = "closed"
    """No more answers; the result not shown on the screens."""
    RESULT = "result"
    """Closed, and the host shows the result on every screen."""


class Question(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A question as city hall signs it."""

    kind: Literal["question"] = "question"
    """Never in an alert: an alert's signed text is never read as a question."""
    id: Slug
    seq: Annotated[int, Meta(ge=1)]
    """One higher for every message city hall signs about any question."""
    room: Annotated[int, Meta(ge=1, le=2**52)]
    """The meeting room (``calls.rooms[].number``) whose centres are asked."""
    text: Annotated[str, Meta(min_length=1, max_length=MAX_TEXT)]
    answers: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=MAX_ANSWER)]],
        Meta(min_length=MIN_ANSWERS, max_length=MAX_ANSWERS),
    ]
    state: QuestionState = QuestionState.OPEN
    counts: Annotated[list[Annotated[int, Meta(ge=0)]], Meta(max_length=MAX_ANSWERS)] = (
        msgspec.field(default_factory=list)
    )
    """With :attr:`QuestionState.RESULT`: how many centres chose each answer."""
    issued_at: int
    """Unix seconds the question was asked."""
    expires_at: int
    voice: Annotated[bytes, Meta(max_length=MAX_VOICE_BYTES)] | None = None
    """The question read aloud (OGG/Opus from espeak-ng) for a box that cannot speak."""

    def __post_init__(self) -> None:
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at is not after issued_at")
        if self.expires_at - self.issued_at > QUESTION_HOURS * 3600:
            raise ValueError(f"a question lasts at most {QUESTION_HOURS} hours")
        if self.counts and len(self.counts) != len(self.answers):
            raise ValueError("one count per answer")

    @property
    def topic(self) -> str:
        return question_topic(self.room, self.id)


class Answer(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``fleet/<centre>/answers/<question>``: the centre's choice."""

    question: Slug
    choice: Annotated[int, Meta(ge=0, lt=MAX_ANSWERS)]
    """The answer's index in :attr:`Question.answers`."""
    n: Annotated[int, Meta(ge=1)]
    """The box's count of presses on this question: a later answer has a higher one
    (the broker's copy sent again is no new answer)."""
    at: Annotated[int, Meta(ge=0, le=2**33)]
    """Unix seconds, the box's clock (shown, never trusted for the deadline)."""


def question_topic(room: int, question_id: str) -> str:
    return f"questions/room/{room}/{topic_part(question_id)}"


def question_subscriptions(rooms: list[int]) -> list[str]:
    """The filters a box in *rooms* listens to (its access list allows exactly these)."""
    return [f"questions/room/{room}/+" for room in sorted(set(rooms))]


def answer_topic(centre: str, question_id: str) -> str:
    return f"fleet/{topic_part(centre)}/answers/{topic_part(question_id)}"


def sign_question(question: Question, sign: Callable[[bytes], bytes]) -> bytes:
    """The envelope's bytes for *question*, signed with *sign* (city hall's alert key)."""
    return sign_envelope(question, sign)


def open_question(payload: bytes, keys: list[bytes], now: float) -> Question:
    """The question in *payload* if city hall signed it and it has not expired; else
    :class:`~kiosk_contract.fleet.AlertRefusedError` saying why."""
    signed = open_envelope(payload, keys, MAX_QUESTION_BYTES)
    return open_signed(signed, Question, "question", "not a question", now)


def read_answer(topic: str, payload: bytes) -> tuple[str, Answer]:
    """The centre and its answer on *topic*; ``ValueError`` for anything else (a topic
    that is not an answer's, a payload that is not one, or one naming another question)."""
    centre, question, answer = read_from_box(topic, payload, "answers", Answer, MAX_ANSWER_BYTES)
    if answer.question != question:
        raise ValueError(f"answer to {answer.question} on {topic}")
    return centre, answer
