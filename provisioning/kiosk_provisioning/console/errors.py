"""What the console answers when it refuses a request: a plain Korean page for a
person in the browser, a small JSON body for the pages' own ``fetch()`` calls.

Registered by :func:`register` (from the composition root); the sign-in redirect of
an anonymous page request is Flask-Login's, its 401 for a fetch is :func:`unauthorised`.
"""

import logging

from flask import Flask, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kiosk_provisioning.console.web import render

log = logging.getLogger(__name__)

SIGN_IN_FIRST = "먼저 로그인하세요."
CSRF_REFUSED = (
    "보안 확인(CSRF)이 맞지 않아 요청을 처리하지 않았습니다. 페이지를 새로 고침한 뒤 "
    "다시 해 주세요."
)
PAGES = {
    400: ("잘못된 요청", "요청을 처리할 수 없습니다. 페이지를 새로 고침한 뒤 다시 해 주세요."),
    401: ("로그인 필요", SIGN_IN_FIRST),
    403: ("권한 없음", "이 페이지를 쓸 권한이 없습니다. 필요하면 관리자에게 문의하세요."),
    404: ("없는 페이지", "찾는 페이지가 없습니다. 주소를 확인하거나 처음 화면으로 가세요."),
    405: ("잘못된 요청", "이 주소는 그렇게 쓸 수 없습니다. 처음 화면에서 다시 해 주세요."),
    413: ("너무 큰 요청", "보낸 내용이 너무 큽니다. 파일 크기를 줄여 다시 해 주세요."),
}
"""status → (title, message) of the refusals a person may meet."""


def wants_page() -> bool:
    """Whether the request is a browser navigating (a page back) rather than a page's
    own ``fetch()`` (JSON back). Browsers say so in ``Sec-Fetch-Mode``; without it, an
    ``Accept`` naming HTML is a page."""
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    return "text/html" in request.headers.get("Accept", "")


def refusal(status: int, message: str | None = None) -> ResponseReturnValue:
    title, default = PAGES.get(status, PAGES[400])
    message = message or default
    if not wants_page():
        return jsonify(error=message), status
    return render("refused.html", title=title, message=message), status


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code not in PAGES:
        return error
    return refusal(error.code)


def _csrf_refused(error: CSRFError) -> ResponseReturnValue:
    log.warning("request refused: %s", error.description)
    return refusal(400, CSRF_REFUSED)


def unauthorised() -> ResponseReturnValue:
    """Flask-Login's handler for an anonymous request to a guarded view: the sign-in
    page (coming back afterwards) for a person, 401 for a fetch."""
    if wants_page():
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return refusal(401)


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(HTTPException, _http_error)
