"""A question city hall's meeting host asks this centre's room, and this centre's
answer. Qt-free; every method runs on the GUI thread (the fleet link verifies a
question on its own thread, signature, expiry and room, and hands it over with
``call_soon_threadsafe``; it sends answers from its outbox).

The board keeps the one question to show: the newest city hall sent (a new question
takes the place of an older one). For each question it takes only a message with a
higher sequence number than the last it had, so an old "open" replayed after
"closed" changes nothing. A press sends the answer (:class:`~kiosk_contract.questions.Answer`,
the latest wins at city hall) and may be changed until the host closes the question;
a press after that sends nothing and says "질문이 끝났습니다". When the host shows the
result, the screen shows the counts. The screen goes when the senior presses 확인
(after the close), by itself a while after the close (:data:`CLOSED_S`,
:data:`RESULT_S`), or when the question expires.

What is said: the question read aloud when it comes (city hall's recording of it, as
for alerts; a box has no speech of its own), "답을 보냈습니다" after a press,
"질문이 끝났습니다" for a press too late.
"""

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.navigation import Navigator, Screen
from kiosk_contract.questions import Answer, Question, QuestionState

log = logging.getLogger(__name__)

CLOSED_S = 15
"""A closed question (no result shown) stays this long, saying it ended."""
RESULT_S = 180
"""The result shown by the host stays this long unless 확인 is pressed."""
SENT_PROMPT = "answer-sent.wav"
"""The bundled prompt "답을 보냈습니다"."""
CLOSED_PROMPT = "question-closed.wav"
"""The bundled prompt "질문이 끝났습니다"."""


class Note(enum.Enum):
    """What the screen says under the buttons."""

    NONE = "none"
    SENT = "sent"
    """The senior's answer went to city hall (changeable while open)."""
    CLOSED = "closed"
    """The question has ended (no more answers)."""


@dataclass(frozen=True)
class OnScreen:
    """What the question screen shows."""

    question: Question
    chosen: int | None
    """The answer this centre sent last (its index), ``None`` before any press."""
    note: Note

    @property
    def is_open(self) -> bool:
        return self.question.state is QuestionState.OPEN


Say = Callable[[Path | bytes | None], None]
"""Plays a recording once (the voice guide's ``read``)."""
Send = Callable[[Answer], None]
"""Sends an answer to city hall (the fleet link's; thread-safe, never blocks)."""
Forget = Callable[[str], None]
"""Takes this centre's answer to a question (by its id) off the broker."""


class QuestionBoard:
    """The question to show and this centre's answer to it.

    *clock*: Unix seconds (the tests' to fake); *say* plays a recording once; *prompt*
    finds a bundled prompt by file name (``None``: not there). *send* is attached later
    (:meth:`attach`): the link starts after the first frame."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        say: Say | None = None,
        prompt: Callable[[str], Path | None] = lambda name: None,
        opened: Callable[[], None] | None = None,
    ) -> None:
        """*opened*: told when a new question opens (:func:`programme_gives_way`)."""
        self._clock = clock
        self._opened = opened
        self._say = say
        self._prompt = prompt
        self._send: Send | None = None
        self._forget: Forget | None = None
        self._answered: set[str] = set()
        """Questions this box answered in this run (their answers are on the broker)."""
        self._seqs: dict[str, int] = {}
        """The highest sequence number had for each question (this run)."""
        self._question: Question | None = None
        self._chosen: int | None = None
        self._presses = 0
        self._note = Note.NONE
        self._closed_at: float | None = None
        self._dismissed = False
        self._listeners: list[Callable[[], None]] = []

    # --- the link's side -----------------------------------------------------------

    def attach(self, send: Send | None, forget: Forget | None = None) -> None:
        """Send answers through *send* from now on; *forget* takes an expired
        question's answer off the broker (every message of the fleet channel is
        retained: answers must not pile up there)."""
        self._send, self._forget = send, forget

    def offer(self, question: Question) -> str | None:
        """Take *question* (verified: signed by city hall, unexpired, for a room of
        this centre). ``None`` when taken, else why not (the link's one log line)."""
        had = self._seqs.get(question.id)
        if had is not None and question.seq <= had:
            return f"question {question.id} #{question.seq} is not newer than #{had}"
        current = self._question
        if current is not None and current.id != question.id and current.seq > question.seq:
            self._seqs[question.id] = question.seq
            return f"question {question.id} is older than {current.id}"
        self._seqs[question.id] = question.seq
        new = current is None or current.id != question.id
        if new:
            self._chosen, self._presses, self._note = None, 0, Note.NONE
            self._dismissed = question.state is not QuestionState.OPEN
            self._closed_at = None
        before = None if new or current is None else current.state
        self._question = question
        if question.state is not QuestionState.OPEN and question.state is not before:
            self._closed_at = self._clock()  # the screen's while starts again
            self._note = Note.CLOSED
            if question.state is QuestionState.RESULT and not new:
                self._dismissed = False  # the host shows the result: on screen again
        log.info("question %s (#%d) %s", question.id, question.seq, question.state.value)
        if new and question.state is QuestionState.OPEN:
            if self._opened is not None:
                self._opened()
            if self._say is not None:
                self._say(question.voice)
        self._changed()
        return None

    # --- the screen's side ---------------------------------------------------------

    @property
    def on_screen(self) -> OnScreen | None:
        """What to show now; ``None``: no question screen."""
        question = self._question
        if question is None or self._dismissed or question.expires_at <= self._clock():
            return None
        return OnScreen(question, self._chosen, self._note)

    def answer(self, choice: int) -> bool:
        """The senior pressed answer *choice* (0-based). ``True``: sent; ``False``: the
        question has ended (or there is none, or no such answer)."""
        shown = self.on_screen
        if shown is None or not 0 <= choice < len(shown.question.answers):
            return False
        if not shown.is_open:
            self._note = Note.CLOSED
            self._play(CLOSED_PROMPT)
            self._changed()
            return False
        self._presses += 1
        # Higher than any before, also after a restart (city hall keeps the highest).
        self._presses = max(self._presses, int(self._clock() * 1000))
        answer = Answer(
            question=shown.question.id, choice=choice, n=self._presses, at=int(self._clock())
        )
        if self._send is not None:
            self._send(answer)
            self._answered.add(answer.question)
        else:
            log.warning("question %s: answer not sent (no fleet link)", shown.question.id)
        self._chosen, self._note = choice, Note.SENT
        log.info("question %s: answer %d sent", shown.question.id, choice + 1)
        self._play(SENT_PROMPT)
        self._changed()
        return True

    def dismiss(self) -> bool:
        """확인 on an ended question: its screen goes. ``False`` while it is open (the
        senior cannot put a question away unanswered by mistake: the host closes it)."""
        shown = self.on_screen
        if shown is None or shown.is_open:
            return False
        self._dismissed = True
        self._changed()
        return True

    def tick(self) -> None:
        """About once a second: an ended question's screen goes after a while; an
        expired one goes."""
        question = self._question
        if question is None:
            return
        now = self._clock()
        if question.expires_at <= now:
            self._question = None
            if question.id in self._answered and self._forget is not None:
                self._answered.discard(question.id)
                self._forget(question.id)
            self._changed()
            return
        if self._closed_at is not None and not self._dismissed:
            lasts = RESULT_S if question.state is QuestionState.RESULT else CLOSED_S
            if now - self._closed_at >= lasts:
                self._dismissed = True
                self._changed()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* whenever :attr:`on_screen` may have changed; returns the
        unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _play(self, name: str) -> None:
        if self._say is not None:
            path = self._prompt(name)
            if path is not None:
                self._say(path)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()


def programme_gives_way(navigator: Navigator) -> Callable[[], None]:
    """What a new question does to the screen below it: a programme stops (its video is
    a window of its own, drawn above every widget, the question's too; and the meeting
    host's question is the room's business now). A call, the meeting itself, stays."""

    def opened() -> None:
        if navigator.view.screen is Screen.PLAYING:
            log.info("a programme gives way to city hall's question")
            navigator.go_home()

    return opened
