"""영상 회의: city hall hosts the town meeting from the browser.

The page lists the rooms of the last build (the centres' ``calls.rooms``). 회의 시작
asks :func:`start` for a staff pass the console mints for the signed-in host (that
room only, ``host: true``, the room's host call name; nobody ever types one), and
``static/meeting.js`` joins the room through the call gate with janus.js, publishes
the host's camera and microphone and shows every centre in the room in a grid.
Muting a centre is VideoRoom ``moderate`` sent through the gate, which adds the
room's secret (the browser never holds it); the page tells :func:`record` so the
activity log says who muted whom. janus.js and its WebRTC adapter are Debian's
(libjs-janus-gateway, libjs-webrtc-adapter), served from here.

The browser watches at most :data:`GRID_PAGE` centres at once (the grid is paged):
a room of hundreds must never mean hundreds of subscriptions in one tab.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk_provisioning.console.models import Activity, Role
from kiosk_provisioning.console.passes import mint_pass
from kiosk_provisioning.console.web import (
    current_console,
    debian_script,
    me,
    render,
    role_required,
)

log = logging.getLogger(__name__)

blueprint = Blueprint("meeting", __name__, url_prefix="/meeting")

GRID_PAGE = 12
"""Centres shown (and subscribed to) at once; more are on further pages."""
PASS_S = 4 * 3600
"""A host's pass lasts the longest meeting: the gate cuts the connection when the pass
expires and a pass cannot be renewed on an open connection, so the short pass of the
calls page (:data:`~.passes.PASS_TTL_S`) would drop the meeting every 15 minutes."""
DEFAULT_HOST_NAME = "cityhall-host"
"""The host's call name in a room whose configuration names none."""


@dataclass
class MeetingRoom:
    """A VideoRoom room as the build configures it, with the centres that join it."""

    number: int
    title: str
    host: str
    """The host's call name: the kiosks show this display large."""
    centres: dict[str, str] = field(default_factory=dict)
    """Call name (the display the gate forces) -> the centre's name (향교동 경로당)."""


def meeting_rooms(repo: Path) -> list[MeetingRoom]:
    """Every room of the last build, by number (none before the first build)."""
    from kiosk_provisioning.broker.centres import built_configs

    rooms: dict[int, MeetingRoom] = {}
    for config in built_configs(repo):
        call_name = config.calls.call_name or config.centre.id
        for room in config.calls.rooms:
            found = rooms.setdefault(
                room.number,
                MeetingRoom(room.number, room.title, room.host or DEFAULT_HOST_NAME),
            )
            found.centres[call_name] = config.centre.name
    return [rooms[n] for n in sorted(rooms)]


def _room(number: int) -> MeetingRoom:
    console = current_console()
    found = next((r for r in meeting_rooms(console.settings.repo) if r.number == number), None)
    if found is None:
        abort(404)
    return found


def _remember(what: str, detail: str) -> None:
    with current_console().db.session() as db:
        db.add(Activity(staff_id=me().id, what=what, detail=detail))


@blueprint.route("/")
@role_required(Role.HOST)
def page() -> str:
    console = current_console()
    rooms = meeting_rooms(console.settings.repo)
    return render(
        "meeting.html",
        title="영상 회의",
        rooms=rooms,
        ready=bool(console.settings.gate_url),
        grid_page=GRID_PAGE,
    )


@blueprint.post("/<int:number>/start")
@role_required(Role.HOST)
def start(number: int) -> ResponseReturnValue:
    """What the page needs to join *number* as its host: the gate's address and a
    pass minted now for the signed-in staff member."""
    console = current_console()
    room = _room(number)
    if not console.settings.gate_url:
        return jsonify(error="영상 회의가 설정되지 않았습니다 (call gate not configured)."), 503
    staff = me()
    repo = console.settings.repo
    token = mint_pass(repo, staff.login, (room.host,), (room.number,), True, PASS_S)
    _remember("meeting-started", f"{room.number} {room.title}")
    log.info("meeting %d started by %s", room.number, staff.login)
    return jsonify(
        server=console.settings.gate_url,
        token=token,
        room=room.number,
        title=room.title,
        display=room.host,
        names=room.centres,
        expires=(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=PASS_S)).isoformat(),
    )


@blueprint.post("/<int:number>/record")
@role_required(Role.HOST)
def record(number: int) -> ResponseReturnValue:
    """The page tells what the host did in the room: ``ended``, or ``muted`` and
    ``unmuted`` a centre (by its call name)."""
    room = _room(number)
    body = request.get_json(silent=True)
    what = body.get("what") if isinstance(body, dict) else None
    centre = body.get("centre") if isinstance(body, dict) else None
    if what == "ended":
        _remember("meeting-ended", f"{room.number} {room.title}")
    elif what in ("muted", "unmuted") and isinstance(centre, str) and centre in room.centres:
        name = room.centres[centre]
        _remember(f"meeting-{what}", f"{room.number} {name} ({centre})")
    else:
        return jsonify(error="알 수 없는 기록입니다 (unknown record)."), 400
    return jsonify(ok=True)


@blueprint.get("/lib/<name>")
@role_required(Role.HOST)
def library(name: str) -> ResponseReturnValue:
    return debian_script(name)
