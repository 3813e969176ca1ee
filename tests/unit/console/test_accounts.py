"""The accounts rules (kiosk_provisioning.console.accounts) on an in-memory SQLite
database built by the Alembic revisions, as the console's own is."""

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from kiosk_provisioning.console import accounts
from kiosk_provisioning.console.accounts import AccountError, SignInOutcome
from kiosk_provisioning.console.database import MIGRATIONS
from kiosk_provisioning.console.models import Role, SignIn, Staff

PASSWORD = "경로당-비밀번호-1"
T0 = dt.datetime(2026, 11, 30, 9, 0)
"""Naive UTC, as stored."""


CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""The rules do not depend on Argon2's cost; the real one takes ~0.2 s a hash here."""


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", CHEAP)
    monkeypatch.setattr(accounts, "_DUMMY", CHEAP.hash("dummy"))


@pytest.fixture
def db() -> Iterator[Session]:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with Session(engine) as session:
        yield session
    engine.dispose()


def _staff(db: Session, login: str = "kim", *roles: Role) -> Staff:
    return accounts.add_staff(db, login, "김복지", PASSWORD, frozenset(roles or {Role.CALLER}))


def _try(db: Session, password: str, login: str = "kim", at: dt.datetime = T0) -> SignInOutcome:
    return accounts.sign_in(db, login, password, "10.0.0.7", 5, 15, now=at).outcome


def _outcomes(db: Session) -> list[str]:
    return [s.outcome for s in db.scalars(select(SignIn).order_by(SignIn.id))]


@pytest.mark.allow_warnings
def test_five_wrong_in_a_row_lock_for_fifteen_minutes(
    db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    staff = _staff(db)
    for _ in range(4):
        assert _try(db, "wrong password") is SignInOutcome.WRONG
    assert staff.locked_until is None
    result = accounts.sign_in(db, "kim", "wrong password", "10.0.0.7", 5, 15, now=T0)
    assert result.outcome is SignInOutcome.LOCKED
    assert result.locked_until == staff.locked_until == T0 + dt.timedelta(minutes=15)
    # Locked: the right password does not open it, until the time is up.
    assert _try(db, PASSWORD, at=T0 + dt.timedelta(minutes=14, seconds=59)) is SignInOutcome.LOCKED
    assert _try(db, PASSWORD, at=T0 + dt.timedelta(minutes=15, seconds=1)) is SignInOutcome.OK
    assert staff.locked_until is None and staff.failed_logins == 0
    assert staff.last_login == T0 + dt.timedelta(minutes=15, seconds=1)
    assert _outcomes(db) == ["wrong"] * 4 + ["locked", "locked", "ok"]
    assert "account 'kim' locked until" in caplog.text


@pytest.mark.allow_warnings
def test_a_right_password_clears_the_count(db: Session) -> None:
    _staff(db)
    for _ in range(4):
        _try(db, "wrong password")
    assert _try(db, PASSWORD) is SignInOutcome.OK
    for _ in range(4):
        assert _try(db, "wrong password") is SignInOutcome.WRONG


@pytest.mark.allow_warnings
def test_an_unknown_login_is_refused_as_a_wrong_password_and_recorded(
    db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    _staff(db)
    assert _try(db, PASSWORD, login="nobody") is SignInOutcome.WRONG
    assert _try(db, PASSWORD, login="<script>") is SignInOutcome.WRONG
    rows = db.scalars(select(SignIn)).all()
    assert [(r.login, r.address, r.outcome) for r in rows] == [
        ("nobody", "10.0.0.7", "wrong"),
        ("<script>", "10.0.0.7", "wrong"),
    ]
    assert "sign-in refused: 'nobody' from 10.0.0.7 (wrong)" in caplog.text


@pytest.mark.allow_warnings
def test_a_deactivated_account_cannot_sign_in(db: Session) -> None:
    admin = _staff(db, "admin", Role.ADMIN)
    staff = _staff(db)
    accounts.set_active(db, staff, False, by=admin)
    assert _try(db, PASSWORD) is SignInOutcome.INACTIVE
    assert _try(db, "wrong password") is SignInOutcome.WRONG  # says nothing more
    accounts.set_active(db, staff, True, by=admin)
    assert _try(db, PASSWORD) is SignInOutcome.OK


def test_an_old_hash_is_replaced_at_the_next_sign_in(db: Session) -> None:
    staff = _staff(db)
    weaker = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    staff.password_hash = weaker.hash(PASSWORD)
    assert CHEAP.check_needs_rehash(staff.password_hash)
    assert _try(db, PASSWORD) is SignInOutcome.OK
    assert staff.password_hash.startswith("$argon2id$")
    assert not CHEAP.check_needs_rehash(staff.password_hash)
    assert CHEAP.verify(staff.password_hash, PASSWORD)


def test_fields_are_checked_and_named(db: Session) -> None:
    def refused(**fields: str) -> tuple[str, str]:
        values = {"login": "lee", "name": "이회의", "password": PASSWORD, "department": ""}
        with pytest.raises(AccountError) as err:
            accounts.add_staff(db, **(values | fields), roles=frozenset({Role.HOST}))
        return err.value.field, str(err.value)

    assert refused(login="Lee Kim")[0] == "login"
    assert refused(login="x" * 41)[0] == "login"
    assert refused(name="  ") == ("name", "이름 칸을 채워 주세요.")
    assert refused(name="가" * 41) == ("name", "이름 칸은 40자 이하로 써 주세요.")
    assert refused(name="<script>alert(1)</script>")[0] == "name"
    assert refused(department="<b>과</b>")[0] == "department"
    assert refused(name="김\x1b[31m")[0] == "name"
    assert refused(password="short")[0] == "password"
    with pytest.raises(AccountError) as err:
        accounts.add_staff(db, "lee", "이", PASSWORD, frozenset())
    assert err.value.field == "roles"
    _staff(db, "lee")
    assert refused(login="lee") == ("login", "이미 있는 아이디입니다.")


def test_administrators_keep_the_console_manageable(db: Session) -> None:
    admin = _staff(db, "admin", Role.ADMIN)
    other = _staff(db, "kim")
    with pytest.raises(AccountError, match="자기 자신의 관리자 역할"):
        accounts.set_roles(db, admin, frozenset({Role.CALLER}), by=admin)
    with pytest.raises(AccountError, match="자기 자신의 계정"):
        accounts.set_active(db, admin, False, by=admin)
    accounts.set_roles(db, other, frozenset({Role.ADMIN}), by=admin)
    # Now the first may lose the role or the account, but then the other is the last.
    accounts.set_active(db, admin, False, by=other)
    with pytest.raises(AccountError, match="마지막 관리자"):
        accounts.set_roles(db, other, frozenset({Role.CALLER}), by=_staff(db, "third"))
    assert other.role_set() == {Role.ADMIN} and not admin.active


def test_changes_that_matter_sign_the_staff_member_out_everywhere(db: Session) -> None:
    admin = _staff(db, "admin", Role.ADMIN)
    staff = _staff(db)
    versions = [staff.session_version]
    accounts.set_roles(db, staff, frozenset({Role.HOST}), by=admin)
    versions.append(staff.session_version)
    accounts.set_password(staff, "새-비밀번호-12345")
    versions.append(staff.session_version)
    accounts.set_active(db, staff, False, by=admin)
    versions.append(staff.session_version)
    accounts.set_active(db, staff, True, by=admin)  # coming back signs nobody in
    versions.append(staff.session_version)
    assert versions == [1, 2, 3, 4, 4]
    unlocked_version = staff.session_version
    accounts.unlock(staff)
    assert staff.session_version == unlocked_version


def test_own_password_needs_the_old_one(db: Session) -> None:
    staff = _staff(db)
    with pytest.raises(AccountError) as err:
        accounts.change_own_password(staff, "not it at all", "새-비밀번호-12345")
    assert err.value.field == "old_password"
    with pytest.raises(AccountError) as err:
        accounts.change_own_password(staff, PASSWORD, "short")
    assert err.value.field == "new_password"
    with pytest.raises(AccountError) as err:
        accounts.change_own_password(staff, PASSWORD, PASSWORD)
    assert err.value.field == "new_password"
    accounts.change_own_password(staff, PASSWORD, "새-비밀번호-12345")
    assert staff.session_version == 2
    assert _try(db, "새-비밀번호-12345") is SignInOutcome.OK


def test_no_warning_for_a_right_password(db: Session, caplog: pytest.LogCaptureFixture) -> None:
    _staff(db)
    caplog.set_level(logging.INFO)
    assert _try(db, PASSWORD) is SignInOutcome.OK
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
