"""Staff accounts: Argon2 password hashes, the sign-in rule with lock-out, roles.

The rule, in one place: a wrong password counts against the account; after
``lock_after`` in a row it is locked for ``lock_minutes`` (a right password then
does not open it either); a right password while unlocked clears the count. Every
attempt is kept in :class:`~.models.SignIn`. An unknown login is hashed against
a dummy hash so that it takes as long as a known one.
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


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다.")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"비밀번호는 {MAX_PASSWORD}자 이하여야 합니다.")


def check_login(login: str) -> None:
    if not LOGIN.fullmatch(login):
        raise AccountError("login", "아이디는 영문 소문자·숫자·점·빼기·밑줄 2~40자여야 합니다.")


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
    """A new active account; :class:`AccountError` if the login is taken or invalid."""
    check_login(login)
    if not name.strip() or len(name) > 40:
        raise AccountError("name", "이름은 1~40자여야 합니다.")
    if find_staff(db, login) is not None:
        raise AccountError("login", "이미 있는 아이디입니다.")
    staff = Staff(
        login=login,
        name=name.strip(),
        department=department.strip()[:40],
        password_hash=hash_password(password),
        roles=",".join(sorted(roles)),
    )
    db.add(staff)
    db.flush()
    return staff


def set_password(staff: Staff, password: str) -> None:
    """A new password; signs the staff member out everywhere."""
    staff.password_hash = hash_password(password)
    staff.session_version += 1


def unlock(staff: Staff) -> None:
    staff.failed_logins = 0
    staff.locked_until = None


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
