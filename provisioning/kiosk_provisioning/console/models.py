"""The console's tables. Change them only together with a new Alembic revision in
``migrations/versions`` (``tests/console/test_migrations.py`` checks that
the revisions build exactly these tables).

Times are UTC, timezone-aware at the edges; stored as naive UTC (SQLite has no
zones), converted by :func:`utc`.
"""

import datetime as dt
import enum

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def utc(when: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as an aware one."""
    return when.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    pass


class Role(enum.StrEnum):
    """What a staff member may do. An administrator may do everything."""

    CALLER = "caller"
    """Calls centres, answers their calls."""
    HOST = "host"
    """Hosts the town meeting."""
    ALERTS = "alerts"
    """Sends alerts and notices."""
    ADMIN = "admin"
    """Manages staff accounts."""


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(40), unique=True)
    """What they type to sign in (lower case letters, digits, ``.-_``)."""
    name: Mapped[str] = mapped_column(String(40))
    """Shown to colleagues and, in calls, to centres (e.g. 김복지 주무관)."""
    department: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    """Argon2id, argon2-cffi's encoded form (parameters and salt inside)."""
    roles: Mapped[str] = mapped_column(String(100), default="")
    """Comma-separated :class:`Role` values."""
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Wrong passwords since the last right one."""
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    """Part of the session cookie's user id: raising it signs the staff member out
    everywhere (password change, lock, roles changed)."""
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)

    # What Flask-Login asks of a signed-in user (no Flask import here).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session's user id: the account and its :attr:`session_version`."""
        return f"{self.id}:{self.session_version}"

    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split(",") if r)

    def may(self, role: Role) -> bool:
        granted = self.role_set()
        return Role.ADMIN in granted or role in granted


class SignIn(Base):
    """Every sign-in attempt, right or wrong (for the administrator's audit)."""

    __tablename__ = "sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    when: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    login: Mapped[str] = mapped_column(String(40))
    """As typed (trimmed to 40): the account may not exist."""
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))
    """``ok``, ``wrong``, ``locked``, ``inactive``."""


class CallDirection(enum.StrEnum):
    TO_CENTRE = "to_centre"
    FROM_CENTRE = "from_centre"


class CallOutcome(enum.StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    MISSED = "missed"
    """Nobody answered (a centre's call to city hall, or city hall's to a centre)."""
    FAILED = "failed"


class CallRecord(Base):
    """One call between city hall and a centre, as the console saw it."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[CallDirection] = mapped_column(Enum(CallDirection, native_enum=False))
    centre_id: Mapped[str] = mapped_column(String(64), index=True)
    contact: Mapped[str] = mapped_column(String(64), default="")
    """City hall's call name involved (the contact the centre called, or the caller's)."""
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    """Who placed or answered it."""
    outcome: Mapped[CallOutcome] = mapped_column(
        Enum(CallOutcome, native_enum=False), default=CallOutcome.RINGING
    )
    started: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    answered: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    ended: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    called_back: Mapped[int | None] = mapped_column(ForeignKey("call.id"), default=None)
    """For a missed call: the call that returned it."""


class Activity(Base):
    """What staff did that a colleague may need to know later (alert sent, meeting
    started, account changed): the console's history page."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    when: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    what: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


# --- 영상 회의's questions (issue 15; console/questions.py) -----------------------------


class MeetingQuestion(Base):
    """A question the host asked the centres of a meeting room."""

    __tablename__ = "meeting_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    """Its name on the fleet channel (``q-<first sequence number>``)."""
    room: Mapped[int] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(String(120))
    answers: Mapped[str] = mapped_column(Text)
    """The answers, a JSON list (2 to 4)."""
    centres: Mapped[str] = mapped_column(Text)
    """The room's member centres when it was asked: a JSON object, centre id -> name."""
    asked_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    result_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    """When the host showed the result on every screen."""
    seq: Mapped[int] = mapped_column(Integer)
    """The sequence number of the last message signed about it."""


class MeetingAnswer(Base):
    """A centre's answer to a question: its latest while the question was open
    (``late`` false), and apart, its latest that came after it closed (not counted)."""

    __tablename__ = "meeting_answer"
    __table_args__ = (UniqueConstraint("question_id", "centre_id", "late"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("meeting_question.id"), index=True)
    centre_id: Mapped[str] = mapped_column(String(64))
    choice: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    """The box's press count: a higher one is a newer answer."""
    received: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(default=False)
