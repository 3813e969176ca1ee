"""The composition root of the console: :func:`create_app` builds the Flask
application and the :class:`Console` every request reaches through
:func:`current_console`."""

import datetime as dt
import functools
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from kiosk_provisioning.console import (
    alerts,
    auth,
    calls,
    errors,
    fleet,
    meeting,
    messages,
    questions,
    staff,
)
from kiosk_provisioning.console.database import Database
from kiosk_provisioning.console.fleetwatch import FleetWatch
from kiosk_provisioning.console.floor import CallNames
from kiosk_provisioning.console.settings import ConsoleSettings
from kiosk_provisioning.console.web import current_console, local_time, signed_in
from kiosk_provisioning.identity.directory import identity_folder

log = logging.getLogger(__name__)

BLUEPRINTS = (
    auth.blueprint,
    fleet.blueprint,
    calls.blueprint,
    meeting.blueprint,
    messages.blueprint,
    questions.blueprint,
    alerts.blueprint,
    staff.blueprint,
)
MAX_REQUEST_BYTES = 4 * 1024 * 1024
"""The largest form: an alert with its voice and picture (the alert itself is capped
at 1.5 MB; a little room for the form's encoding)."""


@dataclass
class Console:
    """What the pages share; built once by :func:`create_app`, closed with
    :meth:`close` (twice is harmless)."""

    settings: ConsoleSettings
    db: Database
    fleet: FleetWatch | None
    """The fleet as the broker last told it; ``None`` without a broker."""
    call_names: CallNames
    """Each centre's call name, from the call gate's directory (read again when it
    changes): the meeting page matches the audience's feeds by it."""

    def close(self) -> None:
        if self.fleet is not None:
            self.fleet.close()
        self.db.close()


def _secret_key(folder: Path) -> bytes:
    """The cookie-signing key, made once (0600) and kept: restarting the console does
    not sign everyone out."""
    path = folder / "secret.key"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        key = secrets.token_bytes(32)
        out.write(key)
    return key


def _security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "connect-src 'self' wss: ws:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _home() -> ResponseReturnValue:
    return redirect(url_for("fleet.page"))


def create_app(settings: ConsoleSettings, fleet_watch: FleetWatch | None = None) -> Flask:
    """The console for *settings*. Its database must be migrated (``console
    migrate``); a fleet watch is started when the settings name a broker, unless
    one is given."""
    app = Flask(__name__)
    db = Database(settings.database_url)
    if not db.is_current():
        db.close()
        raise RuntimeError(
            "콘솔 데이터베이스가 최신이 아닙니다: kiosk-provision console migrate 를 먼저 "
            "실행하세요. (database not migrated)"
        )
    if fleet_watch is None and settings.broker is not None:
        fleet_watch = FleetWatch(settings.repo, settings.broker)
        fleet_watch.start()
    if fleet_watch is not None:  # the centres' answers to a meeting's questions
        fleet_watch.on_answer = functools.partial(questions.take_answer, db)
    call_names = CallNames(identity_folder(settings.repo))
    app.extensions["kiosk_console"] = Console(settings, db, fleet_watch, call_names)
    app.config.update(
        SECRET_KEY=_secret_key(settings.folder),
        SESSION_COOKIE_NAME="kiosk_console",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
    )
    # nginx in front: the client's address, https and the host come from its headers,
    # which waitress believes from nginx alone (commands.TRUSTED_PROXY) and drops from
    # anyone else (a ProxyFix here would never see them).
    CSRFProtect(app)
    logins = LoginManager(app)
    logins.login_view = "auth.sign_in"
    logins.login_message = errors.SIGN_IN_FIRST
    logins.unauthorized_handler(errors.unauthorised)
    logins.session_protection = "strong"
    logins.user_loader(auth.load_staff)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.after_request(_security_headers)
    errors.register(app)
    app.add_template_filter(local_time, "local_time")
    app.add_url_rule("/", "home", signed_in(_home))
    return app


__all__ = ["BLUEPRINTS", "Console", "create_app", "current_console"]
