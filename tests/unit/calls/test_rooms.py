"""Group sessions through the desk on a fake Janus, on a virtual clock: joining,
following who comes and goes, and rejoining after every kind of break."""

import asyncio

import pytest

from kiosk.calls.desk import Notice, Phase
from kiosk.calls.group import GIVE_UP_FACTOR
from tests.unit.calls.fake_janus import FakeJanus
from tests.unit.calls.rig import ROOM, Rig, calls_for
from tests.unit.calls.virtual import now, run


async def host_in_the_room(janus: FakeJanus) -> Rig:
    """City hall's host, itself a desk in the room."""
    host = await Rig(janus, calls_for(janus, call_name="cityhall-host"), centre_id="host").started()
    assert host.desk.join("town-meeting")
    await host.reach(Phase.IN_ROOM)
    return host


def feeds(janus: FakeJanus) -> list[str]:
    """Who publishes in the room, as the server sees it."""
    return sorted(h.display for h in janus.handles.values() if h.room == ROOM and h.publishing)


def test_alone_in_the_room_until_the_host_comes_and_after_it_leaves() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        assert rig.desk.join("town-meeting")
        assert rig.desk.view.phase is Phase.JOINING
        alone = await rig.reach(Phase.IN_ROOM)
        assert (alone.who, alone.notice) == ("군민 회의", Notice.ALONE)
        host = await host_in_the_room(janus)
        assert (await rig.reach(Phase.IN_ROOM)).notice is Notice.NONE
        assert rig.desk.group is not None and len(rig.desk.group.watched) == 1
        host.desk.hang_up()
        assert (await rig.reach(Phase.IN_ROOM)).notice is Notice.ALONE
        rig.desk.hang_up()
        await rig.reach(Phase.IDLE)
        assert feeds(janus) == []
        await host.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_room_whose_line_breaks_is_joined_again() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        host = await host_in_the_room(janus)
        rig = await Rig(janus).started()
        rig.desk.join("town-meeting")
        began = (await rig.reach(Phase.IN_ROOM)).since
        janus.drop("centre-1")
        broke = now()
        assert (await rig.reach(Phase.RECONNECTING)).notice is Notice.RECONNECTING
        back = await rig.reach(Phase.IN_ROOM)
        assert now() - broke < 0.6  # the line's and the room's first retries are quick
        assert back.since == began
        assert feeds(janus) == ["centre-1", "cityhall-host"]
        await host.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_room_is_joined_again_after_the_server_restarts() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        rig = await Rig(janus).started()
        rig.desk.join("town-meeting")
        await rig.reach(Phase.IN_ROOM)
        janus.stop()
        await rig.reach(Phase.RECONNECTING)
        await asyncio.sleep(20)  # the outage itself (virtual), not a wait for something
        janus.start()
        restarted = now()
        await rig.reach(Phase.IN_ROOM)
        assert now() - restarted <= 30  # the backoff's cap
        assert feeds(janus) == ["centre-1"]
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_silence_in_a_room_says_so_then_joins_again() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        host = await host_in_the_room(janus)
        rig = await Rig(janus, calls_for(janus, no_media_s=3)).started()
        rig.desk.join("town-meeting")
        await rig.reach(Phase.IN_ROOM)
        rig.path.cut()
        cut = now()
        assert (await rig.reach(Phase.IN_ROOM)).notice is Notice.UNSTEADY
        assert 3 <= now() - cut < 3.5
        await rig.reach(Phase.RECONNECTING)
        assert 3 * GIVE_UP_FACTOR <= now() - cut < 3 * GIVE_UP_FACTOR + 0.5
        rig.path.mend()
        assert (await rig.reach(Phase.IN_ROOM)).notice is Notice.NONE
        made = rig.path.made
        assert len(made) == 4 and [c.closed for c in made] == [True, True, False, False]
        await host.close()
        await rig.close()

    run(scenario())


@pytest.mark.allow_warnings  # the feed watched again says so
def test_a_feed_silent_on_its_own_is_watched_again_without_leaving_the_room() -> None:
    """The subscription to city hall's host carries nothing (its ICE failed) while
    another centre's arrives: the room as a whole is not silent, yet the host's
    picture would be gone for good. It is watched again on a new connection after
    ``give_up_s``; the desk never leaves the room."""

    async def scenario() -> None:
        janus = FakeJanus()
        host = await host_in_the_room(janus)
        other = Rig(janus, calls_for(janus, call_name="centre-2"), centre_id="centre-2")
        await other.started()
        assert other.desk.join("town-meeting")
        await other.reach(Phase.IN_ROOM)
        rig = Rig(janus, calls_for(janus, no_media_s=2))
        dead = "centre-1 watching cityhall-host"
        rig.path.dead_once.add(dead)
        phases: list[Phase] = []
        rig.desk.subscribe(lambda view: phases.append(view.phase))
        await rig.started()
        assert rig.desk.join("town-meeting")
        await rig.reach(Phase.IN_ROOM)
        joined = now()

        def host_connections() -> list[bool]:
            return [c.closed for c in rig.path.made if c.label == dead]

        while host_connections() != [True, False]:  # noqa: ASYNC110 - polled fakes
            await asyncio.sleep(0.1)
        assert 2 * GIVE_UP_FACTOR <= now() - joined < 2 * GIVE_UP_FACTOR + 0.5
        await asyncio.sleep(60)  # a minute of the virtual clock: the new one carries media
        assert host_connections() == [True, False]
        assert rig.desk.view.phase is Phase.IN_ROOM
        assert Phase.RECONNECTING not in phases, phases
        for rig_ in (rig, other, host):
            await rig_.close()

    run(scenario())


@pytest.mark.allow_warnings  # the error, and the rejoining
def test_an_offer_aiortc_cannot_read_breaks_the_attempt_not_the_meeting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A centre joins the meeting and its offer cannot be read (aiortc raises): the
    desk joins again, as after any break, instead of ending the meeting; once offers
    read again it is in the room watching both."""

    async def scenario() -> None:
        janus = FakeJanus()
        host = await host_in_the_room(janus)
        rig = await Rig(janus).started()
        assert rig.desk.join("town-meeting")
        await rig.reach(Phase.IN_ROOM)
        rig.path.unreadable = True
        other = Rig(janus, calls_for(janus, call_name="centre-2"), centre_id="centre-2")
        await other.started()
        assert other.desk.join("town-meeting")
        await rig.reach(Phase.RECONNECTING)
        rig.path.unreadable = False
        await rig.reach(Phase.IN_ROOM)
        group = rig.desk._rooms.group
        assert group is not None
        while len(group.watched) < 2:  # noqa: ASYNC110 - polled fakes
            await asyncio.sleep(0.1)
        assert sorted(w.feed.display for w in group.watched.values()) == [
            "centre-2",
            "cityhall-host",
        ]
        for rig_ in (rig, other, host):
            await rig_.close()

    run(scenario())
    assert "group session town-meeting: unexpected error" in caplog.text
    assert "ValueError: an offer that cannot be read" in caplog.text


@pytest.mark.allow_warnings
def test_a_room_the_server_refuses_is_tried_again_ever_more_slowly() -> None:
    async def scenario() -> None:
        janus = FakeJanus(rooms=())  # no such room (yet)
        rig = await Rig(janus).started()
        rig.desk.join("town-meeting")
        await rig.reach(Phase.RECONNECTING)
        joined = janus.count("join")
        await asyncio.sleep(300)  # five (virtual) minutes of a room that is not there
        tries = janus.count("join") - joined
        # Full jitter capped at 30 s: some 20 tries in five minutes, where a fixed
        # 2 s made it 150.
        assert 8 <= tries <= 40, tries
        rig.desk.hang_up()
        assert (await rig.reach(Phase.ENDED)).notice is Notice.NONE
        await rig.reach(Phase.IDLE)
        await rig.close()

    run(scenario())


def test_leaving_while_joining_leaves_nothing_behind() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        host = await host_in_the_room(janus)
        rig = await Rig(janus).started()
        rig.desk.join("town-meeting")
        rig.desk.hang_up()  # at once, before the join has even been sent
        await rig.reach(Phase.IDLE)
        assert feeds(janus) == ["cityhall-host"]
        assert not rig.path.open()
        await host.close()
        await rig.close()

    run(scenario())
