"""영상 회의's floor (issue 17): in a town meeting (a room with ``floor: true``) the
centres watch; a senior presses 말하기 and the box raises the centre's hand; the host
gives the floor to at most :data:`~kiosk_contract.floor.MAX_SPEAKERS` centres and
takes it back.

The host may also look at the audience (모습 보기): up to
:data:`~kiosk_contract.floor.MAX_SHOWN` of the centres present in the meeting (their box
online and in the room, :func:`present`) and not on air go into the floor's ``shown``,
and their boxes send their camera alone, which only the host's page watches
(:func:`showing`; 다음 ▶ the next ones, in the member list's order); 모습 보기 끝
empties it (:func:`not_showing`). A box online but not in the room is never chosen: its
picture would never come. A centre is never in both: given the floor, a shown centre
moves to the speakers (:func:`with_speaker`). Taking the floor back, from one centre or
from all, leaves ``shown`` as it is: what the host looks at is changed only by 모습
보기 and 모습 보기 끝.

Each change is a :class:`~kiosk_contract.floor.Floor` (every speaker and every shown
centre of the room), signed with city hall's alert key and published retained on
``floor/room/<room>`` through city hall's tools listener, to expire after
:data:`~kiosk_contract.floor.FLOOR_HOURS` (MQTT 5's message expiry, as questions). The
broker lets only the room's member centres read it; a box takes only a floor with a
higher sequence number than it had.

Sequence numbers: ``max(last + 1, the clock in milliseconds)``, where *last* is the
highest the console knows for the room: the one it signed last, or the broker's retained
one (the fleet watch subscribes to ``floor/#``, so a console started again reads it
back). The clock keeps them rising when the broker has forgotten the last floor too (it
expired); milliseconds, so that a second press within the same second still counts up
even without it. The choice and the publication are made under one lock
(:data:`_SIGNING`): two hosts pressing at once on two of waitress' threads sign one
after the other, each from the other's result.

A meeting may outlast a floor: while the host's page is open, a floor that names
anyone and has less than :data:`RENEW_S` left is signed again, naming the same centres
(:func:`renew_due`; the page asks, :func:`change_floor` with ``renew``). Closed, the
floor runs out as before: nobody stays on air for ever after the host has gone.

Hands, presence and the current floor are the fleet watch's
(:meth:`~.fleetwatch.FleetWatch.room_floor`); this module holds the rules (who may be
given the floor) and the signing, and is Flask-free: the routes are in :mod:`.meeting`.
"""

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_contract.floor import FLOOR_HOURS, MAX_SHOWN, MAX_SPEAKERS, Floor, sign_floor
from kiosk_provisioning.broker.alertkey import alert_key
from kiosk_provisioning.broker.config import BrokerAddress
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.broker.status import CentreState
from kiosk_provisioning.console.fleetwatch import FleetWatch, RoomFloor
from kiosk_provisioning.identity.directory import FILE as DIRECTORY_FILE
from kiosk_provisioning.identity.directory import identity_folder, load_directory, write_floor
from kiosk_provisioning.problems import ProvisionError

log = logging.getLogger(__name__)

POLL_MS = 1000
"""How often the page asks for the room's hands and floor."""
LIST_PAGE = 50
"""Member centres listed at once (a room may hold every centre of the city)."""
RENEW_S = 3600
"""A floor naming anyone, with less than this left (of its
:data:`~kiosk_contract.floor.FLOOR_HOURS`), is signed again while the host's page is
open: well before it runs out, so that a broker or console away for a while does not
cut a long meeting's speakers off."""

_SIGNING = threading.Lock()
"""Held from reading the room's floor to publishing the next: two hosts pressing at
the same moment would otherwise both start from the same floor, and one's change be
lost. (The console is one process.)"""


class FloorRefusedError(Exception):
    """What the host asked for cannot be done; the message says why (Korean, then
    English in brackets)."""


def next_seq(last: int, now: float) -> int:
    """A sequence number higher than *last* and at least the clock *now* (Unix
    seconds) in milliseconds."""
    return max(last + 1, int(now * 1000))


@dataclass(frozen=True)
class Named:
    """The centres a floor names: on air, and looked at by the host (camera only, no
    sound). Never the same centre in both."""

    speakers: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()


def named(room: RoomFloor) -> Named:
    """Who *room*'s floor names now (nobody once it has expired)."""
    return Named(tuple(room.speakers), tuple(room.shown))


def renew_due(room: RoomFloor, now: float) -> bool:
    """Whether *room* (a town meeting) has a floor that names anyone at *now* and has
    less than :data:`RENEW_S` left: time to sign it again as it is. (Once it has run
    out it names nobody: it is not brought back.)"""
    if not room.floor or room.signed is None or now >= room.signed.expires_at:
        return False
    return bool(room.signed.speakers or room.signed.shown) and (
        room.signed.expires_at - now < RENEW_S
    )


def with_speaker(now: Named, centre: str, members: Mapping[str, str]) -> Named:
    """*now* with *centre* given the floor (last), and no longer only shown;
    unchanged if it has it."""
    if centre not in members:
        raise FloorRefusedError("이 회의방의 경로당이 아닙니다. (not a member of this room)")
    if centre in now.speakers:
        return now
    if len(now.speakers) >= MAX_SPEAKERS:
        raise FloorRefusedError(
            f"발언권은 한 번에 {MAX_SPEAKERS}곳까지만 줄 수 있습니다. 먼저 한 곳의 발언권을 "
            f"거두세요. (at most {MAX_SPEAKERS} centres may speak at once)"
        )
    shown = tuple(c for c in now.shown if c != centre)
    return Named((*now.speakers, centre), shown)


def without_speaker(now: Named, centre: str | None) -> Named:
    """*now* without *centre* on air (``None``: without anyone); the centres shown stay
    shown (a centre taken off the air goes back to watching, not to being shown)."""
    speakers = () if centre is None else tuple(s for s in now.speakers if s != centre)
    return Named(speakers, now.shown)


def present(centres: Iterable[CentreState], number: int) -> set[str]:
    """The centres present in meeting room *number*: their box is online and its last
    status says it is in that room (:attr:`~kiosk_contract.fleet.BoxStatus.room`).
    *centres*: the fleet's rows (:meth:`~.fleetwatch.FleetWatch.centres`)."""
    return {row.centre for row in centres if row.state == "online" and row.room == number}


def audience(members: Mapping[str, str], here: set[str], now: Named) -> list[str]:
    """The member centres (id -> name) the host may look at, in the member list's order
    (by name): present in the meeting (in *here*, :func:`present`) and not on air.
    Looking goes through all of them, :data:`MAX_SHOWN` at a time, whichever page of the
    list the clerk has open (a page of 50 of 496 may hold nobody present)."""
    return [c for c, _ in in_list_order(members) if c in here and c not in now.speakers]


def showing(
    now: Named,
    lookable: list[str],
    after: str | None = None,
    members: Mapping[str, str] | None = None,
) -> Named:
    """*now* with the host looking at the first :data:`MAX_SHOWN` of *lookable*
    (:func:`audience`), instead of whoever was shown; with *after* (one shown until
    now), at those that follow it, from the first again past the last. An *after* no
    longer lookable (it went on air, or left the meeting) keeps its place in the
    member list's order (*members*, id -> name): the next ones are those lookable after
    where it stands there. A centre on air is never shown as well."""
    lookable = [c for c in lookable if c not in now.speakers]
    start = 0
    if after is not None and after in lookable:
        start = lookable.index(after) + 1
    elif after is not None and members is not None and after in members:
        place = {c: i for i, (c, _) in enumerate(in_list_order(members))}
        beyond = place[after]
        start = next(
            (i for i, c in enumerate(lookable) if place.get(c, -1) > beyond), len(lookable)
        )
    if start >= len(lookable):
        start = 0
    chosen = tuple(lookable[start : start + MAX_SHOWN])
    if not chosen:
        raise FloorRefusedError(
            "모습을 볼 수 있는 경로당이 없습니다. 회의에 들어와 있고 발언 중이 아닌 "
            "경로당만 볼 수 있습니다. (no centre present in the meeting and off the air)"
        )
    return Named(now.speakers, chosen)


def not_showing(now: Named) -> Named:
    """*now* with nobody shown (모습 보기 끝)."""
    return Named(now.speakers, ())


def in_list_order(members: Mapping[str, str]) -> list[tuple[str, str]]:
    """*members* (id -> name) as the page lists them: by name."""
    return sorted(members.items(), key=lambda item: (item[1], item[0]))


def member_page(members: Mapping[str, str], page: int) -> tuple[int, int, list[tuple[str, str]]]:
    """Page *page* (from 0, kept within the pages) of *members* (id -> name) as the page
    lists them, by name: the page, the number of pages, its (id, name) pairs."""
    ordered = in_list_order(members)
    pages = max(1, -(-len(ordered) // LIST_PAGE))
    page = min(max(0, page), pages - 1)
    return page, pages, ordered[page * LIST_PAGE : (page + 1) * LIST_PAGE]


@dataclass(frozen=True)
class FloorSender:
    """Signs and publishes a floor: city hall's alert key from *repo*, through the
    tools listener at *broker* with city hall's certificate."""

    repo: Path
    broker: BrokerAddress

    def __call__(self, floor: Floor) -> None:
        envelope = sign_floor(floor, alert_key(self.repo).sign)
        lasts = max(1, floor.expires_at - int(time.time()))
        # The call gate's copy first: a box given the floor is let send as soon as it
        # hears, and one whose floor was taken is cut off even if the broker is away
        # (both what the host asked).
        try:
            write_floor(identity_folder(self.repo), floor)
        except OSError as err:
            why = f"발언권을 기록하지 못했습니다 (could not record the floor): {err}"
            raise FloorRefusedError(why) from None
        try:
            with HallSession.open(self.broker, identity_folder(self.repo), timeout_s=5.0) as hall:
                hall.publish(floor.topic, envelope, retain=True, qos=1, lasts_s=lasts)
        except ProvisionError as err:
            raise FloorRefusedError(f"경로당에 보내지 못했습니다: {err}") from None


def change_floor(
    watch: FleetWatch,
    number: int,
    change: Callable[[RoomFloor], Named],
    send: Callable[[Floor], None],
    now: Callable[[], float] = time.time,
    kept: Callable[[int], Floor | None] = lambda number: None,
    renew: bool = False,
) -> tuple[RoomFloor, Floor | None]:
    """Change the floor of room *number*: *change* makes who it names (on air, shown)
    from the room as it is; if that differs, a new floor is signed and sent with *send*
    and the watch told. Returns the room as it was and the floor sent (``None``: nothing
    changed). :class:`FloorRefusedError` saying why it cannot be done. *kept* gives the
    floor written last for the call gate: it stands in while the broker's copy has not
    arrived (just after connecting), so a change never starts from an empty floor.
    With *renew*, the same names are signed again too if :func:`renew_due`."""
    with _SIGNING:
        room = watch.room_floor(number, now())
        if room is not None and room.signed is None and (last := kept(number)) is not None:
            room = dataclasses.replace(room, signed=last)
        if room is None:
            raise FloorRefusedError("그런 회의방이 없습니다. (no such room)")
        if not room.floor:
            raise FloorRefusedError(
                "이 회의방은 발언권 없이 모두 말하는 방입니다. (not a town meeting room)"
            )
        if not watch.connected:
            # The floor the broker keeps is not known yet: a change now could drop a speaker.
            raise FloorRefusedError(
                "경로당과 이어지는 통로(브로커)에 연결되어 있지 않습니다. 잠시 뒤 다시 누르세요. "
                "(not connected to the broker)"
            )
        names = change(room)
        at = now()
        if names == named(room) and not (renew and renew_due(room, at)):
            return room, None
        issued = int(at)
        floor = Floor(
            room=number,
            seq=next_seq(room.signed.seq if room.signed is not None else 0, at),
            speakers=list(names.speakers),
            shown=list(names.shown),
            issued_at=issued,
            expires_at=issued + FLOOR_HOURS * 3600,
        )
        send(floor)
        watch.took_floor(floor)
    on_air = ", ".join(floor.speakers) or "the host only"
    log.info(
        "floor of room %d (#%d): %s; shown: %s",
        number, floor.seq, on_air, ", ".join(floor.shown) or "nobody",
    )  # fmt: skip
    return room, floor


class CallNames:
    """Each centre's call name (centre id -> the display the call gate forces on its
    box), from the gate's directory in *folder* (``build`` writes it): the host's page
    matches the shown centres' feeds by it. The page asks every :data:`POLL_MS`; the
    directory (every centre of the city) is read again only when its file changed. Any
    thread (waitress' threads share one)."""

    def __init__(self, folder: Path) -> None:
        self._path = folder / DIRECTORY_FILE
        self._lock = threading.Lock()
        self._read: tuple[int, int, int] | None = None
        """The file's (mtime in ns, size, inode) when :attr:`_names` was read from it."""
        self._names: dict[str, str] = {}
        self.reads = 0
        """How many times the file was read (the tests count them)."""

    def __call__(self) -> dict[str, str]:
        """The call names now (empty before the first build). A copy."""
        try:
            found = self._path.stat()
        except FileNotFoundError:
            return {}
        stamp = (found.st_mtime_ns, found.st_size, found.st_ino)
        with self._lock:
            if stamp != self._read:
                directory = load_directory(self._path.parent)
                self._names = {c: e.call_name for c, e in directory.centres.items()}
                self._read = stamp
                self.reads += 1
            return dict(self._names)


def floor_state(
    room: RoomFloor,
    centres: list[CentreState],
    page: int,
    call_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the page shows of *room*: every member's presence (one page of
    :data:`LIST_PAGE`, by name; *page* from 0), the hands up in order, the speakers,
    the centres shown with their call names (*call_names*: centre id -> the call name
    the gate makes its box's display, from the directory, :class:`CallNames`; the id
    if not in it; the page matches their feeds by it), and how many members the host
    may look at. Each centre is ``online`` (its box is) and ``present`` (in this
    meeting, :func:`present`); ``present`` counts the latter.
    *centres*: the fleet's rows (:meth:`~.fleetwatch.FleetWatch.centres`)."""
    online = {row.centre for row in centres if row.state == "online"}
    here = present(centres, room.number)
    page, pages, listed = member_page(room.members, page)
    now = named(room)
    raised = {hand.centre for hand in room.hands}
    lookable = audience(room.members, here, now)
    calls = call_names or {}
    return {
        "room": room.number,
        "title": room.title,
        "floor": room.floor,
        "members": len(room.members),
        "present": sum(1 for centre in room.members if centre in here),
        "max_speakers": MAX_SPEAKERS,
        "max_shown": MAX_SHOWN,
        "seq": room.signed.seq if room.signed is not None else 0,
        "renew": renew_due(room, room.now),
        "hands": [
            {
                "id": h.centre,
                "name": h.name,
                "at": h.at,
                "online": h.centre in online,
                "present": h.centre in here,
            }
            for h in room.hands
        ],
        "speakers": [
            {
                "id": c,
                "name": room.members.get(c, c),
                "online": c in online,
                "present": c in here,
            }
            for c in now.speakers
        ],
        "shown": [
            {
                "id": c,
                "name": room.members.get(c, c),
                "online": c in online,
                "present": c in here,
                "call": calls.get(c, c),
            }
            for c in now.shown
        ],
        "page": page,
        "pages": pages,
        "lookable": len(lookable),
        "centres": [
            {
                "id": centre,
                "name": name,
                "online": centre in online,
                "present": centre in here,
                "hand": centre in raised,
                "speaking": centre in now.speakers,
                "shown": centre in now.shown,
            }
            for centre, name in listed
        ],
    }
