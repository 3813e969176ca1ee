"""A meeting's questions on the fleet's broker as city hall configures it, run for real
(mosquitto 2.0): only city hall writes a question, only the room's member centres read
it, and each box writes answers on its own topic only. As in ``test_broker``, a refused
message is shown never to arrive by a later one from the same sender that the reader
does get (the broker keeps each sender's order)."""

import msgspec

from kiosk_contract.config import KioskConfig
from kiosk_provisioning.broker.config import render_acl, rooms_of
from tests.broker import Broker, peers
from tests.calls.identities import BoxFiles
from tests.provision.meeting_broker import (  # noqa: F401 - the fixtures
    DISTRICTS,
    ROOMS,
    boxes_fixture,
    broker_fixture,
    identity_fixture,
)


def test_the_access_list_gives_each_centre_its_rooms_questions() -> None:
    text = render_acl(DISTRICTS, ROOMS)
    by_user: dict[str, list[str]] = {"": []}
    user = ""
    for line in text.splitlines():
        if line.startswith("user "):
            user = line
            by_user[user] = []
        elif line and not line.startswith("#"):
            by_user[user].append(line)
    assert "topic read questions/room/1001/+" in by_user["user c-1"]
    assert {"topic read questions/room/1001/+", "topic read questions/room/7/+"} <= set(
        by_user["user c-2"]
    )
    assert not any("questions" in line for line in by_user["user c-3"])
    assert "topic write questions/#" in by_user["user city-hall.fleet"]
    assert "pattern write fleet/%u/answers/+" in by_user[""]
    # No pattern or rule lets a box write a question.
    assert not any(
        "questions" in line and "write" in line
        for user, lines in by_user.items()
        if user != "user city-hall.fleet"
        for line in lines
    )


def test_only_city_hall_asks_and_only_the_rooms_centres_hear_it(
    broker: Broker, boxes: dict[str, BoxFiles]
) -> None:
    made = (
        broker.city_hall().connect(),
        broker.box(boxes["c-1"]).connect(),
        broker.box(boxes["c-2"]).connect(),
        broker.box(boxes["c-3"]).connect(),
    )
    with peers(*made) as (hall, one, two, three):
        for peer in (one, two, three):
            peer.subscribe("questions/#", "alerts/all/+")
        hall.subscribe("questions/#", "fleet/#")
        # A box's question (a box taken over, say) is dropped by the broker.
        one.publish("questions/room/1001/q-forged", b"{}", retain=True)
        one.publish("fleet/c-1/answers/q-1", b"c-1's own answer")
        assert [m.topic for m in hall.until("fleet/c-1/answers/q-1")] == ["fleet/c-1/answers/q-1"]
        # City hall's question reaches the room's centres, and not c-3.
        hall.publish("questions/room/1001/q-1", b"question", retain=True)
        hall.publish("questions/room/7/q-2", b"another room's")
        assert [m.topic for m in two.until("questions/room/7/q-2")] == [
            "questions/room/1001/q-1",
            "questions/room/7/q-2",
        ]
        assert [m.payload for m in one.until("questions/room/1001/q-1")] == [b"question"]
        # c-3 hears nothing of it: a later alert for everyone is the first it gets.
        hall.publish("alerts/all/a-1", b"alert")
        assert [m.topic for m in three.until("alerts/all/a-1")] == ["alerts/all/a-1"]
        # A box answers on its own topic only.
        two.publish("fleet/c-1/answers/q-1", b"c-2 posing as c-1")
        two.publish("fleet/c-2/answers/q-1", b"c-2's answer")
        seen = hall.until("fleet/c-2/answers/q-1")
        assert [(m.topic, m.payload) for m in seen] == [("fleet/c-2/answers/q-1", b"c-2's answer")]
    # A newcomer of the room gets city hall's retained question, not the forged one.
    newcomers = (broker.city_hall().connect(), broker.box(boxes["c-1"]).connect())
    with peers(*newcomers) as (hall, again):
        again.subscribe("questions/#")
        hall.publish("questions/room/1001/q-3", b"the next question")
        topics = [m.topic for m in again.until("questions/room/1001/q-3")]
    assert topics == ["questions/room/1001/q-1", "questions/room/1001/q-3"]


def test_the_build_takes_each_centres_rooms_from_its_configuration(
    demo_config: KioskConfig,
) -> None:
    room = demo_config.calls.rooms[0]
    other = msgspec.structs.replace(
        demo_config,
        centre=msgspec.structs.replace(demo_config.centre, id="c-2"),
        calls=msgspec.structs.replace(
            demo_config.calls, rooms=[msgspec.structs.replace(room, number=7)]
        ),
    )
    rooms = rooms_of([demo_config, other])
    assert rooms == {demo_config.centre.id: [1001], "c-2": [7]}
    text = render_acl({demo_config.centre.id: "", "c-2": ""}, rooms)

    def block(user: str) -> list[str]:
        return text.split(f"\nuser {user}\n")[1].split("\n\n")[0].splitlines()

    assert block(demo_config.centre.id) == [
        "topic read alerts/all/+",
        "topic read questions/room/1001/+",
        "topic read floor/room/1001",
    ]
    assert block("c-2") == [
        "topic read alerts/all/+",
        "topic read questions/room/7/+",
        "topic read floor/room/7",
    ]
