"""전화: call a centre with one click, answer centres calling city hall, missed calls
with one-click call back.

The page talks to the call gate itself (janus.js, :file:`static/calls.js`) with a
staff pass this module mints (:func:`staff_pass`): its names are the city-hall lines
the staff member chose to staff, each checked against city hall's own list, so the
browser never names anything the server did not put in the pass. A centre knows
city hall only by those lines (a call from any other name is declined at the
centre), so calls go out under one of the staff member's lines the centre knows.

The call history (and so the missed calls) is the call gate's, read by
:class:`~.callhistory.CallHistory`: the page never reports calls.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk_provisioning.broker.centres import built_configs
from kiosk_provisioning.console.callhistory import CallHistory, Missed
from kiosk_provisioning.console.models import CallDirection, CallOutcome, Role
from kiosk_provisioning.console.passes import PASS_TTL_S, Line, city_hall_lines, mint_pass
from kiosk_provisioning.console.web import (
    current_console,
    debian_script,
    me,
    render,
    role_required,
)
from kiosk_provisioning.problems import ProvisionError

log = logging.getLogger(__name__)

blueprint = Blueprint("calls", __name__, url_prefix="/calls")

MOST_LINES = 10
KST = dt.timezone(dt.timedelta(hours=9))
"""City hall's clock for the times staff read."""


@dataclass(frozen=True)
class CentreRow:
    """A centre as the page lists it."""

    id: str
    name: str
    district: str
    call_name: str
    lines: tuple[str, ...]
    """City hall's lines this centre knows (a call must come from one of them)."""
    state: str
    """``online``, ``offline``, ``never connected``, or empty (no fleet channel)."""


def _history() -> CallHistory:
    console = current_console()
    found = current_app.extensions.get("kiosk_call_history")
    if found is None:
        found = current_app.extensions.setdefault(
            "kiosk_call_history", CallHistory(console.settings.repo, console.db)
        )
    return found  # type: ignore[no-any-return]


def _centres() -> list[CentreRow]:
    console = current_console()
    try:
        configs = built_configs(console.settings.repo)
    except ProvisionError as err:
        log.warning("built centres unreadable: %s", err)
        configs = []
    states = {}
    if console.fleet is not None:
        states = {c.centre: c.state for c in console.fleet.centres()}
    rows = [
        CentreRow(
            c.centre.id,
            c.centre.name,
            c.centre.district,
            c.calls.call_name or c.centre.id,
            tuple(contact.name for contact in c.calls.contacts),
            states.get(c.centre.id, ""),
        )
        for c in configs
        if c.calls.server
    ]
    return sorted(rows, key=lambda r: (r.district, r.name, r.id))


def _lines() -> list[Line]:
    try:
        return city_hall_lines(current_console().settings.repo)
    except ProvisionError as err:
        log.warning("built centres unreadable: %s", err)
        return []


MISSED_WORDS = {
    (CallDirection.FROM_CENTRE, CallOutcome.MISSED): "걸려 온 전화를 못 받음",
    (CallDirection.TO_CENTRE, CallOutcome.MISSED): "건 전화를 경로당이 안 받음",
    (CallDirection.TO_CENTRE, CallOutcome.FAILED): "건 전화가 연결 안 됨",
}


def _missed_json(missed: list[Missed], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "centre": m.centre_id,
            "name": names.get(m.centre_id, m.centre_id),
            "what": MISSED_WORDS.get((m.direction, m.outcome), "받지 못한 통화"),
            "when": _clock(m.started),
        }
        for m in missed
    ]


def _clock(when: dt.datetime) -> str:
    """City hall's time of *when*: ``14:05`` today, ``11월 29일 14:05`` before."""
    local = when.astimezone(KST)
    today = dt.datetime.now(KST).date() == local.date()
    clock = local.strftime("%H:%M")
    return clock if today else f"{local.month}월 {local.day}일 {clock}"  # 11월 9일, not 09일


@blueprint.route("/")
@role_required(Role.CALLER)
def page() -> str:
    history = _history()
    history.catch_up()
    centres = _centres()
    names = {c.id: c.name for c in centres}
    chosen = request.args.get("centre", "")
    return render(
        "calls.html",
        title="전화",
        centres=centres,
        districts=sorted({c.district for c in centres}),
        lines=_lines(),
        missed=_missed_json(history.missed(), names),
        chosen=next((c for c in centres if c.id == chosen), None),
        gate_url=current_console().settings.gate_url,
        fleet=current_console().fleet is not None,
    )


@blueprint.route("/missed")
@role_required(Role.CALLER)
def missed() -> ResponseReturnValue:
    """The missed calls not called back yet (the page polls this)."""
    history = _history()
    history.catch_up()
    names = {c.id: c.name for c in _centres()}
    return jsonify(missed=_missed_json(history.missed(), names))


@blueprint.route("/pass", methods=["POST"])
@role_required(Role.CALLER)
def staff_pass() -> ResponseReturnValue:
    """A pass for the lines in the JSON body (``{"lines": [name, ...]}``), each one of
    city hall's lines; anything else is refused, naming it."""
    body = request.get_json(silent=True)
    wanted = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not all(isinstance(n, str) for n in wanted):
        return jsonify(error="전화선 목록이 없습니다. 페이지를 새로 고침하세요."), 400
    if not 1 <= len(wanted) <= MOST_LINES:
        return jsonify(error=f"전화선은 1개에서 {MOST_LINES}개까지 고를 수 있습니다."), 400
    lines = {line.name: line for line in _lines()}
    unknown = [n for n in wanted if n not in lines]
    if unknown:
        log.warning("staff %s asked a pass for names not city hall's: %r", me().login, unknown)
        return jsonify(error="시청 전화선이 아닌 이름은 쓸 수 없습니다."), 403
    settings = current_console().settings
    if not settings.gate_url:
        return jsonify(error="전화가 아직 설정되지 않았습니다. 관리자에게 문의하세요."), 503
    names = list(dict.fromkeys(wanted))
    try:
        token = mint_pass(settings.repo, me().login, names)
    except OSError as err:
        log.warning("no staff pass: the repository's identity is unreadable: %s", err)
        return jsonify(error="전화 자격을 만들 수 없습니다. 관리자에게 문의하세요."), 503
    log.info("staff pass for %s: %s", me().login, names)
    return jsonify(
        token=token,
        ttl_s=PASS_TTL_S,
        gate=settings.gate_url,
        lines=[{"name": n, "label": lines[n].label} for n in names],
    )


@blueprint.route("/lib/<name>")
@role_required(Role.CALLER)
def library(name: str) -> ResponseReturnValue:
    return debian_script(name)
