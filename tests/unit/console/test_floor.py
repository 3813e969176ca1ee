"""The console's side of a town meeting's floor (issue 17).

The rules first, on their own (sequence numbers, who may be given the floor, which
centres the host looks at: present in the meeting, a dozen at a time, the page's member
list); the page's call names come from the gate's directory, read again only when it
changes. Then on a real mosquitto with the console's real fleet watch and city hall's
real signing: hands are kept per room (the latest of each member, in the order they
went up; junk and strangers refused with one line), and floors (speakers and centres
shown) are signed, written for the gate, published retained, read back by a console
started again, and counted on from there.
"""

import base64
import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from kiosk_contract.config import KioskConfig
from kiosk_contract.floor import (
    FLOOR_HOURS,
    MAX_SHOWN,
    MAX_SPEAKERS,
    Floor,
    Hand,
    floor_topic,
    hand_topic,
    open_floor,
)
from kiosk_provisioning.broker.alertkey import alert_public_key
from kiosk_provisioning.broker.centres import built_configs
from kiosk_provisioning.broker.config import parse_url, rooms_of, write_acl
from kiosk_provisioning.broker.status import CentreState
from kiosk_provisioning.build import build
from kiosk_provisioning.console.fleetwatch import FleetWatch, RoomFloor
from kiosk_provisioning.console.floor import (
    LIST_PAGE,
    RENEW_S,
    CallNames,
    FloorRefusedError,
    FloorSender,
    Named,
    audience,
    change_floor,
    floor_state,
    named,
    next_seq,
    not_showing,
    present,
    renew_due,
    showing,
    with_speaker,
    without_speaker,
)
from kiosk_provisioning.identity.directory import read_floor, write_directory
from tests.broker import Broker, Peer
from tests.calls.identities import CityHallIdentity
from tests.console.fleet_city import Centre, build_city
from tests.unit.console.test_fleetwatch import until

CENTRES = [Centre(f"c-{i}", f"{name}경로당", "운봉읍") for i, name in enumerate("가나다라마바", 1)]
OUTSIDER = "c-9"
"""Enrolled (a certificate from the fleet CA) but in no room of the build."""
ROOM = 1001
MEMBERS = {c.id: c.name for c in CENTRES}


# --- the rules --------------------------------------------------------------------------


def test_sequence_numbers_always_rise() -> None:
    now = time.time()
    assert next_seq(0, now) == int(now * 1000)
    assert next_seq(int(now * 1000), now) == int(now * 1000) + 1, "the same millisecond"
    # A clock set back (or a database made again) never takes a number below the last.
    later = int(now * 1000) + 10**9
    assert next_seq(later, now) == later + 1
    numbers = [next_seq(0, now)]
    for _ in range(5):
        numbers.append(next_seq(numbers[-1], now))
    assert numbers == sorted(set(numbers))


def test_who_may_be_given_the_floor() -> None:
    def on_air(*speakers: str) -> Named:
        return Named(speakers=speakers)

    assert with_speaker(on_air(), "c-1", MEMBERS) == on_air("c-1")
    assert with_speaker(on_air("c-1"), "c-1", MEMBERS) == on_air("c-1"), "given twice: once"
    with pytest.raises(FloorRefusedError, match="이 회의방의 경로당이 아닙니다"):
        with_speaker(on_air(), OUTSIDER, MEMBERS)
    full = on_air(*(c.id for c in CENTRES[:MAX_SPEAKERS]))
    with pytest.raises(FloorRefusedError, match=f"{MAX_SPEAKERS}곳까지만") as refused:
        with_speaker(full, CENTRES[MAX_SPEAKERS].id, MEMBERS)
    assert f"at most {MAX_SPEAKERS} centres" in str(refused.value)
    assert with_speaker(full, full.speakers[0], MEMBERS) == full, "already speaking: no refusal"
    assert without_speaker(full, "c-2") == on_air(*(c for c in full.speakers if c != "c-2"))
    assert without_speaker(full, OUTSIDER) == full
    assert without_speaker(full, None) == on_air()


def test_a_shown_centre_given_the_floor_is_no_longer_only_shown() -> None:
    looked = Named(speakers=("c-1",), shown=("c-2", "c-3"))
    assert with_speaker(looked, "c-3", MEMBERS) == Named(("c-1", "c-3"), ("c-2",))
    # Taken back, it watches again (not shown again); the others stay shown, and so
    # they do when the floor is taken from everyone.
    back = without_speaker(Named(("c-1", "c-3"), ("c-2",)), "c-3")
    assert back == Named(("c-1",), ("c-2",))
    assert without_speaker(looked, None) == Named((), ("c-2", "c-3"))
    # Refused (the speakers full): nobody moves.
    full = Named(tuple(c.id for c in CENTRES[:MAX_SPEAKERS]), ("c-5",))
    with pytest.raises(FloorRefusedError):
        with_speaker(full, "c-5", MEMBERS)


def test_the_host_looks_at_the_present_centres_off_the_air_a_dozen_at_a_time() -> None:
    # Named so that the list's order (by name) is not the ids' order.
    members = {f"m-{i:02d}": f"경로당 {49 - i:02d}" for i in range(50)}
    online = {f"m-{i:02d}" for i in range(50) if i % 5}  # 40 present
    now = Named(speakers=("m-00", "m-03"), shown=("m-20", "m-21"))
    lookable = audience(members, online, now)
    # Present, not on air (m-03 speaks; m-00 is away anyway), in the list's order
    # (by name: the last id first).
    assert lookable == [f"m-{i:02d}" for i in range(50) if i % 5 and i != 3][::-1]
    assert len(lookable) == 39
    first = showing(now, lookable)
    assert first == Named(("m-00", "m-03"), tuple(lookable[:MAX_SHOWN])), "instead of m-20"
    # The next ones of the page, a dozen at a time, then from the first again.
    at, seen = first, list(first.shown)
    while len(seen) < len(lookable):
        at = showing(at, lookable, after=at.shown[-1])
        assert at.speakers == now.speakers
        seen += at.shown
    assert seen == lookable and len(at.shown) == 39 - 3 * MAX_SHOWN
    assert showing(at, lookable, after=at.shown[-1]) == first
    # One that is not a member (nor lookable): from the first.
    assert showing(first, lookable, after="m-99", members=members) == first
    assert showing(now, lookable[:3]).shown == tuple(lookable[:3]), "fewer than a dozen"
    assert showing(now, ["m-03", "m-01"]).shown == ("m-01",), "on air: never shown too"
    with pytest.raises(FloorRefusedError, match="모습을 볼 수 있는 경로당이 없습니다"):
        showing(now, audience(members, {"m-03"}, now))  # only a speaker present
    assert not_showing(first) == Named(("m-00", "m-03"), ())


def row(centre: str, state: str = "online", room: int = ROOM) -> CentreState:
    """A fleet row: *centre*'s box *state*, its status saying it is in *room*."""
    return CentreState("운봉읍", centre, "", state, None, room=room)


def test_present_means_online_and_in_this_meetings_room() -> None:
    rows = [
        row("c-1"),
        row("c-2", room=0),  # on, on the home screen
        row("c-3", room=7),  # on, in another room
        row("c-4", state="offline"),  # its last status said the room (a row says 0 anyway)
        row("c-5", state="never connected", room=0),
    ]
    assert present(rows, ROOM) == {"c-1"}
    assert present(rows, 7) == {"c-3"}
    now = Named()
    # Online but not in the room: never lookable, however many of them there are.
    assert audience(MEMBERS, present(rows, ROOM), now) == ["c-1"]
    with pytest.raises(FloorRefusedError, match="모습을 볼 수 있는 경로당이 없습니다"):
        showing(now, audience(MEMBERS, present(rows[1:], ROOM), now))  # c-1 gone


def test_the_next_ones_follow_where_the_last_shown_stood_if_no_longer_lookable() -> None:
    members = {f"m-{i:02d}": f"경로당 {i:02d}" for i in range(30)}  # by name: the ids' order
    here = set(members)
    first = showing(Named(), audience(members, here, Named()), members=members)
    assert first.shown == tuple(f"m-{i:02d}" for i in range(12))
    # The last one shown left the meeting: the next ones are those after where it stood,
    # not the first dozen again.
    here -= {"m-11"}
    lookable = audience(members, here, first)
    after_gone = showing(first, lookable, after="m-11", members=members)
    assert after_gone.shown == tuple(f"m-{i:02d}" for i in range(12, 24))
    # The last one shown went on air meanwhile: likewise.
    on_air = Named(("m-23",), after_gone.shown)
    lookable = audience(members, here, on_air)
    after_speaking = showing(on_air, lookable, after="m-23", members=members)
    assert after_speaking == Named(("m-23",), tuple(f"m-{i:02d}" for i in range(24, 30)))
    # Nobody lookable after it: from the first again.
    here -= {"m-29"}
    lookable = audience(members, here, on_air)
    assert showing(on_air, lookable, after="m-29", members=members).shown == tuple(
        f"m-{i:02d}" for i in [*range(11), 12]
    )
    # Without the member list, a centre no longer lookable starts from the first.
    assert showing(on_air, lookable, after="m-11").shown[0] == "m-00"


def test_the_page_gets_one_page_of_members_with_their_presence(
    demo_config: KioskConfig, tmp_path: Path
) -> None:
    members = {f"m-{i:03d}": f"경로당 {i:03d}" for i in range(120)}
    now = time.time()
    signed = Floor(
        room=ROOM,
        seq=7,
        speakers=["m-003"],
        shown=["m-005", "m-070", "m-073"],
        issued_at=int(now),
        expires_at=int(now) + 60,
    )
    room = RoomFloor(ROOM, "군민 회의", True, members, [], signed, now)
    assert named(room) == Named(("m-003",), ("m-005", "m-070", "m-073"))
    # Every odd one's box is online; of those, one in three (5, 11, ...) is not in the
    # meeting (on its home screen): 40 present.
    rows = [
        row(f"m-{i:03d}", "online" if i % 2 else "offline", ROOM if i % 6 != 5 else 0)
        for i in range(120)
    ]
    # The call names the gate forces, from its directory as the build writes it (not
    # the ids: the page would match no feed by an id).
    folder = tmp_path / "identity"
    write_directory(folder, [centre_calls(demo_config, c, n) for c, n in CALLS.items()])
    first = floor_state(room, rows, 0, CallNames(folder)())
    assert (first["members"], first["present"], first["pages"]) == (120, 40, 3)
    assert len(first["centres"]) == LIST_PAGE
    assert first["centres"][3] == {
        "id": "m-003",
        "name": "경로당 003",
        "online": True,
        "present": True,
        "hand": False,
        "speaking": True,
        "shown": False,
    }
    assert (first["centres"][5]["online"], first["centres"][5]["present"]) == (True, False)
    assert first["centres"][5]["shown"] is True
    # The centres shown, with the call names their feeds carry (the id if unknown).
    assert first["shown"] == [
        {"id": "m-005", "name": "경로당 005", "online": True, "present": False, "call": "hall-5"},
        {"id": "m-070", "name": "경로당 070", "online": False, "present": False, "call": "산내"},
        {"id": "m-073", "name": "경로당 073", "online": True, "present": True, "call": "m-073"},
    ]
    # Whatever page is listed: 40 present in the meeting, 1 of them on air.
    assert (first["max_shown"], first["lookable"]) == (MAX_SHOWN, 39)
    last = floor_state(room, rows, 99)  # past the end: the last page
    assert last["page"] == 2 and len(last["centres"]) == 20 and last["lookable"] == 39
    assert last["speakers"] == [
        {"id": "m-003", "name": "경로당 003", "online": True, "present": True}
    ]
    # An expired floor puts nobody on air, and shows nobody.
    gone = RoomFloor(ROOM, "군민 회의", True, members, [], signed, now + 61)
    assert floor_state(gone, rows, 0)["speakers"] == []
    assert floor_state(gone, rows, 0)["shown"] == []
    assert floor_state(gone, rows, 0)["lookable"] == 40  # nobody on air: every present one


CALLS = {"m-005": "hall-5", "m-070": "산내"}
"""Centres whose call names are not their ids."""


def centre_calls(config: KioskConfig, centre: str, call_name: str) -> KioskConfig:
    """*config* as *centre*'s, with *call_name*."""
    replace = msgspec.structs.replace
    return replace(
        config,
        centre=replace(config.centre, id=centre),
        calls=replace(config.calls, call_name=call_name),
    )


def test_the_call_names_are_read_again_only_when_the_directory_changes(
    demo_config: KioskConfig, tmp_path: Path
) -> None:
    folder = tmp_path / "identity"
    names = CallNames(folder)
    assert names() == {}, "before the first build"
    write_directory(folder, [centre_calls(demo_config, c, n) for c, n in CALLS.items()])
    assert names() == CALLS
    for _ in range(5):  # the page asks every second
        assert names() == CALLS
    assert names.reads == 1
    renamed = {**CALLS, "m-005": "hall-five"}
    write_directory(folder, [centre_calls(demo_config, c, n) for c, n in renamed.items()])
    assert names() == renamed and names.reads == 2
    names()["m-005"] = "changed by a caller"
    assert names()["m-005"] == "hall-five", "each caller gets its own copy"


# --- on a real broker -------------------------------------------------------------------


class Meeting:
    """A built city whose six centres are in the town meeting (room 1001, ``floor``),
    its broker, and the console's fleet watch on it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.repo = build_city(tmp_path, CENTRES)
        fleet = tmp_path / "fleet" / "fleet.json"
        document = json.loads(fleet.read_text())
        document["calls"]["rooms"] = [
            {"id": "meeting", "number": ROOM, "title": "군민 회의", "floor": True},
            {"id": "class", "number": 7, "title": "노래교실"},
        ]
        fleet.write_text(json.dumps(document, ensure_ascii=False))
        build(self.repo, tmp_path / "fleet", tmp_path / "centres.csv")
        enrolled = {c: () for c in [*MEMBERS, OUTSIDER]}
        self.identity = CityHallIdentity(self.repo, enrolled)
        self.broker = Broker(tmp_path / "broker", self.identity, {})
        # The access list as the build writes it: the members read the room's floor.
        districts = {c.id: c.district for c in CENTRES}
        write_acl(self.broker.files.acl, districts, rooms_of(built_configs(self.repo)))
        self.tools = parse_url(self.broker.tools_url)
        self.watch = self.watching()

    def watching(self) -> FleetWatch:
        return FleetWatch(self.repo, self.tools, retry_s=(0.05, 0.3), build_check_s=0.05)

    def box(self, centre: str) -> Peer:
        folder = self.tmp_path / "boxes" / centre
        return self.broker.box(self.identity.enrol(centre, folder)).connect()

    def room(self, watch: FleetWatch | None = None) -> RoomFloor:
        found = (watch or self.watch).room_floor(ROOM)
        assert found is not None
        return found

    def hands(self, watch: FleetWatch | None = None) -> list[str] | None:
        """The centres with a hand up, in order (``None``: the build not read yet)."""
        found = (watch or self.watch).room_floor(ROOM)
        return None if found is None else [hand.centre for hand in found.hands]

    def speakers(self, watch: FleetWatch) -> list[str] | None:
        found = watch.room_floor(ROOM)
        return None if found is None else found.speakers


@pytest.fixture
def meeting(tmp_path: Path) -> Iterator[Meeting]:
    made = Meeting(tmp_path)
    with made.broker:
        made.watch.start()
        try:
            until(lambda: made.watch.connected, "connected")
            yield made
        finally:
            made.watch.close()


def hand(room: int, raised: bool, n: int, at: int) -> bytes:
    return msgspec.json.encode(Hand(room=room, raised=raised, n=n, at=at))


@pytest.mark.allow_warnings
def test_hands_are_kept_per_room_in_the_order_they_went_up(
    meeting: Meeting, caplog: pytest.LogCaptureFixture
) -> None:
    room = meeting.room()
    assert room.floor and room.title == "군민 회의" and room.members == MEMBERS
    other = meeting.watch.room_floor(7)
    assert other is not None and not other.floor
    assert meeting.watch.room_floor(404) is None
    at = int(time.time())
    with meeting.box("c-1") as one, meeting.box("c-2") as two, meeting.box("c-3") as three:
        two.publish(hand_topic("c-2", ROOM), hand(ROOM, True, 1, at + 5), retain=True)
        one.publish(hand_topic("c-1", ROOM), hand(ROOM, True, 1, at + 5), retain=True)
        three.publish(hand_topic("c-3", ROOM), hand(ROOM, True, 4, at), retain=True)
        # The box's time first (c-3's is earliest), then the order they arrived.
        until(lambda: meeting.hands() == ["c-3", "c-2", "c-1"], "three hands up")
        # The broker's copy of an older hand changes nothing; a later one does.
        three.publish(hand_topic("c-3", ROOM), hand(ROOM, False, 3, at), retain=True)
        three.publish(hand_topic("c-3", ROOM), hand(ROOM, False, 5, at + 9), retain=True)
        until(lambda: meeting.hands() == ["c-2", "c-1"], "c-3's hand down")
        # Up again: last in the line.
        three.publish(hand_topic("c-3", ROOM), hand(ROOM, True, 6, at + 9), retain=True)
        until(lambda: meeting.hands() == ["c-2", "c-1", "c-3"], "c-3's hand up again")
        # Taken off the broker (empty, retained): forgotten.
        one.publish(hand_topic("c-1", ROOM), b"", retain=True)
        until(lambda: meeting.hands() == ["c-2", "c-3"], "c-1's hand gone")

        caplog.clear()
        two.publish(hand_topic("c-2", ROOM), b"{not a hand", retain=True)
        two.publish(hand_topic("c-2", ROOM), hand(7, True, 9, at), retain=True)  # room 7's
        two.publish(hand_topic("c-2", 7), hand(7, True, 10, at), retain=True)  # not a floor room
        # The broker now keeps the junk for c-2: its box says its hand again (still the
        # same hand up: it keeps its place in the line).
        two.publish(hand_topic("c-2", ROOM), hand(ROOM, True, 11, at + 5), retain=True)
        with meeting.box(OUTSIDER) as outsider:
            outsider.publish(hand_topic(OUTSIDER, ROOM), hand(ROOM, True, 1, at), retain=True)
        # The same box's next message comes after its junk: once it is in, all were read.
        four = meeting.box("c-4")
        with four:
            four.publish(hand_topic("c-4", ROOM), hand(ROOM, True, 1, at + 20), retain=True)
            until(lambda: meeting.hands() == ["c-2", "c-3", "c-4"], "c-4's hand up")
        # A box says its hand again at every connection, with a new n and the time
        # now: still the same hand up, first in the line. (Its hand in room 7 going
        # down after it shows that the watch has read it.)
        two.publish(hand_topic("c-2", ROOM), hand(ROOM, True, 12, at + 100), retain=True)
        two.publish(hand_topic("c-2", 7), hand(7, False, 13, at + 100), retain=True)
        until(lambda: (meeting.watch.room_floor(7) or other).hands == [], "room 7's hand down")
        assert meeting.hands() == ["c-2", "c-3", "c-4"]
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 3, loud
    assert "unreadable hand" in loud[0] and "unreadable hand" in loud[1]
    assert "c-9 is not in room 1001" in loud[2]
    # A console started again gets the hands back from the broker (retained), by the
    # times in them: c-2's copy says a later time than when it went up.
    again = meeting.watching()
    again.start()
    try:
        until(lambda: meeting.hands(again) == ["c-3", "c-4", "c-2"], "the hands read back")
    finally:
        again.close()


def test_the_floor_is_signed_published_and_counted_on_after_a_restart(
    meeting: Meeting,
) -> None:
    sender = FloorSender(meeting.repo, meeting.tools)
    key = alert_public_key(meeting.repo)
    at = int(time.time())
    with meeting.box("c-1") as one, meeting.box("c-2") as two:
        one.publish(hand_topic("c-1", ROOM), hand(ROOM, True, 1, at), retain=True)
        two.publish(hand_topic("c-2", ROOM), hand(ROOM, True, 1, at + 1), retain=True)
        until(lambda: meeting.hands() == ["c-1", "c-2"], "two hands up")
        two.subscribe(floor_topic(ROOM))

        def give(centre: str) -> Floor | None:
            return change_floor(
                meeting.watch,
                ROOM,
                lambda room: with_speaker(named(room), centre, room.members),
                sender,
            )[1]

        first = give("c-1")
        assert first is not None and first.speakers == ["c-1"]
        assert first.expires_at - first.issued_at == FLOOR_HOURS * 3600
        message = two.next()
        assert message.retain is False and message.topic == floor_topic(ROOM)
        keys = [base64.b64decode(key)]
        assert open_floor(message.payload, keys, time.time()) == first
        # The console knows at once (before the broker's copy): c-1 moves to the speakers.
        assert meeting.room().speakers == ["c-1"] and meeting.hands() == ["c-2"]
        assert give("c-1") is None, "given twice: nothing sent"
        second = give("c-2")
        assert second is not None and second.seq > first.seq
        assert second.speakers == ["c-1", "c-2"]
        for centre in ("c-3", "c-4"):
            assert give(centre) is not None
        with pytest.raises(FloorRefusedError, match="4곳까지만"):
            give("c-5")
        with pytest.raises(FloorRefusedError, match="이 회의방의 경로당이 아닙니다"):
            give(OUTSIDER)
        taken = change_floor(
            meeting.watch, ROOM, lambda room: without_speaker(named(room), "c-1"), sender
        )[1]
        assert taken is not None and taken.speakers == ["c-2", "c-3", "c-4"]
        # c-1's hand was answered: taken back (its box away, the hand still up on the
        # broker), it is not listed again; raised anew (down, then up), it is.
        assert meeting.hands() == []
        one.publish(hand_topic("c-1", ROOM), hand(ROOM, False, 2, at + 30), retain=True)
        one.publish(hand_topic("c-1", ROOM), hand(ROOM, True, 3, at + 31), retain=True)
        until(lambda: meeting.hands() == ["c-1"], "c-1's new hand")

    # The console started again, its clock set back an hour: it reads the floor the
    # broker kept, and its next floor still counts on from it.
    meeting.watch.close()
    again = meeting.watching()
    again.start()
    try:
        until(lambda: again.connected, "connected again")
        until(lambda: meeting.speakers(again) == ["c-2", "c-3", "c-4"], "the floor read back")
        room, everyone = change_floor(
            again, ROOM, lambda room: without_speaker(named(room), None), sender,
            now=lambda: time.time() - 3600,
        )  # fmt: skip
        assert everyone is not None and everyone.seq == taken.seq + 1
        assert everyone.speakers == []
        assert room.speakers == ["c-2", "c-3", "c-4"]
    finally:
        again.close()


def test_a_floor_is_renewed_only_when_it_names_someone_and_runs_out_within_the_hour(
    meeting: Meeting,
) -> None:
    """The page asks for a renewal at every poll that says ``renew``: the console signs
    the same names again, for the full hours, only when due; not a floor naming
    nobody, not one with more than :data:`RENEW_S` left, not one already run out."""
    sender = FloorSender(meeting.repo, meeting.tools)
    keys = [base64.b64decode(alert_public_key(meeting.repo))]
    lasts = FLOOR_HOURS * 3600
    # Signed nearly the full hours ago: every floor below is signed at a time already
    # past (a box, and the console reading the broker back, refuse one from the future).
    start = int(time.time()) - lasts + 30

    def renew(at: float) -> Floor | None:
        return change_floor(meeting.watch, ROOM, named, sender, now=lambda: at, renew=True)[1]

    with meeting.box("c-2") as two:
        two.subscribe(floor_topic(ROOM))
        assert renew(start) is None, "no floor at all"
        given = change_floor(
            meeting.watch, ROOM, lambda room: Named(("c-1",), ("c-2",)), sender,
            now=lambda: start,
        )[1]  # fmt: skip
        assert given is not None and open_floor(two.next().payload, keys, start) == given
        room = meeting.room()
        assert not renew_due(room, start + lasts - RENEW_S - 1)
        assert renew(start + lasts - RENEW_S - 1) is None, "more than an hour left"
        assert renew_due(room, start + lasts - RENEW_S + 1)
        everyone_speaks = dataclasses.replace(room, floor=False)  # not a town meeting
        assert not renew_due(everyone_speaks, start + lasts - RENEW_S + 1)
        # What the page is told at each poll.
        assert floor_state(dataclasses.replace(room, now=start), [], 0)["renew"] is False
        assert floor_state(dataclasses.replace(room, now=start + lasts - 60), [], 0)["renew"]

        at = start + lasts - 60  # a minute left
        renewed = renew(at)
        assert renewed is not None and renewed.seq > given.seq
        assert (renewed.speakers, renewed.shown) == (["c-1"], ["c-2"])
        assert (renewed.issued_at, renewed.expires_at) == (int(at), int(at) + lasts)
        assert open_floor(two.next().payload, keys, at) == renewed
        assert read_floor(meeting.identity.folder, ROOM) == renewed, "the gate's copy"
        assert renew(at + 1) is None, "renewed: not again"

        # Run out (nobody named any more): not brought back.
        assert not renew_due(meeting.room(), renewed.expires_at)
        assert renew(renewed.expires_at) is None
        # Naming nobody: nothing to keep.
        nobody = change_floor(
            meeting.watch, ROOM, lambda room: Named(), sender, now=lambda: at + 2
        )[1]
        assert nobody is not None and open_floor(two.next().payload, keys, at + 2) == nobody
        assert not renew_due(meeting.room(), nobody.expires_at - 60)
        assert renew(nobody.expires_at - 60) is None


def test_no_floor_in_a_room_where_everyone_speaks(meeting: Meeting) -> None:
    sender = FloorSender(meeting.repo, meeting.tools)
    with pytest.raises(FloorRefusedError, match="모두 말하는 방"):
        change_floor(meeting.watch, 7, lambda room: Named(("c-1",)), sender)
    with pytest.raises(FloorRefusedError, match="그런 회의방이 없습니다"):
        change_floor(meeting.watch, 404, lambda room: Named(("c-1",)), sender)


def test_a_change_before_the_brokers_copy_arrives_starts_from_the_gates_copy(
    meeting: Meeting,
) -> None:
    """Just after connecting the console may not have the broker's floor yet: the floor
    written last for the call gate stands in, so a press never drops a speaker."""
    sender = FloorSender(meeting.repo, meeting.tools)
    at = int(time.time())
    written = Floor(room=ROOM, seq=5, speakers=["c-3"], issued_at=at, expires_at=at + 600)
    until(lambda: meeting.watch.connected, "connected")
    assert meeting.room().signed is None  # nothing on the broker for this room
    _, given = change_floor(
        meeting.watch,
        ROOM,
        lambda room: with_speaker(named(room), "c-1", room.members),
        sender,
        kept=lambda number: written if number == ROOM else None,
    )
    assert given is not None and given.speakers == ["c-3", "c-1"] and given.seq > written.seq


def test_the_centres_shown_are_signed_written_for_the_gate_and_read_back(
    meeting: Meeting,
) -> None:
    """모습 보기 is a floor like any other: signed, the gate's copy written, published
    retained; a shown centre given the floor moves to the speakers; a console started
    again reads who is shown from the broker."""
    sender = FloorSender(meeting.repo, meeting.tools)
    keys = [base64.b64decode(alert_public_key(meeting.repo))]
    with meeting.box("c-4") as four:
        four.subscribe(floor_topic(ROOM))
        lookable = ["c-2", "c-4", "c-5"]
        _, shown = change_floor(
            meeting.watch, ROOM, lambda room: showing(named(room), lookable), sender
        )
        assert shown is not None and shown.shown == lookable and shown.speakers == []
        heard = open_floor(four.next().payload, keys, time.time())
        assert heard == shown
        assert read_floor(meeting.identity.folder, ROOM) == shown, "the gate's copy"
        assert meeting.room().shown == lookable
        _, given = change_floor(
            meeting.watch,
            ROOM,
            lambda room: with_speaker(named(room), "c-4", room.members),
            sender,
        )
        assert given is not None and given.seq > shown.seq
        assert (given.speakers, given.shown) == (["c-4"], ["c-2", "c-5"])
        assert open_floor(four.next().payload, keys, time.time()) == given
        _, everyone = change_floor(
            meeting.watch, ROOM, lambda room: without_speaker(named(room), None), sender
        )
        assert everyone is not None and (everyone.speakers, everyone.shown) == ([], ["c-2", "c-5"])
        assert open_floor(four.next().payload, keys, time.time()) == everyone

    meeting.watch.close()
    again = meeting.watching()
    again.start()
    try:
        until(lambda: again.connected, "connected again")
        until(lambda: meeting.room(again).shown == ["c-2", "c-5"], "the shown read back")
        _, ended = change_floor(again, ROOM, lambda room: not_showing(named(room)), sender)
        assert ended is not None and ended.shown == [] and ended.seq > everyone.seq
        assert read_floor(meeting.identity.folder, ROOM) == ended
        # Nobody shown already: 모습 보기 끝 again changes nothing and sends nothing.
        assert change_floor(again, ROOM, lambda room: not_showing(named(room)), sender)[1] is None
    finally:
        again.close()
