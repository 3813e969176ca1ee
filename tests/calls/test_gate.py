"""City hall's call gate in front of a real Janus: only known parties get calls.

A stranger (no certificate, no pass, a forged or expired one) gets nothing, at the
gate or at Janus itself; a genuine box uses only its own name and rooms; staff
call a centre under their verified name, and nobody else can take that name; a
revoked box is cut within 10 s. Each refusal here is the gate's (its reason is
checked), so a test fails if the gate's check is taken away."""

import json
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest
import websockets

from kiosk.calls.desk import Phase
from kiosk.calls.group import GroupCall
from kiosk.calls.janus import Handle, JanusError, JanusSession
from kiosk.calls.tracks import ColourTrack, ToneTrack
from kiosk.calls.videoroom import PLUGIN as VIDEOROOM
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.staff import StaffDesk
from kiosk_provisioning.gate import BACKLOG, FLOOR_GRACE_S, sends_sound
from kiosk_provisioning.identity.directory import write_floor
from tests.calls.conftest import (
    CENTRE,
    CENTRE_COLOUR,
    CENTRE_TONE,
    HALL_COLOUR,
    HALL_TONE,
    OTHER,
    OTHER_ROOM,
    RECORDS,
    ROOM,
    CallServer,
    calls_for,
    reach,
    run,
    started,
)
from tests.calls.identities import BoxFiles
from tests.floors import floor_of

CUT_S = 10.0
"""A revoked box or an expired pass is cut within this long (documented)."""


def refusals(server: CallServer) -> list[str]:
    """The gate's log lines saying it refused or cut someone."""
    lines = server.gate.log_path.read_text().splitlines()
    return [line for line in lines if " refused " in line or " cut " in line]


async def as_stranger(server: CallServer, message: dict[str, Any]) -> dict[str, Any]:
    """Send *message* as the first request of a connection without a certificate;
    returns the gate's answer, once the gate has closed the connection too."""
    async with websockets.connect(
        server.url,
        subprotocols=[websockets.Subprotocol("janus-protocol")],
        ssl=server.identity.server_check(),
    ) as socket:
        await socket.send(json.dumps({"transaction": "t1", **message}))
        answer = json.loads(await socket.recv())
        with pytest.raises(websockets.ConnectionClosed):
            await socket.recv()  # nothing more: the gate hung up
    assert isinstance(answer, dict)
    return answer


def test_a_stranger_gets_nothing(janus: CallServer, network: PrivateNetwork) -> None:
    guessed = {"session_id": 1, "handle_id": 2}
    attempts: dict[str, dict[str, Any]] = {
        "a session": {"janus": "create"},
        "a session with a forged pass": {"janus": "create", "token": "eyJhbGciOi.forged.x"},
        "a session with an expired pass": {
            "janus": "create",
            "token": janus.identity.staff_pass(ttl_s=-60),
        },
        "a session with Janus' own token form": {"janus": "create", "token": "1,janus:x"},
        "the VideoCall plugin": {
            "janus": "attach",
            "session_id": 1,
            "plugin": "janus.plugin.videocall",
        },
        "city hall's name": {
            "janus": "message",
            **guessed,
            "body": {"request": "register", "username": "cityhall-welfare"},
        },
        "a centre's name": {
            "janus": "message",
            **guessed,
            "body": {"request": "register", "username": CENTRE},
        },
        "the names online": {"janus": "message", **guessed, "body": {"request": "list"}},
        "a seat in the meeting": {
            "janus": "message",
            **guessed,
            "body": {"request": "join", "room": ROOM, "ptype": "publisher", "display": "x"},
        },
        "a look at the meeting": {
            "janus": "message",
            **guessed,
            "body": {"request": "join", "room": ROOM, "ptype": "subscriber", "streams": []},
        },
        "the meeting destroyed": {
            "janus": "message",
            **guessed,
            "body": {"request": "destroy", "room": ROOM},
        },
        "someone else's session": {"janus": "claim", "session_id": 1},
    }

    async def scenario() -> None:
        for what, message in attempts.items():
            answer = await as_stranger(janus, message)
            assert answer["janus"] == "error", f"{what}: {answer}"
            assert answer["error"]["code"] == 403, f"{what}: {answer}"
        # Past the gate, Janus itself refuses a client without its token: a local
        # process or a proxy that forgot to check gets no session either.
        for token in (None, "4102444800,janus,janus.plugin.videocall:Zm9yZ2Vk"):
            with pytest.raises(JanusError) as refused:
                await JanusSession.open(f"ws://{network.server_address}:8188/", token=token)
            assert refused.value.code == 403, refused.value

    run(scenario())
    assert len(refusals(janus)) == len(attempts), "one log line per refusal"


async def box_handle(server: CallServer, plugin: str, box: BoxFiles | None = None) -> Handle:
    """A handle on *plugin* in a session of *box* (the test centre's) through the gate."""
    session = await server.box_session(box)(server.url, None)
    return await session.attach(plugin)


async def refused(request: Any, because: str) -> None:
    """*request* is refused by the gate, for *because* (words of its reason)."""
    with pytest.raises(JanusError) as error:
        await request
    assert error.value.code == 403 and because in error.value.reason, error.value


def test_a_box_uses_only_its_own_name_and_rooms(janus: CallServer) -> None:
    async def scenario() -> None:
        call = await box_handle(janus, "janus.plugin.videocall")
        for name in (OTHER, "cityhall-welfare", "cityhall-host"):
            await refused(call.send({"request": "register", "username": name}), repr(name))
        await call.send({"request": "register", "username": CENTRE})  # its own: fine
        await refused(call.send({"request": "list"}), "'list'")
        await refused(call.send({"request": "set", "record": True}), "'set'")

        room = await call.session.attach(VIDEOROOM)
        other = {"request": "join", "room": OTHER_ROOM, "ptype": "publisher", "display": CENTRE}
        await refused(room.send(other), f"room {OTHER_ROOM}")
        watch = {"request": "join", "room": OTHER_ROOM, "ptype": "subscriber", "streams": []}
        await refused(room.send(watch), f"room {OTHER_ROOM}")
        for request in (
            {"request": "destroy", "room": ROOM, "secret": "guess"},
            {"request": "create", "room": 4242},
            {"request": "edit", "room": ROOM, "new_is_private": False},
            {"request": "kick", "room": ROOM, "id": 1},
            {"request": "allowed", "room": ROOM, "action": "disable"},
            {"request": "rtp_forward", "room": ROOM, "host": "198.18.0.1"},
            {"request": "list"},
        ):
            await refused(room.send(request), repr(request["request"]))
        # Who is in the room is for its host (test_only_a_host_lists_who_is_in_its_own_rooms).
        await refused(room.send({"request": "listparticipants", "room": ROOM}), "hosting")
        await call.session.close()

    run(scenario())


def test_in_a_room_a_box_is_shown_by_its_own_name(janus: CallServer) -> None:
    """The host (staff allowed to host) sees the box join under its centre's name,
    whatever display it asked for; staff without hosting rights may not publish."""

    async def scenario() -> None:
        opener = janus.staff_session(rooms=(ROOM,), host=True)
        host_session = await opener(janus.url, None)
        host = await host_session.attach(VIDEOROOM)
        await host.send(
            {"request": "join", "room": ROOM, "ptype": "publisher", "display": "cityhall-host"}
        )
        room = await box_handle(janus, VIDEOROOM)
        asked = {"request": "join", "room": ROOM, "ptype": "publisher", "display": "cityhall-host"}
        await room.send(asked)
        while True:
            event = await host.events.get()
            joining = event.data.get("joining")
            if isinstance(joining, dict):
                break
        assert joining["display"] == CENTRE

        guest_session = await janus.staff_session(rooms=(ROOM,), host=False)(janus.url, None)
        guest = await guest_session.attach(VIDEOROOM)
        publish = {"request": "join", "room": ROOM, "ptype": "publisher", "display": "x"}
        await refused(guest.send(publish), "hosting")
        for session in (host_session, room.session, guest_session):
            await session.close()

    run(scenario())


def test_staff_call_a_centre_under_their_verified_name(janus: CallServer) -> None:
    """Staff's pass lets them register city hall's name: the centre rings with city
    hall's label, and auto-answers it within opening hours."""
    calls = calls_for(
        janus, auto_answer=msgspec.structs.replace(calls_for(janus).auto_answer, after_s=1)
    )

    async def scenario() -> None:
        desk = await started(calls)
        staff = await StaffDesk.open(
            janus.url,
            "cityhall-welfare",
            lambda: (ToneTrack(HALL_TONE), ColourTrack(HALL_COLOUR)),
            open_session=janus.staff_session(("cityhall-welfare",)),
        )
        await staff.call(CENTRE)
        ringing = await reach(desk, Phase.RINGING)
        assert ringing.who == "남원시청 복지과"
        await reach(desk, Phase.IN_CALL)  # answered by itself
        await staff.connected()
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        await staff.close()
        await desk.close()

    run(scenario())


def test_nobody_else_gets_auto_answered_as_city_hall(janus: CallServer) -> None:
    """Another centre's box, or staff with a pass for other names, cannot register
    city hall's name; calling under its own, it is declined, never answered."""
    calls = calls_for(
        janus, auto_answer=msgspec.structs.replace(calls_for(janus).auto_answer, after_s=1)
    )

    async def scenario() -> None:
        desk = await started(calls)
        other_box = janus.identity.enrol(OTHER, janus.gate.folder / OTHER)
        intruder = await box_handle(janus, "janus.plugin.videocall", other_box)
        welfare = {"request": "register", "username": "cityhall-welfare"}
        await refused(intruder.send(welfare), "'cityhall-welfare'")
        mayor_session = await janus.staff_session(("cityhall-mayor",))(janus.url, None)
        mayor = await mayor_session.attach("janus.plugin.videocall")
        await refused(mayor.send(welfare), "'cityhall-welfare'")
        await intruder.session.close()
        await mayor_session.close()

        caller = await StaffDesk.open(
            janus.url,
            OTHER,
            lambda: (ToneTrack(HALL_TONE), ColourTrack(HALL_COLOUR)),
            open_session=janus.box_session(other_box),
        )
        await caller.call(CENTRE)
        await caller.next("hangup")  # declined: not a contact
        phases = set(RECORDS[desk].phases())
        assert not phases & {Phase.RINGING, Phase.IN_CALL}, phases
        await caller.close()
        await desk.close()

    run(scenario())


@pytest.mark.allow_warnings  # the session is lost: that is the point
def test_a_revoked_box_is_cut_within_ten_seconds(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        janus.identity.authority.revoke(CENTRE)
        revoked = time.monotonic()
        await reach(desk, Phase.OFFLINE)
        cut = time.monotonic() - revoked
        assert cut < CUT_S, f"cut after {cut:.1f} s"
        await desk.close()
        await refused(janus.box_session()(janus.url, None), "certificate is unknown or revoked")

    run(scenario())
    assert any(f"cut box {CENTRE}" in line for line in refusals(janus))


@pytest.mark.allow_warnings  # the session is lost: that is the point
def test_an_expired_staff_pass_is_cut(janus: CallServer) -> None:
    async def scenario() -> None:
        session = await janus.staff_session(ttl_s=3)(janus.url, None)
        started_at = time.monotonic()
        await session.lost.wait()
        assert time.monotonic() - started_at < 3 + CUT_S

    run(scenario())
    assert any("cut staff" in line for line in refusals(janus))


async def staff_socket(server: CallServer) -> tuple[Any, int]:
    """A staff member's own connection to the gate (a pass, no certificate), with the
    session it created: for sending raw requests that name other ids."""
    socket = await websockets.connect(
        server.url,
        subprotocols=[websockets.Subprotocol("janus-protocol")],
        ssl=server.identity.server_check(),
    )
    token = server.identity.staff_pass()
    await socket.send(json.dumps({"janus": "create", "transaction": "c", "token": token}))
    created = json.loads(await socket.recv())
    return socket, int(created["data"]["id"])


def test_nobody_acts_on_another_partys_session_or_handle(janus: CallServer) -> None:
    """Staff, identified and with a session of their own, name the box's session and
    handle: each request is refused by the gate's ownership check (its reason)."""

    async def scenario() -> None:
        box = await box_handle(janus, "janus.plugin.videocall")
        await box.send({"request": "register", "username": CENTRE})
        socket, own = await staff_socket(janus)
        theirs = box.session.id
        attempts = {
            "their session: attach": {"janus": "attach", "session_id": theirs,
                                      "plugin": "janus.plugin.videocall"},
            "their session: keepalive": {"janus": "keepalive", "session_id": theirs},
            "their session: destroy": {"janus": "destroy", "session_id": theirs},
            "their handle: hangup": {"janus": "message", "session_id": own,
                                     "handle_id": box.id, "body": {"request": "hangup"}},
            "their handle: trickle": {"janus": "trickle", "session_id": own,
                                      "handle_id": box.id, "candidate": {"completed": True}},
            "their handle in their session": {"janus": "detach", "session_id": theirs,
                                              "handle_id": box.id},
        }  # fmt: skip
        try:
            for number, (what, message) in enumerate(attempts.items()):
                await socket.send(json.dumps({**message, "transaction": f"t{number}"}))
                answer = json.loads(await socket.recv())
                assert answer["janus"] == "error", f"{what}: {answer}"
                assert "not its own" in answer["error"]["reason"], f"{what}: {answer}"
        finally:
            await socket.close()
        # The box's session and handle are untouched: still there, still answering.
        assert not box.session.lost.is_set()
        await box.session.request({"janus": "keepalive"}, until_ack=True)
        await box.session.close()

    run(scenario())


@pytest.mark.allow_warnings  # the silent stranger's closing is logged
def test_a_connection_that_never_says_who_it_is_is_closed(janus: CallServer) -> None:
    async def scenario() -> None:
        async with websockets.connect(
            janus.url,
            subprotocols=[websockets.Subprotocol("janus-protocol")],
            ssl=janus.identity.server_check(),
        ) as socket:
            began = time.monotonic()
            await socket.send(json.dumps({"janus": "info", "transaction": "i"}))
            assert json.loads(await socket.recv())["janus"] == "server_info"
            with pytest.raises(websockets.ConnectionClosed):
                await socket.recv()
            assert time.monotonic() - began < CUT_S + 5

    run(scenario())
    assert any(
        "no credential within" in line for line in janus.gate.log_path.read_text().splitlines()
    )


def test_only_a_host_moderates_and_only_in_its_own_rooms(janus: CallServer) -> None:
    """Muting someone in a room (VideoRoom ``moderate``) is for staff whose pass says
    host, in their own rooms; the room's secret is the gate's to add, never the
    client's to send. (That a host's mute really silences a centre is checked with
    the console's meeting page, tests/console/test_meeting.py.)"""

    async def scenario() -> None:
        box = await box_handle(janus, VIDEOROOM)
        mute = {"request": "moderate", "room": ROOM, "id": 1, "mid": "0", "mute": True}
        await refused(box.send(mute), "hosting")
        guest_session = await janus.staff_session(rooms=(ROOM,), host=False)(janus.url, None)
        guest = await guest_session.attach(VIDEOROOM)
        await refused(guest.send(mute), "hosting")
        host_session = await janus.staff_session(rooms=(ROOM,), host=True)(janus.url, None)
        host = await host_session.attach(VIDEOROOM)
        await refused(host.send({**mute, "room": OTHER_ROOM}), f"room {OTHER_ROOM}")
        await refused(host.send({**mute, "secret": "guess"}), "'secret'")
        await refused(host.send({**mute, "mute": "yes"}), "mute true or false")
        for session in (box.session, guest_session, host_session):
            await session.close()

    run(scenario())


def test_only_a_host_lists_who_is_in_its_own_rooms(janus: CallServer) -> None:
    """Who is in a meeting, sending or only watching (VideoRoom ``listparticipants``),
    is for staff whose pass says host, in their own rooms: a centre never learns who
    else is there."""

    async def scenario() -> None:
        box = await box_handle(janus, VIDEOROOM)
        who = {"request": "listparticipants", "room": ROOM}
        await refused(box.send(who), "hosting")
        host_session = await janus.staff_session(rooms=(ROOM,), host=True)(janus.url, None)
        host = await host_session.attach(VIDEOROOM)
        await refused(host.send({**who, "room": OTHER_ROOM}), f"room {OTHER_ROOM}")
        await refused(host.send({**who, "secret": "guess"}), "'secret'")
        reply = await host.send(who)
        assert reply.data["participants"] == []
        for session in (box.session, host_session):
            await session.close()

    run(scenario())


def _town_meeting(janus: CallServer, *speakers: str, shown: tuple[str, ...] = ()) -> None:
    """City hall's folder as the build and the console leave it: ROOM a town meeting
    (a floor), its floor now naming *speakers* (and showing *shown*)."""
    directory = janus.identity.folder / "directory.json"
    document = json.loads(directory.read_text())
    document["rooms"][str(ROOM)]["floor"] = True
    directory.write_text(json.dumps(document))
    floor = floor_of(ROOM, int(time.time()), *speakers, shown=shown)
    write_floor(janus.identity.folder, floor)


@pytest.mark.allow_warnings  # the refusal and the cut are the point
def test_a_box_sends_into_a_town_meeting_only_while_the_floor_names_its_centre(
    janus: CallServer,
) -> None:
    """In a room with a floor, a box's ``publish`` is refused unless city hall's floor
    names its centre; a box that goes on sending after the floor was taken from it
    (one that does not follow city hall) is cut off."""

    async def scenario() -> None:
        _town_meeting(janus)
        session = await janus.box_session()(janus.url, None)
        group = GroupCall(session, ROOM, CENTRE, [], None)
        await group.open(None)  # watching is every member's
        await refused(group.speak([ToneTrack(CENTRE_TONE), ColourTrack(CENTRE_COLOUR)]), "floor")
        assert not group.speaking
        # Nor by the other doors Janus has for an offer: a configure, a join with it.
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        other = await session.attach(VIDEOROOM)
        join = {"request": "join", "room": ROOM, "ptype": "publisher", "display": CENTRE}
        await refused(other.send(join, offer), "floor")
        await other.send(join)
        await refused(other.send({"request": "configure"}, offer), "floor")
        await refused(other.send({"request": "configure", "audio": True}), "floor")
        await other.detach()
        _town_meeting(janus, CENTRE)
        await group.speak([ToneTrack(CENTRE_TONE), ColourTrack(CENTRE_COLOUR)])
        assert group.speaking
        # The floor is taken; this box does not stop: the gate cuts it.
        _town_meeting(janus)
        taken = time.monotonic()
        await session.lost.wait()
        cut = time.monotonic() - taken
        print(f"a box still sending without the floor was cut {cut:.1f} s after it was taken")
        assert cut < FLOOR_GRACE_S + CUT_S, f"cut after {cut:.1f} s"
        await group.close()
        await session.close()

    run(scenario())
    assert any(
        f"cut box {CENTRE}: still sending in room {ROOM} without the floor" in line
        for line in refusals(janus)
    )


@pytest.mark.allow_warnings  # the refusals are the point
def test_a_box_city_hall_only_looks_at_sends_its_camera_and_never_its_sound(
    janus: CallServer,
) -> None:
    """A floor that shows a centre (the audience on demand) lets its box send a
    picture alone: an offer with sound, or sound turned on, is refused; once on air,
    sound too."""

    async def scenario() -> None:
        _town_meeting(janus, shown=(CENTRE,))
        session = await janus.box_session()(janus.url, None)
        group = GroupCall(session, ROOM, CENTRE, [], None)
        await group.open(None)
        await refused(group.speak([ToneTrack(CENTRE_TONE), ColourTrack(CENTRE_COLOUR)]), "sound")
        await group.speak([ColourTrack(CENTRE_COLOUR)])
        assert group.speaking and not group.sound
        # Sound turned on by the publisher's handle is refused too.
        publisher = group._publisher
        assert publisher is not None
        await refused(publisher.handle.send({"request": "configure", "audio": True}), "sound")
        await group.close()
        # Given the floor, the same box sends its microphone as well.
        _town_meeting(janus, CENTRE)
        group = GroupCall(session, ROOM, CENTRE, [], None)
        await group.open([ToneTrack(CENTRE_TONE), ColourTrack(CENTRE_COLOUR)])
        assert group.speaking and group.sound
        await group.close()
        await session.close()

    run(scenario())


def test_an_offer_may_carry_sound_while_it_has_an_audio_section_with_a_port() -> None:
    video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n"
    audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n"
    assert not sends_sound("v=0\r\n" + video)
    assert sends_sound("v=0\r\n" + audio + video)
    assert sends_sound("v=0\r\n" + video + audio)
    # Whatever its direction: a later line may turn it on (Janus takes the last).
    assert sends_sound("v=0\r\n" + audio.replace("sendonly", "inactive") + video)
    assert not sends_sound("v=0\r\n" + audio.replace(" 9 ", " 0 ") + video)
    assert sends_sound(None)  # unreadable: counted as sound, refused where sound is


def test_the_gate_takes_a_whole_citys_boxes_connecting_at_once(
    janus: CallServer, network: PrivateNetwork
) -> None:
    """Its listening queue holds :data:`BACKLOG` connections (asyncio's own 100 dropped
    some of 300 boxes joining a meeting at once)."""
    port = str(urlsplit(janus.url).port)
    listening = subprocess.run(
        network.command(["ss", "-Hltn", f"sport = :{port}"]),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert listening[0] == "LISTEN" and listening[2] == str(BACKLOG), listening
