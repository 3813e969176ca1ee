"""City hall's side of a meeting's questions for the box's tests and benchmarks:
questions signed with the alert desk's key (:class:`tests.alerts.AlertDesk`), or forged."""

import itertools
import time

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_contract.questions import (
    DEFAULT_ANSWERS,
    Question,
    QuestionState,
    sign_question,
)
from tests.alerts import AlertDesk

_numbers = itertools.count(1)


def make_question(
    room: int = 1001,
    text: str = "내년 경로당 냉방비 지원을 늘리는 데 찬성하십니까?",
    answers: tuple[str, ...] = DEFAULT_ANSWERS,
    issued: float | None = None,
    minutes: float = 60,
    seq: int | None = None,
    **changes: object,
) -> Question:
    """An open question (a new id and sequence number unless given)."""
    number = next(_numbers) if seq is None else seq
    at = int(time.time() if issued is None else issued)
    fields: dict[str, object] = {
        "id": f"q-{number}",
        "seq": number,
        "room": room,
        "text": text,
        "answers": list(answers),
        "issued_at": at,
        "expires_at": at + int(minutes * 60),
    }
    fields.update(changes)
    return Question(**fields)  # type: ignore[arg-type]


def then(question: Question, state: QuestionState, counts: list[int] | None = None) -> Question:
    """*question* closed (or its result shown), as city hall's next message (seq + 1)."""
    return msgspec.structs.replace(question, seq=question.seq + 1, state=state, counts=counts or [])


def signed(desk: AlertDesk, question: Question) -> bytes:
    return sign_question(question, desk.key.sign)


def forged_question(question: Question) -> bytes:
    """*question* signed by a key that is not city hall's."""
    return sign_question(question, Ed25519PrivateKey.generate().sign)
