"""Signing in and out, and changing one's own password. The rules themselves are
:mod:`.accounts`'.

A session is Flask's signed cookie. It carries the account's session version (see
:meth:`~.Staff.get_id`) and when it began: it ends at the next request once the
version moves on (password changed or reset, roles changed, deactivated, signed
out) or after ``session_hours``, whichever comes first. Signing out moves the
version on, so a copy of the cookie taken before is worthless: signing out in one
browser signs the staff member out of all of them.
"""

import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from kiosk_provisioning.console.accounts import (
    MAX_PASSWORD,
    AccountError,
    SignInOutcome,
    change_own_password,
    sign_in,
    sign_out_everywhere,
)
from kiosk_provisioning.console.models import Activity, Staff
from kiosk_provisioning.console.web import current_console, local_time, me, render, signed_in

log = logging.getLogger(__name__)

blueprint = Blueprint("auth", __name__)

WRONG = "아이디 또는 비밀번호가 맞지 않습니다."
LOCKED = "비밀번호가 여러 번 틀려 계정이 잠겼습니다. {until}까지 기다리거나 관리자에게 문의하세요."
INACTIVE = "사용이 중지된 계정입니다. 관리자에게 문의하세요."


class SignInForm(FlaskForm):  # type: ignore[misc]
    login = StringField("아이디", validators=[DataRequired("아이디를 입력하세요."), Length(max=40)])
    password = PasswordField(
        "비밀번호", validators=[DataRequired("비밀번호를 입력하세요."), Length(max=MAX_PASSWORD)]
    )


class PasswordForm(FlaskForm):  # type: ignore[misc]
    old_password = PasswordField(
        "지금 비밀번호",
        validators=[DataRequired("지금 비밀번호를 입력하세요."), Length(max=MAX_PASSWORD)],
    )
    new_password = PasswordField(
        "새 비밀번호",
        validators=[DataRequired("새 비밀번호를 입력하세요."), Length(max=MAX_PASSWORD)],
    )
    again = PasswordField(
        "새 비밀번호 한 번 더",
        validators=[
            DataRequired("새 비밀번호를 한 번 더 입력하세요."),
            EqualTo("new_password", "두 번 입력한 새 비밀번호가 다릅니다."),
        ],
    )


SINCE = "signed_in_at"
"""The session's key holding when it began (seconds since the epoch)."""


def load_staff(user_id: str) -> Staff | None:
    """Flask-Login's loader: the account in the cookie, if it still exists, is active,
    its :attr:`~.Staff.session_version` has not moved on and the session is younger
    than ``session_hours``."""
    number, _, version = user_id.partition(":")
    if not (number.isdigit() and version.isdigit()):
        return None
    began = session.get(SINCE)
    hours = current_console().settings.session_hours
    if not isinstance(began, int | float) or time.time() - began > hours * 3600:
        return None
    with current_console().db.session() as db:
        staff = db.get(Staff, int(number))
        if staff is None or not staff.active or staff.session_version != int(version):
            return None
        return staff


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere`` or ``https://elsewhere``)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("fleet.page")


@blueprint.route("/login", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page() -> ResponseReturnValue:
    form = SignInForm()
    problem = ""
    status = 200
    if form.validate_on_submit():
        console = current_console()
        settings = console.settings
        with console.db.session() as db:
            result = sign_in(
                db,
                form.login.data or "",
                form.password.data or "",
                request.remote_addr or "",
                settings.lock_after,
                settings.lock_minutes,
            )
            if result.outcome is SignInOutcome.OK and result.staff is not None:
                db.add(Activity(staff_id=result.staff.id, what="sign-in"))
        if result.outcome is SignInOutcome.OK and result.staff is not None:
            session.clear()  # nothing from before the sign-in survives it
            session[SINCE] = time.time()
            login_user(result.staff)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        if result.outcome is SignInOutcome.LOCKED and result.locked_until is not None:
            until = local_time(result.locked_until, "%H:%M")
            problem = LOCKED.format(until=until)
        elif result.outcome is SignInOutcome.INACTIVE:
            problem = INACTIVE
        else:
            problem = WRONG
        status = 401
    elif request.method == "POST":
        status = 400
    return render("sign_in.html", title="로그인", form=form, problem=problem), status


@blueprint.route("/logout", methods=["POST"])
@signed_in
def sign_out() -> ResponseReturnValue:
    with current_console().db.session() as db:
        staff = db.get(Staff, me().id)
        if staff is not None:
            sign_out_everywhere(staff)
            db.add(Activity(staff_id=staff.id, what="sign-out"))
    log.info("%s signed out", me().login)
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in"))


@blueprint.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> ResponseReturnValue:
    """The staff member's own password: the old one, the new one twice. Their other
    sessions end; this one goes on."""
    form = PasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render("password.html", title="비밀번호 변경", form=form), status
    with current_console().db.session() as db:
        staff = db.get(Staff, me().id)
        assert staff is not None  # signed in a moment ago
        try:
            change_own_password(staff, form.old_password.data or "", form.new_password.data or "")
        except AccountError as err:
            getattr(form, err.field).errors.append(str(err))
            return render("password.html", title="비밀번호 변경", form=form), 400
        db.add(Activity(staff_id=staff.id, what="password-changed", detail=staff.login))
    login_user(staff)  # this browser carries on with the new session version
    log.info("%s changed their password", staff.login)
    return render(
        "password.html", title="비밀번호 변경", form=PasswordForm(formdata=None), done=True
    )
