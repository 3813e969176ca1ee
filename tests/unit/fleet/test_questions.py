"""A meeting's question on the box, without Qt: the signed message (the contract), the
board's rules (one answer, changeable until closed; a press too late sends nothing),
and the link (which room's questions it takes, a forged one refused, the answer on the
centre's own topic) against the in-memory broker. The same through the real mosquitto
and the console: ``tests/console/test_questions.py``."""

import asyncio
import logging
import ssl
import time
from pathlib import Path

import msgspec
import pytest

from kiosk.backoff import Backoff
from kiosk.fleet.link import FleetLink
from kiosk.fleet.questions import (
    CLOSED_PROMPT,
    CLOSED_S,
    SENT_PROMPT,
    Note,
    QuestionBoard,
    programme_gives_way,
)
from kiosk.navigation import Navigator, Screen
from kiosk_contract.config import KioskConfig
from kiosk_contract.fleet import AlertRefusedError, open_alert
from kiosk_contract.questions import (
    Answer,
    QuestionState,
    open_question,
    read_answer,
)
from tests.alerts import AlertDesk, with_fleet
from tests.questions import forged_question, make_question, signed, then
from tests.unit.fleet.fake_broker import FakeBroker
from tests.unit.fleet.test_link import Box, run

ROOM = 1001
"""The demo configuration's town meeting."""


class Said:
    """What the board had played: recordings (bytes) and bundled prompts (by name)."""

    def __init__(self) -> None:
        self.played: list[object] = []

    def say(self, recording: Path | bytes | None) -> None:
        self.played.append(recording.name if isinstance(recording, Path) else recording)


def board(clock: list[float], said: Said, sent: list[Answer]) -> QuestionBoard:
    made = QuestionBoard(lambda: clock[0], said.say, lambda name: Path("/voice") / name)
    made.attach(sent.append)
    return made


def test_a_signed_question_opens_and_nothing_else_does() -> None:
    desk = AlertDesk()
    question = make_question(voice=b"OggS...")
    keys = [desk.key.public_key().public_bytes_raw()]
    assert open_question(signed(desk, question), keys, time.time()) == question
    with pytest.raises(AlertRefusedError, match="signature"):
        open_question(forged_question(question), keys, time.time())
    with pytest.raises(AlertRefusedError, match="not an alert envelope"):
        open_question(msgspec.json.encode(question), keys, time.time())  # unsigned
    with pytest.raises(AlertRefusedError, match="expired"):
        open_question(signed(desk, question), keys, question.expires_at + 1)
    # City hall's signed alert is not a question, nor its question an alert.
    with pytest.raises(AlertRefusedError, match="not a question"):
        open_question(desk.sign(desk.alert()), keys, time.time())
    with pytest.raises(AlertRefusedError, match="malformed"):
        open_alert(signed(desk, question), keys, time.time())


def test_an_answer_is_read_only_from_its_own_topic() -> None:
    answer = Answer(question="q-7", choice=1, n=3, at=100)
    payload = msgspec.json.encode(answer)
    assert read_answer("fleet/c-1/answers/q-7", payload) == ("c-1", answer)
    for topic in ("fleet/c-1/answers/q-8", "fleet/c-1/status", "alerts/all/q-7"):
        with pytest.raises(ValueError):
            read_answer(topic, payload)
    with pytest.raises(ValueError):
        read_answer("fleet/c-1/answers/q-7", b'{"question": "q-7", "choice": 9, "n": 1, "at": 0}')


def test_the_board_sends_one_changeable_answer_until_the_question_closes() -> None:
    clock, said, sent = [1000.0], Said(), list[Answer]()
    questions = board(clock, said, sent)
    seen: list[object] = []
    questions.subscribe(lambda: seen.append(questions.on_screen))
    question = make_question(issued=clock[0], voice=b"OggS-question")
    assert questions.offer(question) is None
    shown = questions.on_screen
    assert shown is not None and shown.is_open and shown.chosen is None
    assert said.played == [b"OggS-question"]  # read aloud as it comes

    assert questions.answer(1)
    assert questions.answer(0)  # changed her mind
    assert [(a.question, a.choice) for a in sent] == [(question.id, 1), (question.id, 0)]
    assert sent[1].n > sent[0].n  # city hall keeps the later
    assert questions.on_screen is not None and questions.on_screen.chosen == 0
    assert questions.on_screen.note is Note.SENT
    assert said.played[1:] == [SENT_PROMPT, SENT_PROMPT]
    assert not questions.answer(3)  # no fourth answer: nothing sent
    assert len(sent) == 2

    closed = then(question, QuestionState.CLOSED)
    assert questions.offer(closed) is None
    assert questions.on_screen is not None and questions.on_screen.note is Note.CLOSED
    assert not questions.answer(2)  # too late: nothing sent, "질문이 끝났습니다"
    assert len(sent) == 2 and said.played[-1] == CLOSED_PROMPT
    # The old "open" again (a replay) changes nothing.
    assert questions.offer(question) is not None
    assert not questions.on_screen.is_open

    result = then(closed, QuestionState.RESULT, [3, 1, 0])
    assert questions.offer(result) is None
    assert questions.on_screen.question.counts == [3, 1, 0]
    assert questions.dismiss() and questions.on_screen is None
    assert seen and seen[-1] is None


def test_an_open_question_stays_until_closed_and_a_closed_one_goes_by_itself() -> None:
    clock, said, sent = [1000.0], Said(), list[Answer]()
    questions = board(clock, said, sent)
    question = make_question(issued=clock[0], minutes=30)
    questions.offer(question)
    assert not questions.dismiss()  # not put away unanswered
    clock[0] += 20 * 60
    questions.tick()
    assert questions.on_screen is not None  # open: the host closes it
    questions.offer(then(question, QuestionState.CLOSED))
    clock[0] += CLOSED_S - 1
    questions.tick()
    assert questions.on_screen is not None
    clock[0] += 2
    questions.tick()
    assert questions.on_screen is None
    # A newer question takes the screen; an older one offered later does not.
    newer = make_question(issued=clock[0])
    assert questions.offer(newer) is None
    older = make_question(issued=clock[0], seq=newer.seq - 5)
    assert questions.offer(older) is not None
    assert questions.on_screen is not None and questions.on_screen.question.id == newer.id
    forgotten: list[str] = []
    questions.attach(sent.append, forgotten.append)
    assert questions.answer(0)
    clock[0] = newer.expires_at
    questions.tick()
    assert questions.on_screen is None
    assert forgotten == [newer.id], "its answer is taken off the broker"


@pytest.mark.allow_warnings  # the refusals are the point
def test_the_link_takes_its_rooms_questions_and_sends_the_answer(
    demo_config: KioskConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    desk = AlertDesk()
    config = with_fleet(demo_config, "mqtts://broker.test:8883", [desk.public])
    broker = FakeBroker()

    async def scenario() -> None:
        box = Box(config, broker, tmp_path)
        clock = [time.time()]
        questions = QuestionBoard(lambda: clock[0])
        taken = asyncio.Event()
        questions.subscribe(taken.set)
        await box.link.close()  # this one with a question board instead
        box.link = FleetLink(
            config,
            ssl.create_default_context,
            box.board,
            box.report,
            asyncio.get_running_loop(),
            connect=broker.connect,
            backoff=lambda: Backoff(first=0.01, cap=0.05, steady_s=0),
            gap_s=0.05,
            questions=questions,
        )
        questions.attach(box.link.send_answer, box.link.forget_answer)
        box.link.start()
        await broker.until(
            lambda: bool(broker.connections) and len(broker.connections[0].filters) > 3
        )

        with caplog.at_level(logging.WARNING, logger="kiosk.fleet.link"):
            # Forged, and one for another room sent on this room's topic: refused.
            bad = make_question()
            broker.publish(bad.topic, forged_question(bad))
            elsewhere = make_question(room=2002)
            broker.publish(f"questions/room/{ROOM}/{elsewhere.id}", signed(desk, elsewhere))
            good = make_question()
            broker.publish(good.topic, signed(desk, good))
            await asyncio.wait_for(taken.wait(), 10)
        shown = questions.on_screen
        assert shown is not None and shown.question.id == good.id
        refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert any("signature" in r for r in refusals), refusals
        assert any("room 2002" in r for r in refusals), refusals

        assert questions.answer(2)
        topic = f"fleet/c-1/answers/{good.id}"
        await broker.until(lambda: bool(broker.on(topic)))
        assert read_answer(topic, broker.on(topic)[-1])[1].choice == 2
        assert broker.published[-1].by == "c-1"
        clock[0] = good.expires_at  # expired: the answer leaves the broker
        questions.tick()
        await broker.until(lambda: broker.on(topic)[-1] == b"")
        await box.link.close()

    try:
        run(scenario)
    finally:
        broker.close()


def test_a_programme_gives_way_to_a_new_question_and_a_call_does_not(
    demo_config: KioskConfig,
) -> None:
    navigator = Navigator(demo_config.tiles, demo_config.keys, demo_config.idle, time.monotonic)
    questions = QuestionBoard(opened=programme_gives_way(navigator))
    navigator.show_playing()
    first = make_question()
    questions.offer(first)
    assert navigator.view.screen is Screen.HOME
    navigator.show_playing()
    questions.offer(then(first, QuestionState.CLOSED))  # not a new question: plays on
    assert navigator.view.screen is Screen.PLAYING
    navigator.show_call()
    questions.offer(make_question())
    assert navigator.view.screen is Screen.CALL, "the meeting stays under its question"
