"""Signing in and out. The rule itself is :func:`.accounts.sign_in`."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kiosk_provisioning.console.accounts import MAX_PASSWORD, SignInOutcome, sign_in
from kiosk_provisioning.console.models import Activity, Staff, utc
from kiosk_provisioning.console.web import current_console, me, render

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


def load_staff(user_id: str) -> Staff | None:
    """Flask-Login's loader: the account in the cookie, if it still exists, is active
    and its :attr:`~.Staff.session_version` has not moved on."""
    number, _, version = user_id.partition(":")
    if not (number.isdigit() and version.isdigit()):
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
            login_user(result.staff)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        if result.outcome is SignInOutcome.LOCKED and result.locked_until is not None:
            until = utc(result.locked_until).astimezone().strftime("%H:%M")
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
def sign_out() -> ResponseReturnValue:
    if current_user.is_authenticated:
        log.info("%s signed out", me().login)
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in"))
