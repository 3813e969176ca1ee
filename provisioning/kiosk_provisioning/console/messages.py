"""의견 메시지: the video messages centres leave for city hall (의견 남기기), as the
identity service stored them (:class:`~kiosk_provisioning.messages.MessageStore`).

Any signed-in staff member may watch them: the list (centre, when, how long, who
played it, who handled it) and the chosen message played in the page, its file
served here to signed-in staff only (with ranges, so the player can seek). Marking
one handled (확인 완료) takes the caller's role, the staff who call centres back; the
centre's box then shows "시청에서 확인했습니다". Who first played a message is noted
when its player starts.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Blueprint, abort, jsonify, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from kiosk_provisioning.broker.centres import built_configs
from kiosk_provisioning.console.models import Role, Staff
from kiosk_provisioning.console.web import (
    current_console,
    local_time,
    me,
    render,
    role_required,
    signed_in,
)
from kiosk_provisioning.messages import Message, MessageStore
from kiosk_provisioning.problems import ProvisionError

log = logging.getLogger(__name__)

blueprint = Blueprint("messages", __name__, url_prefix="/messages")

HANDLER_ROLE = Role.CALLER
"""Who may mark a message handled (an administrator may too)."""


@dataclass(frozen=True)
class MessageRow:
    """A message as the page shows it."""

    message: Message
    centre: str
    """The centre's name (its id if the built configuration does not name it)."""
    district: str
    recorded: str
    received: str
    length: str
    played: str
    """Who first played it and when, or empty."""
    handled: str
    """Who marked it handled and when, or empty."""


def _store() -> MessageStore:
    return MessageStore.open(current_console().settings.repo)


def _centres() -> dict[str, tuple[str, str]]:
    """Each centre's (name, district) from the built configurations."""
    try:
        configs = built_configs(current_console().settings.repo)
    except ProvisionError as err:
        log.warning("built centres unreadable: %s", err)
        return {}
    return {c.centre.id: (c.centre.name, c.centre.district) for c in configs}


def _names(logins: set[str]) -> dict[str, str]:
    """The staff's names for *logins* (a login stays as it is if nobody has it now)."""
    if not logins:
        return {}
    with current_console().db.session() as db:
        found = db.execute(select(Staff.login, Staff.name).where(Staff.login.in_(logins)))
        return {login: name for login, name in found}


def _when(text: str | None) -> str:
    if not text:
        return ""
    return local_time(dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None))


def _length(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}분 {whole % 60:02d}초" if whole >= 60 else f"{whole}초"


def _rows(messages: list[Message]) -> list[MessageRow]:
    centres = _centres()
    names = _names({m.played_by or "" for m in messages} | {m.handled_by or "" for m in messages})

    def by(login: str | None, when: str | None) -> str:
        return f"{names.get(login, login)} · {_when(when)}" if login else ""

    return [
        MessageRow(
            message=m,
            centre=centres.get(m.centre, (m.centre, ""))[0],
            district=centres.get(m.centre, ("", ""))[1],
            recorded=_when(m.recorded_at),
            received=_when(m.received_at),
            length=_length(m.duration_s),
            played=by(m.played_by, m.played_at),
            handled=by(m.handled_by, m.handled_at),
        )
        for m in messages
    ]


@blueprint.route("/")
@signed_in
def page() -> str:
    rows = _rows(_store().delivered())
    wanted = request.args.get("m", "")
    chosen = next((r for r in rows if r.message.id == wanted), None)
    if chosen is None:  # the newest one nobody has handled, else the newest
        waiting = [r for r in rows if r.message.state == "received"]
        chosen = next(iter(waiting or rows), None)
    return render(
        "messages.html",
        title="의견 메시지",
        rows=rows,
        chosen=chosen,
        waiting=sum(1 for r in rows if r.message.state == "received"),
        may_handle=me().may(HANDLER_ROLE),
        done=request.args.get("done", ""),
    )


def _delivered(message_id: str) -> Message:
    message = _store().get(message_id)
    if message is None or message.state not in ("received", "handled"):
        abort(404)
    return message


@blueprint.route("/<message_id>/video")
@signed_in
def video(message_id: str) -> ResponseReturnValue:
    """The message's WebM, with ranges (the player asks for pieces as it seeks)."""
    message = _delivered(message_id)
    path = _store().file(message)
    if not path.is_file():
        log.warning(
            "message %s from %s: its file is missing (%s)", message.id, message.centre, path
        )
        abort(404)
    answer = send_file(path, mimetype="video/webm", conditional=True)
    answer.headers["Cache-Control"] = "private, no-store"  # an elder's face and words
    return answer


@blueprint.post("/<message_id>/played")
@signed_in
def played(message_id: str) -> ResponseReturnValue:
    """The page's player started (the first staff member to play it is noted)."""
    message = _delivered(message_id)
    _store().mark_played(message.id, me().login)
    return jsonify(ok=True)


@blueprint.post("/<message_id>/handled")
@role_required(HANDLER_ROLE)
def handled(message_id: str) -> ResponseReturnValue:
    """확인 완료: the message is handled by the signed-in staff member."""
    message = _delivered(message_id)
    if message.state == "received":
        _store().mark_handled(message.id, me().login)
        log.info("message %s from %s handled by %s", message.id, message.centre, me().login)
    return redirect(url_for("messages.page", m=message.id, done="handled"))
