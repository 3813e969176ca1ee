"""The call gate's bookkeeping of who sends into a town meeting, on messages as the
client and Janus exchange them (the real gate and Janus: tests/calls/test_gate.py)."""

from types import SimpleNamespace

import pytest

from kiosk_provisioning.gate import (
    FLOOR_GRACE_S,
    VIDEOROOM,
    FloorRights,
    GateConnection,
    Party,
    RefusedError,
)

ROOM = 1001
CENTRE = "c-1"
OFFER = {"type": "offer", "sdp": "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=sendonly\r\n"}


class Hall:
    """City hall with one box and a floor naming *speakers*."""

    def __init__(self) -> None:
        self.rights = FloorRights(frozenset({CENTRE}))
        self.box_party = Party(f"box {CENTRE}", (CENTRE,), frozenset({ROOM}), True, b"x", CENTRE)

    def box(self, cert_der: bytes) -> Party | None:
        return self.box_party

    def staff(self, token: str) -> Party | None:
        return None

    def janus_token(self) -> str:
        return "token"

    def room_token(self, room: int) -> str:
        return "room-token"

    def room_secret(self, room: int) -> str | None:
        return None

    def floor(self, room: int) -> FloorRights | None:
        return self.rights

    def is_centre(self, name: str) -> bool:
        return name.startswith("c-")


def _connection(hall: Hall) -> GateConnection:
    client = SimpleNamespace(remote_address=("198.18.0.1", 5000))
    gate = GateConnection(client, hall, "ws://janus")  # type: ignore[arg-type]
    gate.party = hall.box_party
    # Janus answered: session 1, VideoRoom handle 2 (what _learn records from replies).
    gate._police({"janus": "create", "transaction": "t0"})
    gate._learn({"janus": "success", "transaction": "t0", "data": {"id": 1}})
    attach = {"janus": "attach", "transaction": "t1", "session_id": 1}
    gate._police({**attach, "plugin": VIDEOROOM})
    gate._learn({"janus": "success", "transaction": "t1", "data": {"id": 2}})
    join = {"request": "join", "ptype": "publisher", "room": ROOM, "display": CENTRE}
    gate._police(_message("t2", join))
    return gate


def _message(transaction: str, body: dict[str, object], jsep: object = None) -> dict[str, object]:
    message = {"janus": "message", "transaction": transaction, "session_id": 1, "handle_id": 2}
    return {**message, "body": body, **({"jsep": jsep} if jsep else {})}


def _event(transaction: str, data: dict[str, object]) -> dict[str, object]:
    plugin = {"plugin": VIDEOROOM, "data": data}
    return {"janus": "event", "transaction": transaction, "sender": 2, "plugindata": plugin}


def test_a_publish_janus_refuses_is_not_counted_as_sending() -> None:
    hall = Hall()
    gate = _connection(hall)
    gate._police(_message("t3", {"request": "publish"}, OFFER))
    gate._learn({"janus": "ack", "transaction": "t3"})
    gate._learn(_event("t3", {"videoroom": "event", "error_code": 432, "error": "too many"}))
    # The floor taken: a box that never sent is nobody the gate cuts.
    hall.rights = FloorRights()
    assert gate._sending_without_floor() is None
    assert not gate._sending


def _cut_without_floor(gate: GateConnection) -> int | None:
    """The room the gate's next check would cut this box for, once the grace is over."""
    gate._sending_without_floor()  # the floor seen gone: the grace begins
    for handle in gate._unfloored:
        gate._unfloored[handle] -= FLOOR_GRACE_S  # ... and is over
    return gate._sending_without_floor()


def test_a_publish_janus_takes_is_counted_and_cut_once_the_floor_is_gone() -> None:
    hall = Hall()
    gate = _connection(hall)
    gate._police(_message("t3", {"request": "publish"}, OFFER))
    gate._learn({"janus": "ack", "transaction": "t3"})
    gate._learn(_event("t3", {"videoroom": "event", "configured": "ok"}))
    assert gate._sending == {2: (ROOM, True)}
    assert not gate._awaiting, "the transaction forgotten once answered"
    hall.rights = FloorRights()
    assert _cut_without_floor(gate) == ROOM


def test_an_unpublish_janus_refuses_leaves_the_box_counted_as_sending() -> None:
    """Janus refuses to unpublish a feed whose media is not up yet: the box goes on
    sending, and is cut once the floor is taken."""
    hall = Hall()
    gate = _connection(hall)
    gate._police(_message("t3", {"request": "publish"}, OFFER))
    gate._learn(_event("t3", {"videoroom": "event", "configured": "ok"}))
    gate._police(_message("t4", {"request": "unpublish"}))
    assert gate._sending, "not stopped before Janus says so"
    gate._learn(_event("t4", {"videoroom": "event", "error_code": 435, "error": "not published"}))
    hall.rights = FloorRights()
    assert _cut_without_floor(gate) == ROOM
    # Stopped for real: nothing to cut.
    gate._police(_message("t5", {"request": "unpublish"}))
    gate._learn(_event("t5", {"videoroom": "event", "unpublished": "ok"}))
    assert not gate._sending and _cut_without_floor(gate) is None


def test_an_offer_in_capitals_is_an_offer_and_anything_else_is_refused() -> None:
    hall = Hall()
    hall.rights = FloorRights()  # nobody may send
    gate = _connection(hall)
    for kind in ("offer", "OFFER", "Offer"):
        jsep = {**OFFER, "type": kind}
        with pytest.raises(RefusedError, match="the floor is not this centre's"):
            gate._police(_message(f"c-{kind}", {"request": "configure"}, jsep))
    with pytest.raises(RefusedError, match="neither offer nor answer"):
        gate._police(_message("t6", {"request": "configure"}, {"type": "pranswer", "sdp": ""}))
    assert not gate._sending


def test_a_transaction_still_open_is_not_taken_again() -> None:
    """A reply is matched to its request by transaction: a second request under the
    same one could pass its refusal off as the first's."""
    gate = _connection(Hall())
    gate._police(_message("t3", {"request": "publish"}, OFFER))
    with pytest.raises(RefusedError, match="still open"):
        gate._police(_message("t3", {"request": "unpublish"}))
    # A reply from another handle under that transaction changes nothing.
    gate._learn({**_event("t3", {"error_code": 499}), "sender": 99})
    assert gate._sending == {2: (ROOM, True)}


@pytest.mark.parametrize(
    "sdp",
    [
        "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=inactive\r\na=sendrecv\r\n",  # the last one holds
        "v=0\r\nm=AUDIO 9 RTP/SAVPF 111\r\n",
        "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=inactive \r\n",
        "v=0\r\nm=video 9 RTP/SAVPF 96\x0bm=audio 9 x\r\nm=audio 9 RTP/SAVPF 111\r\n",
        "v=0\nm=audio 9 RTP/SAVPF 111\n",
    ],
)
def test_a_centre_only_looked_at_offers_no_audio_section_at_all(sdp: str) -> None:
    hall = Hall()
    hall.rights = FloorRights(shown=frozenset({CENTRE}))
    gate = _connection(hall)
    with pytest.raises(RefusedError, match="sound in room"):
        gate._police(_message("t3", {"request": "publish"}, {"type": "offer", "sdp": sdp}))
    picture = "v=0\r\nm=video 9 RTP/SAVPF 96\r\na=sendonly\r\nm=audio 0 RTP/SAVPF 111\r\n"
    gate._police(_message("t4", {"request": "publish"}, {"type": "offer", "sdp": picture}))
    assert gate._sending == {2: (ROOM, False)}


def test_a_box_watches_city_halls_feeds_and_the_speakers_never_one_only_looked_at() -> None:
    gate = _connection(Hall())
    host = {"id": 11, "display": "cityhall-host", "streams": [{"type": "video"}]}
    speaker = {"id": 12, "display": "c-2", "streams": [{"type": "audio"}, {"type": "video"}]}
    looked_at = {"id": 13, "display": "c-3", "streams": [{"type": "video"}]}
    gate._learn(_event("t9", {"videoroom": "event", "publishers": [host, speaker, looked_at]}))
    gate._police({"janus": "attach", "transaction": "t10", "session_id": 1, "plugin": VIDEOROOM})
    gate._learn({"janus": "success", "transaction": "t10", "data": {"id": 3}})

    def watch(transaction: str, feed: int) -> None:
        body = {"request": "join", "ptype": "subscriber", "room": ROOM, "streams": [{"feed": feed}]}
        gate._police({**_message(transaction, body), "handle_id": 3})

    watch("w1", 11)  # the host, even without sound
    watch("w2", 12)
    with pytest.raises(RefusedError, match="not one the centres hear"):
        watch("w3", 13)
    with pytest.raises(RefusedError, match="not one the centres hear"):
        watch("w4", 14)  # never announced to this box
