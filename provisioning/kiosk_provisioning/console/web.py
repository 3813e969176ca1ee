"""What every page module shares: the :class:`~.app.Console` of this request, the
signed-in staff member, the role guard, and rendering with the menu."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from flask import Response, abort, current_app, render_template, send_file
from flask_login import current_user, login_required

from kiosk_provisioning.console.models import Role, Staff, utc

if TYPE_CHECKING:
    from kiosk_provisioning.console.app import Console

P = ParamSpec("P")
R = TypeVar("R")

MENU = (
    ("fleet.page", "경로당 현황", None),
    ("calls.page", "전화", Role.CALLER),
    ("meeting.page", "영상 회의", Role.HOST),
    ("messages.page", "의견 메시지", None),
    ("alerts.page", "알림·안내", Role.ALERTS),
    ("staff.page", "직원 관리", Role.ADMIN),
)
"""(endpoint, label, role needed) of the menu, in order."""


DEBIAN_SCRIPTS = {
    "janus.js": Path("/usr/share/javascript/janus-gateway/janus.js"),
    "adapter.js": Path("/usr/share/javascript/webrtc-adapter/adapter.js"),
}
"""Debian's janus.js (libjs-janus-gateway) and WebRTC adapter (libjs-webrtc-adapter),
which the call and meeting pages load from their own origin: served read-only from
where the packages put them, never copied into the project."""


def debian_script(name: str) -> Response:
    """One of :data:`DEBIAN_SCRIPTS` (404 for any other name); each page serves it
    under its own guard."""
    path = DEBIAN_SCRIPTS.get(name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="text/javascript", max_age=3600)


def current_console() -> "Console":
    return current_app.extensions["kiosk_console"]  # type: ignore[no-any-return]


def me() -> Staff:
    """The signed-in staff member (only inside ``login_required`` views)."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """Signed in (else to the sign-in page), whatever the roles."""
    return login_required(view)  # type: ignore[no-any-return]


def role_required(role: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Signed in (else to the sign-in page) and holding *role* (else 403)."""

    def wrap(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not me().may(role):
                abort(403)
            return view(*args, **kwargs)

        return login_required(guarded)  # type: ignore[no-any-return]

    return wrap


def render(template: str, **values: Any) -> str:
    """*template* with the menu the signed-in staff member may use."""
    menu = []
    if current_user.is_authenticated:
        menu = [(e, label) for e, label, role in MENU if role is None or me().may(role)]
    return render_template(template, menu=menu, **values)


def local_time(when: dt.datetime | None, layout: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) time in city hall's zone (the settings' ``timezone``), for
    people; ``""`` for none. Also the templates' ``local_time`` filter."""
    if when is None:
        return ""
    zone = zoneinfo.ZoneInfo(current_console().settings.timezone)
    return utc(when).astimezone(zone).strftime(layout)
