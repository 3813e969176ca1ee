"""A town meeting's floor and hands on the fleet's broker as city hall configures it, run
for real (mosquitto 2.0): only city hall writes a floor, only the room's member centres
read it, each box raises its own hand only, and city hall reads the floors back (a
console started again knows who speaks). As in ``test_broker``, a refused message is
shown never to arrive by a later one from the same sender that the reader does get
(the broker keeps each sender's order)."""

from kiosk_contract.floor import floor_topic, hand_topic
from kiosk_provisioning.broker.config import render_acl
from tests.broker import Broker, peers
from tests.calls.identities import BoxFiles
from tests.provision.meeting_broker import (  # noqa: F401 - the fixtures
    DISTRICTS,
    ROOMS,
    boxes_fixture,
    broker_fixture,
    identity_fixture,
)


def test_the_access_list_names_each_centres_floors() -> None:
    text = render_acl(DISTRICTS, ROOMS)
    blocks = text.split("\n\n")
    c1 = next(b for b in blocks if b.startswith("user c-1\n")).splitlines()
    c2 = next(b for b in blocks if b.startswith("user c-2\n")).splitlines()
    c3 = next(b for b in blocks if b.startswith("user c-3\n")).splitlines()
    assert "topic read floor/room/1001" in c1 and "topic read floor/room/7" not in c1
    assert {"topic read floor/room/1001", "topic read floor/room/7"} <= set(c2)
    assert not any("floor" in line for line in c3)
    # Nothing but city hall's block lets anyone write a floor.
    writers = [line for line in text.splitlines() if "floor" in line and "write" in line]
    assert writers == ["topic readwrite floor/#"]


def test_only_city_hall_gives_the_floor_and_each_box_raises_its_own_hand(
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
            peer.subscribe("floor/#", "alerts/all/+")
        hall.subscribe("floor/#", "fleet/#")
        # A box's floor (a box taken over, say) is dropped by the broker: it never
        # reaches city hall, nor the other centre of the room.
        one.publish(floor_topic(1001), b"c-1 gives itself the floor", retain=True)
        one.publish(hand_topic("c-1", 1001), b"c-1's own hand", retain=True)
        assert [m.topic for m in hall.until(hand_topic("c-1", 1001))] == [hand_topic("c-1", 1001)]
        # A hand on another centre's topic is dropped too.
        two.publish(hand_topic("c-1", 1001), b"c-2 posing as c-1", retain=True)
        two.publish(hand_topic("c-2", 1001), b"c-2's own hand", retain=True)
        seen = hall.until(hand_topic("c-2", 1001))
        assert [(m.topic, m.payload) for m in seen] == [
            (hand_topic("c-2", 1001), b"c-2's own hand")
        ]
        # City hall's floor reaches the room's centres only; city hall reads it back.
        hall.publish(floor_topic(1001), b"floor of 1001", retain=True)
        hall.publish(floor_topic(7), b"floor of 7", retain=True)
        assert [m.payload for m in two.until(floor_topic(7))] == [b"floor of 1001", b"floor of 7"]
        assert [m.payload for m in one.until(floor_topic(1001))] == [b"floor of 1001"]
        assert [m.payload for m in hall.until(floor_topic(7))] == [b"floor of 1001", b"floor of 7"]
        # c-1 does not hear room 7's floor, c-3 hears none: a later alert is the first.
        hall.publish("alerts/all/a-1", b"alert")
        assert [m.topic for m in one.until("alerts/all/a-1")] == ["alerts/all/a-1"]
        assert [m.topic for m in three.until("alerts/all/a-1")] == ["alerts/all/a-1"]
    # Retained: city hall started again, and a box coming back, get city hall's floor
    # (never a box's), and city hall the hands as their own centres raised them.
    again = (broker.city_hall().connect(), broker.box(boxes["c-1"]).connect())
    with peers(*again) as (hall, one):
        one.subscribe("floor/#")
        hall.subscribe("floor/#", "fleet/+/hands/+", "city-hall/#")
        hall.publish("city-hall/fence", b"after the retained ones")
        kept = {m.topic: m.payload for m in hall.until("city-hall/fence")}
        assert kept == {
            floor_topic(1001): b"floor of 1001",
            floor_topic(7): b"floor of 7",
            hand_topic("c-1", 1001): b"c-1's own hand",
            hand_topic("c-2", 1001): b"c-2's own hand",
            "city-hall/fence": b"after the retained ones",
        }
        hall.publish(floor_topic(1001), b"the next floor", retain=True)
        assert [m.payload for m in one.until(floor_topic(1001))] == [b"floor of 1001"]
        assert [m.payload for m in one.until(floor_topic(1001))] == [b"the next floor"]
