"""The call gate's bookkeeping of who sends into a town meeting, on messages as the
client and Janus exchange them (the real gate and Janus: tests/calls/test_gate.py)."""

from types import SimpleNamespace

from kiosk_provisioning.gate import VIDEOROOM, FloorRights, GateConnection, Party

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


def test_a_publish_janus_takes_is_counted_and_cut_once_the_floor_is_gone() -> None:
    hall = Hall()
    gate = _connection(hall)
    gate._police(_message("t3", {"request": "publish"}, OFFER))
    gate._learn({"janus": "ack", "transaction": "t3"})
    gate._learn(_event("t3", {"videoroom": "event", "configured": "ok"}))
    assert gate._sending == {2: (ROOM, True)}
    assert not gate._sends, "the transaction forgotten once answered"
