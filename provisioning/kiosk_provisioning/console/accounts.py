"""Staff accounts: Argon2 password hashes, the sign-in rule with lock-out, roles.

The rule, in one place: a wrong password counts against the account; after
``lock_after`` in a row it is locked for ``lock_minutes`` (a right password then
does not open it either); a right password while unlocked clears the count. Every
attempt is kept in :class:`~.models.SignIn`. An unknown login is hashed against
a dummy hash so that it takes as long as a known one.

What an administrator may change, and what signs the staff member out everywhere
(:func:`sign_out_everywhere`: a new password, new roles, deactivation; signing out
too, in :mod:`.auth`) is here as well: nobody removes their own administrator role
or deactivates themselves, and the last active administrator stays one. Names and
departments hold no markup or control characters (:func:`check_text`). Every
refusal is an :class:`AccountError` naming the form field.
"""

import datetime as dt
import enum
import logging
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_provisioning.console.models import Role, SignIn, Staff, utcnow

log = logging.getLogger(__name__)

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_TEXT = 40
"""Names and departments (the columns' width)."""
MARKUP = re.compile(r"[<>\x00-\x1f\x7f]")
"""Not in a name or department: markup, and control characters."""

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters
_DUMMY = _hasher.hash("not anyone's password")


class SignInOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    """Unknown login or wrong password (the page does not say which)."""
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    staff: Staff | None = None
    locked_until: dt.datetime | None = None
    """Naive UTC, when :attr:`outcome` is ``LOCKED``."""


class AccountError(ValueError):
    """A staff account cannot be made or changed as asked; ``field`` names the form
    field, the message is plain Korean."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(field, f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(field, f"비밀번호는 {MAX_PASSWORD}자 이하여야 합니다.")


def check_login(login: str) -> None:
    if not LOGIN.fullmatch(login):
        raise AccountError("login", "아이디는 영문 소문자·숫자·점·빼기·밑줄 2~40자여야 합니다.")


def check_text(field: str, label: str, value: str, required: bool) -> str:
    """*value* trimmed, or :class:`AccountError` naming *field*: empty when
    *required*, longer than :data:`MAX_TEXT`, or holding markup or control
    characters (names are shown to colleagues and, in calls, to centres)."""
    value = value.strip()
    if required and not value:
        raise AccountError(field, f"{label} 칸을 채워 주세요.")
    if len(value) > MAX_TEXT:
        raise AccountError(field, f"{label} 칸은 {MAX_TEXT}자 이하로 써 주세요.")
    if MARKUP.search(value):
        raise AccountError(field, f"{label} 칸에는 < > 같은 기호를 쓸 수 없습니다.")
    return value


def check_roles(roles: frozenset[Role]) -> None:
    if not roles:
        raise AccountError("roles", "역할을 하나 이상 고르세요.")


def find_staff(db: Session, login: str) -> Staff | None:
    return db.scalars(select(Staff).where(Staff.login == login)).first()


def add_staff(
    db: Session,
    login: str,
    name: str,
    password: str,
    roles: frozenset[Role],
    department: str = "",
) -> Staff:
    """A new active account; :class:`AccountError` if the login is taken or a field
    is invalid."""
    check_login(login)
    name = check_text("name", "이름", name, required=True)
    department = check_text("department", "부서", department, required=False)
    check_roles(roles)
    if find_staff(db, login) is not None:
        raise AccountError("login", "이미 있는 아이디입니다.")
    staff = Staff(
        login=login,
        name=name,
        department=department,
        password_hash=hash_password(password),
        roles=",".join(sorted(roles)),
    )
    db.add(staff)
    db.flush()
    return staff


def sign_out_everywhere(staff: Staff) -> None:
    """Every session of *staff* ends at its next request (the cookie's user id
    carries the version)."""
    staff.session_version += 1


def set_password(staff: Staff, password: str) -> None:
    """A new password; signs the staff member out everywhere."""
    staff.password_hash = hash_password(password)
    sign_out_everywhere(staff)


def change_own_password(staff: Staff, old: str, new: str) -> None:
    """The staff member's own change: *old* must be right (else
    :class:`AccountError` on ``old_password``); their other sessions end."""
    if not _verify(staff.password_hash, old[:MAX_PASSWORD]):
        raise AccountError("old_password", "지금 비밀번호가 맞지 않습니다.")
    if new == old:
        raise AccountError("new_password", "새 비밀번호가 지금 비밀번호와 같습니다.")
    check_password(new, "new_password")
    set_password(staff, new)


def unlock(staff: Staff) -> None:
    staff.failed_logins = 0
    staff.locked_until = None


def _other_active_admins(db: Session, staff: Staff) -> int:
    others = db.scalars(select(Staff).where(Staff.active, Staff.id != staff.id))
    return sum(1 for other in others if Role.ADMIN in other.role_set())


def set_roles(db: Session, staff: Staff, roles: frozenset[Role], by: Staff) -> None:
    """*by* (an administrator) gives *staff* exactly *roles*; its sessions end so
    the new roles hold at once. Nobody takes the administrator role from themselves,
    and the last active administrator keeps it."""
    check_roles(roles)
    if Role.ADMIN in staff.role_set() and Role.ADMIN not in roles:
        if staff.id == by.id:
            raise AccountError("roles", "자기 자신의 관리자 역할은 뺄 수 없습니다.")
        if staff.active and _other_active_admins(db, staff) == 0:
            raise AccountError("roles", "마지막 관리자의 관리자 역할은 뺄 수 없습니다.")
    staff.roles = ",".join(sorted(roles))
    sign_out_everywhere(staff)


def set_active(db: Session, staff: Staff, active: bool, by: Staff) -> None:
    """Deactivate (signed out everywhere, cannot sign in) or reactivate *staff*.
    Nobody deactivates themselves, and the last active administrator stays."""
    if not active:
        if staff.id == by.id:
            raise AccountError("active", "자기 자신의 계정은 사용 중지할 수 없습니다.")
        if Role.ADMIN in staff.role_set() and _other_active_admins(db, staff) == 0:
            raise AccountError("active", "마지막 관리자 계정은 사용 중지할 수 없습니다.")
        sign_out_everywhere(staff)
    staff.active = active


def sign_in(
    db: Session,
    login: str,
    password: str,
    address: str,
    lock_after: int,
    lock_minutes: int,
    now: dt.datetime | None = None,
) -> SignInResult:
    """Apply the sign-in rule (module docstring) and record the attempt."""
    now = now or utcnow()
    login = login.strip().lower()[:40]
    staff = find_staff(db, login) if LOGIN.fullmatch(login) else None
    result = _judge(staff, password[:MAX_PASSWORD], lock_after, lock_minutes, now)
    db.add(SignIn(when=now, login=login, address=address[:64], outcome=result.outcome))
    if result.outcome is not SignInOutcome.OK:
        log.warning("sign-in refused: %r from %s (%s)", login, address, result.outcome)
    return result


def _judge(
    staff: Staff | None, password: str, lock_after: int, lock_minutes: int, now: dt.datetime
) -> SignInResult:
    if staff is None:
        _verify(_DUMMY, password)
        return SignInResult(SignInOutcome.WRONG)
    if staff.locked_until is not None and staff.locked_until > now:
        _verify(_DUMMY, password)
        return SignInResult(SignInOutcome.LOCKED, locked_until=staff.locked_until)
    if not _verify(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= lock_after:
            staff.failed_logins = 0
            staff.locked_until = now + dt.timedelta(minutes=lock_minutes)
            log.warning("account %r locked until %s UTC", staff.login, staff.locked_until)
            return SignInResult(SignInOutcome.LOCKED, locked_until=staff.locked_until)
        return SignInResult(SignInOutcome.WRONG)
    if not staff.active:
        return SignInResult(SignInOutcome.INACTIVE)
    unlock(staff)
    staff.last_login = now
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    return SignInResult(SignInOutcome.OK, staff)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        log.error("a stored password hash is unreadable")
        return False
