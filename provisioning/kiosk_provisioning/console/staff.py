"""직원 관리 (administrators only): the accounts, adding one, changing its roles,
resetting its password, unlocking, deactivating and reactivating it; the recent
sign-in attempts and account changes for the audit.

The rules (who may lose the administrator role, the last administrator, what a name
may hold) are :mod:`.accounts`'; this module turns forms into calls of them and
records each change in :class:`~.models.Activity` with who made it.
"""

import logging
from collections.abc import Callable

from flask import Blueprint, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import Field, PasswordField, SelectMultipleField, StringField
from wtforms.validators import EqualTo, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kiosk_provisioning.console.accounts import (
    AccountError,
    add_staff,
    check_login,
    check_password,
    check_roles,
    check_text,
    set_active,
    set_password,
    set_roles,
    unlock,
)
from kiosk_provisioning.console.models import Activity, Role, SignIn, Staff, utcnow
from kiosk_provisioning.console.web import current_console, me, render, role_required

log = logging.getLogger(__name__)

blueprint = Blueprint("staff", __name__, url_prefix="/staff")

ROLE_LABELS = {
    Role.CALLER: "전화",
    Role.HOST: "영상 회의",
    Role.ALERTS: "알림·안내",
    Role.ADMIN: "관리",
}
ROLE_CHOICES = [
    (Role.CALLER.value, "전화 — 경로당과 통화"),
    (Role.HOST.value, "영상 회의 — 마을 회의 진행"),
    (Role.ALERTS.value, "알림·안내 — 경로당 화면에 보내기"),
    (Role.ADMIN.value, "관리 — 직원 계정 관리 (모든 일을 할 수 있음)"),
]
CHANGES = {
    "staff-added": "계정 추가",
    "roles-changed": "역할 변경",
    "password-reset": "비밀번호 초기화",
    "password-changed": "본인 비밀번호 변경",
    "unlocked": "잠금 해제",
    "deactivated": "사용 중지",
    "reactivated": "다시 사용",
}
"""The account changes shown on the page (Activity.what → words)."""
OUTCOMES = {"ok": "성공", "wrong": "틀림", "locked": "잠김", "inactive": "사용 중지 계정"}
RECENT = 50
"""Rows of each audit list."""


def _rule(check: Callable[[str], object]) -> Callable[[FlaskForm, Field], None]:
    """A form validator running one of :mod:`.accounts`' checks."""

    def validate(_form: FlaskForm, field: Field) -> None:
        try:
            check(field.data or "")
        except AccountError as err:
            raise ValidationError(str(err)) from None

    return validate


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else value


class RolesField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _some_role(_form: FlaskForm, field: Field) -> None:
    try:
        check_roles(frozenset(Role(value) for value in field.data or ()))
    except (AccountError, ValueError) as err:
        raise ValidationError(str(err)) from None


def _roles_field() -> RolesField:
    return RolesField("역할", choices=ROLE_CHOICES, validate_choice=True, validators=[_some_role])


def _password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField("비밀번호", validators=[_rule(check_password)]),
        PasswordField(
            "비밀번호 한 번 더",
            validators=[EqualTo("password", "두 번 입력한 비밀번호가 다릅니다.")],
        ),
    )


class NewStaffForm(FlaskForm):  # type: ignore[misc]
    login = StringField("아이디", filters=[_lower], validators=[_rule(check_login)])
    name = StringField(
        "이름", validators=[_rule(lambda v: check_text("name", "이름", v, required=True))]
    )
    department = StringField(
        "부서", validators=[_rule(lambda v: check_text("department", "부서", v, required=False))]
    )
    roles = _roles_field()
    password, again = _password_fields()


class RolesForm(FlaskForm):  # type: ignore[misc]
    roles = _roles_field()


class ResetPasswordForm(FlaskForm):  # type: ignore[misc]
    password, again = _password_fields()


def _roles_of(form: NewStaffForm | RolesForm) -> frozenset[Role]:
    return frozenset(Role(value) for value in form.roles.data or ())


def _role_words(roles: frozenset[Role]) -> str:
    return ", ".join(label for role, label in ROLE_LABELS.items() if role in roles)


def _record(db: Session, what: str, detail: str) -> None:
    db.add(Activity(staff_id=me().id, what=what, detail=detail))
    log.info("%s: %s %s", me().login, what, detail)


def _show_errors(form: FlaskForm, err: AccountError) -> None:
    field = getattr(form, err.field, None)
    if field is None:
        raise err
    field.errors = [*field.errors, str(err)]


@blueprint.route("/")
@role_required(Role.ADMIN)
def page() -> str:
    with current_console().db.session() as db:
        accounts = db.scalars(select(Staff).order_by(Staff.active.desc(), Staff.login)).all()
        attempts = db.scalars(select(SignIn).order_by(SignIn.id.desc()).limit(RECENT)).all()
        changes = db.execute(
            select(Activity, Staff.name)
            .outerjoin(Staff, Activity.staff_id == Staff.id)
            .where(Activity.what.in_(CHANGES))
            .order_by(Activity.id.desc())
            .limit(RECENT)
        ).all()
    return render(
        "staff.html",
        title="직원 관리",
        accounts=accounts,
        attempts=attempts,
        changes=changes,
        now=utcnow(),
        role_labels=ROLE_LABELS,
        outcomes=OUTCOMES,
        change_words=CHANGES,
    )


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new() -> ResponseReturnValue:
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            with current_console().db.session() as db:
                staff = add_staff(
                    db,
                    form.login.data or "",
                    form.name.data or "",
                    form.password.data or "",
                    _roles_of(form),
                    form.department.data or "",
                )
                _record(db, "staff-added", f"{staff.login} ({_role_words(staff.role_set())})")
        except AccountError as err:
            _show_errors(form, err)
        else:
            return redirect(url_for("staff.one", staff_id=staff.id, done="added"))
    status = 400 if request.method == "POST" else 200
    return render("staff_new.html", title="직원 추가", form=form), status


def _account(db: Session, staff_id: int) -> Staff:
    staff = db.get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


DONE = {
    "added": "계정을 만들었습니다.",
    "roles": "역할을 바꿨습니다. 그 직원은 다시 로그인해야 합니다.",
    "password": "비밀번호를 바꿨습니다. 그 직원은 새 비밀번호로 다시 로그인해야 합니다.",
    "unlocked": "잠금을 풀었습니다.",
    "deactivated": "계정을 사용 중지했습니다. 그 직원은 로그아웃되었고 로그인할 수 없습니다.",
    "reactivated": "계정을 다시 쓸 수 있게 했습니다.",
}


def _one_page(
    staff_id: int,
    roles_form: RolesForm | None = None,
    password_form: ResetPasswordForm | None = None,
    problem: str = "",
) -> ResponseReturnValue:
    with current_console().db.session() as db:
        staff = _account(db, staff_id)
        attempts = db.scalars(
            select(SignIn).where(SignIn.login == staff.login).order_by(SignIn.id.desc()).limit(10)
        ).all()
    if roles_form is None:
        roles_form = RolesForm(formdata=None, roles=sorted(staff.role_set()))
    failed = roles_form.errors or (password_form is not None and password_form.errors) or problem
    return render(
        "staff_one.html",
        title=f"직원 · {staff.name}",
        staff=staff,
        roles_form=roles_form,
        password_form=password_form or ResetPasswordForm(formdata=None),
        attempts=attempts,
        outcomes=OUTCOMES,
        role_labels=ROLE_LABELS,
        now=utcnow(),
        done=DONE.get(request.args.get("done", "")),
        problem=problem,
        myself=staff.id == me().id,
    ), (400 if failed else 200)


@blueprint.route("/<int:staff_id>")
@role_required(Role.ADMIN)
def one(staff_id: int) -> ResponseReturnValue:
    return _one_page(staff_id)


def _done(staff_id: int, what: str) -> ResponseReturnValue:
    return redirect(url_for("staff.one", staff_id=staff_id, done=what))


@blueprint.post("/<int:staff_id>/roles")
@role_required(Role.ADMIN)
def roles(staff_id: int) -> ResponseReturnValue:
    form = RolesForm()
    if form.validate_on_submit():
        try:
            with current_console().db.session() as db:
                staff = _account(db, staff_id)
                before = _role_words(staff.role_set())
                set_roles(db, staff, _roles_of(form), by=me())
                after = _role_words(staff.role_set())
                _record(db, "roles-changed", f"{staff.login}: {before} → {after}")
        except AccountError as err:
            _show_errors(form, err)
        else:
            return _done(staff_id, "roles")
    return _one_page(staff_id, roles_form=form)


@blueprint.post("/<int:staff_id>/password")
@role_required(Role.ADMIN)
def password(staff_id: int) -> ResponseReturnValue:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with current_console().db.session() as db:
            staff = _account(db, staff_id)
            set_password(staff, form.password.data or "")
            unlock(staff)
            _record(db, "password-reset", staff.login)
        return _done(staff_id, "password")
    return _one_page(staff_id, password_form=form)


@blueprint.post("/<int:staff_id>/unlock")
@role_required(Role.ADMIN)
def unlock_account(staff_id: int) -> ResponseReturnValue:
    with current_console().db.session() as db:
        staff = _account(db, staff_id)
        unlock(staff)
        _record(db, "unlocked", staff.login)
    return _done(staff_id, "unlocked")


@blueprint.post("/<int:staff_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(staff_id: int) -> ResponseReturnValue:
    return _set_active(staff_id, active=False)


@blueprint.post("/<int:staff_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(staff_id: int) -> ResponseReturnValue:
    return _set_active(staff_id, active=True)


def _set_active(staff_id: int, active: bool) -> ResponseReturnValue:
    what = "reactivated" if active else "deactivated"
    try:
        with current_console().db.session() as db:
            staff = _account(db, staff_id)
            set_active(db, staff, active, by=me())
            _record(db, what, staff.login)
    except AccountError as err:
        return _one_page(staff_id, problem=str(err))
    return _done(staff_id, what)
