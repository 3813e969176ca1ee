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

Beside the grid, ``static/floor.js`` polls :func:`floor_now` for the room's member
centres (in the meeting or not: each box's fleet status says which room it is in, from
the fleet watch), and in a town meeting (``floor: true``) the hands up and the centres
speaking; 발언권 주기 and 발언권 거두기 are :func:`give_floor` and :func:`take_floor`
(the rules and the signing: :mod:`.floor`). 모습 보기 is :func:`show_audience`: the
centres present in the meeting and not on air (at most
:data:`~kiosk_contract.floor.MAX_SHOWN`) go into the floor's ``shown``, their boxes
send their camera alone, and ``meeting.js`` subscribes to those feeds only (video
only), as small pictures; 모습 보기 끝 is :func:`hide_audience`.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk_contract.floor import MAX_SHOWN, MAX_SPEAKERS, Floor
from kiosk_provisioning.console import floor
from kiosk_provisioning.console.fleetwatch import FleetWatch, RoomFloor
from kiosk_provisioning.console.models import Activity, Role
from kiosk_provisioning.console.passes import mint_pass
from kiosk_provisioning.console.web import (
    current_console,
    debian_script,
    me,
    render,
    role_required,
)
from kiosk_provisioning.identity.directory import identity_folder, read_floor

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
    floor: bool = False
    """A town meeting: centres speak only when given the floor."""


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
            found.floor = found.floor or room.floor
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
        floor_ready=console.fleet is not None,
        floor_poll_ms=floor.POLL_MS,
        max_speakers=MAX_SPEAKERS,
        max_shown=MAX_SHOWN,
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
        floor=room.floor,
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


# --- the floor (issue 17) ------------------------------------------------------------


def _watch() -> FleetWatch:
    watch = current_console().fleet
    if watch is None:
        raise floor.FloorRefusedError(
            "경로당과 이어지는 통로(브로커)가 설정되지 않았습니다. (no broker configured)"
        )
    return watch


def _floor_refused(problem: floor.FloorRefusedError) -> ResponseReturnValue:
    return jsonify(error=str(problem)), 400


@blueprint.get("/<int:number>/floor")
@role_required(Role.HOST)
def floor_now(number: int) -> ResponseReturnValue:
    """The room's members (``?page=``: which :data:`~.floor.LIST_PAGE` of them, from
    0), hands up, speakers and centres shown, as JSON (``{"room": null}``: no such
    room)."""
    try:
        watch = _watch()
    except floor.FloorRefusedError as problem:
        return _floor_refused(problem)
    room = watch.room_floor(number)
    if room is None:  # not in the build (or the watch has not read it yet, just started)
        return jsonify(room=None)
    page = request.args.get("page", default=0, type=int) or 0
    # The gate's directory: the display it forces on each centre's box.
    calls = current_console().call_names() if room.shown else {}
    state = floor.floor_state(room, watch.centres(), page, calls)
    state["connected"] = watch.connected
    return jsonify(state)


def _centre(body: object) -> str:
    centre = body.get("centre") if isinstance(body, dict) else None
    if not isinstance(centre, str) or not centre:
        raise floor.FloorRefusedError("어느 경로당인지 알 수 없습니다. (no centre)")
    return centre


def _names(room: RoomFloor, centres: Iterable[str]) -> str:
    return ", ".join(f"{room.members.get(c, c)} ({c})" for c in centres) or "모두"


def _send_floor(
    number: int,
    what: str,
    change: Callable[[RoomFloor], floor.Named],
    who: Callable[[RoomFloor, Floor], str],
    renew: bool = False,
) -> ResponseReturnValue:
    """Change the floor of room *number* with *change* (:func:`.floor.change_floor`,
    with *renew*), and say in the activity log that the host did *what* (``given``,
    ``taken``, ``shown``, ``hidden``, ``renewed``) to *who* (made from the room and the
    floor sent)."""
    console = current_console()
    try:
        watch = _watch()
        broker = console.settings.broker
        if broker is None:
            raise floor.FloorRefusedError(
                "경로당과 이어지는 통로(브로커)가 설정되지 않았습니다. (no broker configured)"
            )
        send = floor.FloorSender(console.settings.repo, broker)
        folder = identity_folder(console.settings.repo)
        room, sent = floor.change_floor(
            watch, number, change, send, kept=lambda n: read_floor(folder, n), renew=renew
        )
    except floor.FloorRefusedError as problem:
        return _floor_refused(problem)
    if sent is not None:
        _remember(f"meeting-floor-{what}", f"{number} {room.title}: {who(room, sent)}")
    return jsonify(ok=True, seq=sent.seq if sent is not None else None)


@blueprint.post("/<int:number>/floor/give")
@role_required(Role.HOST)
def give_floor(number: int) -> ResponseReturnValue:
    """Give the floor to a member centre (JSON ``{"centre": id}``); one shown goes from
    the shown to the speakers."""
    try:
        centre = _centre(request.get_json(silent=True))
    except floor.FloorRefusedError as problem:
        return _floor_refused(problem)
    return _send_floor(
        number,
        "given",
        lambda room: floor.with_speaker(floor.named(room), centre, room.members),
        lambda room, _: _names(room, [centre]),
    )


@blueprint.post("/<int:number>/floor/take")
@role_required(Role.HOST)
def take_floor(number: int) -> ResponseReturnValue:
    """Take the floor back from a centre (``{"centre": id}``), or from every centre
    (``{"all": true}``); the centres shown stay shown."""
    body = request.get_json(silent=True)
    centre: str | None = None
    if not (isinstance(body, dict) and body.get("all") is True):
        try:
            centre = _centre(body)
        except floor.FloorRefusedError as problem:
            return _floor_refused(problem)
    return _send_floor(
        number,
        "taken",
        lambda room: floor.without_speaker(floor.named(room), centre),
        lambda room, _: _names(room, [] if centre is None else [centre]),
    )


@blueprint.post("/<int:number>/floor/show")
@role_required(Role.HOST)
def show_audience(number: int) -> ResponseReturnValue:
    """모습 보기: look at the first centres present in the meeting (their box online and
    in the room) and not on air, in the member list's order, at most
    :data:`~kiosk_contract.floor.MAX_SHOWN`; with ``{"after": id}`` (the last centre
    shown), at the next ones (from the first again past the last; after where it
    stands in the list if it is no longer lookable)."""
    body = request.get_json(silent=True)
    after = body.get("after") if isinstance(body, dict) else None
    if not (after is None or isinstance(after, str)):
        unknown = floor.FloorRefusedError("어느 경로당 다음인지 알 수 없습니다. (after)")
        return _floor_refused(unknown)
    try:
        centres = _watch().centres()
    except floor.FloorRefusedError as problem:
        return _floor_refused(problem)

    def change(room: RoomFloor) -> floor.Named:
        now = floor.named(room)
        here = floor.present(centres, room.number)
        return floor.showing(now, floor.audience(room.members, here, now), after, room.members)

    return _send_floor(number, "shown", change, lambda room, sent: _names(room, sent.shown))


@blueprint.post("/<int:number>/floor/hide")
@role_required(Role.HOST)
def hide_audience(number: int) -> ResponseReturnValue:
    """모습 보기 끝: nobody shown any more (the speakers stay on air)."""
    return _send_floor(
        number,
        "hidden",
        lambda room: floor.not_showing(floor.named(room)),
        lambda room, _: "모두",
    )


@blueprint.post("/<int:number>/floor/renew")
@role_required(Role.HOST)
def renew_floor(number: int) -> ResponseReturnValue:
    """Sign the floor again as it is, if it is due (:func:`.floor.renew_due`): the
    host's page asks when its poll says ``renew``. Not due: nothing is signed."""
    return _send_floor(
        number,
        "renewed",
        floor.named,
        lambda room, sent: _names(room, [*sent.speakers, *sent.shown]),
        renew=True,
    )


@blueprint.get("/lib/<name>")
@role_required(Role.HOST)
def library(name: str) -> ResponseReturnValue:
    return debian_script(name)
