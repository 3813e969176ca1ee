"""Group sessions through Janus' VideoRoom plugin: the centre publishes, sees the
host large and other centres small, and follows them coming and going."""

import asyncio
import time

import msgspec

from kiosk.calls.desk import Notice, Phase
from kiosk.calls.floor import FloorBoard
from kiosk.calls.group import GroupCall
from kiosk.calls.janus import JanusSession
from kiosk.calls.phase import Seat
from kiosk.calls.tracks import ColourTrack, ToneTrack
from kiosk.calls.videoroom import PLUGIN
from kiosk_contract.config.calls import Room
from kiosk_contract.floor import Floor, Hand
from tests.calls.conftest import (
    CENTRE,
    CENTRE_COLOUR,
    CENTRE_TONE,
    HALL_COLOUR,
    HALL_TONE,
    ROOM,
    CallServer,
    calls_for,
    heard,
    reach,
    run,
    started,
    until,
)
from tests.calls.signals import mean_rgb, mono_samples, near, pitch_share, steady_pitch
from tests.floors import floor_of

OTHER_CENTRE = (40, 160, 60)


class Member:
    """Someone else in the room (the host, another publisher), with its own session and a
    staff pass (a centre's name is its box's alone: no pass may use one)."""

    def __init__(self, session: JanusSession, group: GroupCall) -> None:
        self.session = session
        self.group = group
        self.task: asyncio.Task[str] | None = None

    @classmethod
    async def join(
        cls, janus: CallServer, name: str, colour: tuple[int, int, int], tone: int
    ) -> "Member":
        opener = janus.staff_session((name,), rooms=(ROOM,), host=True)
        session = await opener(janus.url, None)
        group = GroupCall(session, ROOM, name, [], None)
        await group.open([ToneTrack(tone), ColourTrack(colour)])
        member = cls(session, group)
        member.task = asyncio.create_task(group.run(2, 60, lambda shaky: None))
        return member

    def sees(self, colour: tuple[int, int, int]) -> bool:
        pictures = [w.peer.picture() for w in self.group.watched.values()]
        return any(p is not None and near(mean_rgb(p), colour) for p in pictures)

    def sees_all(self, colour: tuple[int, int, int]) -> list[bool]:
        """For each feed watched whose picture is *colour*: True."""
        pictures = [w.peer.picture() for w in self.group.watched.values()]
        return [p is not None and near(mean_rgb(p), colour) for p in pictures]

    def hears(self, hertz: int) -> bool:
        sounds = [w.peer.sound() for w in self.group.watched.values()]
        return any(
            s is not None and pitch_share(mono_samples(s), s.sample_rate, hertz) > 0.5
            for s in sounds
        )

    async def leave(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.group.close()
        await self.session.close()


def test_centre_joins_a_town_meeting_and_follows_who_comes_and_goes(janus: CallServer) -> None:
    async def scenario() -> None:
        host = await Member.join(janus, "cityhall-host", HALL_COLOUR, HALL_TONE)
        desk = await started(calls_for(janus))
        assert desk.join("town-meeting")
        assert desk.view.phase is Phase.JOINING
        joined = await reach(desk, Phase.IN_ROOM)
        assert joined.who == "군민 회의"
        # The host on the centre's screen, the centre's camera and voice at the host.
        await until(
            lambda: (
                bool(desk.remote_frames()) and near(mean_rgb(desk.remote_frames()[0]), HALL_COLOUR)
            )
        )
        await until(lambda: host.sees(CENTRE_COLOUR) and host.hears(CENTRE_TONE))
        # Another centre joins: shown small, after the host.
        other = await Member.join(janus, "cityhall-mayor", OTHER_CENTRE, 700)
        await until(
            lambda: (
                len(desk.remote_frames()) == 2
                and near(mean_rgb(desk.remote_frames()[1]), OTHER_CENTRE)
            )
        )
        assert near(mean_rgb(desk.remote_frames()[0]), HALL_COLOUR)
        await until(lambda: other.sees(CENTRE_COLOUR))
        # The centre's speaker plays the host and the other centre together (judged
        # over a second: a feed just subscribed may start with a moment of silence).
        together = await heard(desk, windows=5)
        assert steady_pitch(together, 48_000, HALL_TONE) > 0.2
        assert steady_pitch(together, 48_000, 700) > 0.2
        assert steady_pitch(together, 48_000, CENTRE_TONE) < 0.05
        # It leaves again: the centre's screen follows, and its speaker plays the
        # host alone (the one who left no longer waited for in the mix).
        await other.leave()
        await until(lambda: len(desk.remote_frames()) == 1)
        alone = await heard(desk, windows=2)
        assert steady_pitch(alone, 48_000, HALL_TONE) > 0.2
        assert steady_pitch(alone, 48_000, 700) < 0.05
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        await until(lambda: not host.group.watched)  # the host saw the centre leave
        await host.leave()
        await desk.close()

    run(scenario())


def test_alone_in_the_room_says_so_until_someone_comes(janus: CallServer) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        desk.join("town-meeting")
        alone = await reach(desk, Phase.IN_ROOM)
        assert alone.notice is Notice.ALONE
        host = await Member.join(janus, "cityhall-host", HALL_COLOUR, HALL_TONE)
        await until(lambda: desk.view.notice is Notice.NONE)
        await until(lambda: bool(desk.remote_frames()))
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        await host.leave()
        await desk.close()

    run(scenario())


async def _publishing(member: Member, display: str) -> bool:
    """Whether Janus counts *display* as publishing in the room (asked by *member*)."""
    handle = await member.session.attach(PLUGIN)
    try:
        reply = await handle.send({"request": "listparticipants", "room": ROOM})
    finally:
        await handle.detach()
    found = [p for p in reply.data["participants"] if p.get("display") == display]
    assert found, f"{display} is not in the room: {reply.data}"
    return bool(found[0].get("publisher"))


def test_a_watching_centre_raises_its_hand_and_is_heard_only_while_given_the_floor(
    janus: CallServer,
) -> None:
    """A town meeting with a floor: the centre watches the host without sending
    anything; 말하기 raises its hand; city hall's floor puts it on air, seen and heard
    by the room, and taking the floor back stops it, the centre still watching."""

    async def scenario() -> None:
        host = await Member.join(janus, "cityhall-host", HALL_COLOUR, HALL_TONE)
        hands: list[Hand] = []
        floor = FloorBoard(CENTRE)
        floor.attach(hands.append)
        meeting = Room(id="town-meeting", number=ROOM, title="군민 회의", host="cityhall-host")
        calls = calls_for(janus, rooms=[msgspec.structs.replace(meeting, floor=True)])
        desk = await started(calls, floor=floor)
        assert desk.join("town-meeting")
        joined = await reach(desk, Phase.IN_ROOM)
        assert joined.seat is Seat.WATCHING
        await until(
            lambda: (
                bool(desk.remote_frames()) and near(mean_rgb(desk.remote_frames()[0]), HALL_COLOUR)
            )
        )
        # In the room, watching: Janus has the centre as a participant that sends nothing.
        assert not await _publishing(host, CENTRE)
        assert desk.own_picture() is None and not host.group.watched
        # 말하기: the hand goes to city hall; pressed again, it goes down.
        desk.press_speak()
        assert desk.view.seat is Seat.HAND_UP
        assert [(h.room, h.raised) for h in hands] == [(ROOM, True)]
        desk.press_speak()
        assert desk.view.seat is Seat.WATCHING and not hands[-1].raised
        desk.press_speak()
        # City hall gives the floor: the hand goes down, the host sees and hears the centre.
        given = time.monotonic()
        assert floor.offer(floor_of(ROOM, 1, CENTRE)) is None
        await until(lambda: host.sees(CENTRE_COLOUR) and host.hears(CENTRE_TONE))
        print(
            f"on air, seen and heard by the host, {time.monotonic() - given:.2f} s after the floor"
        )
        assert desk.view.seat is Seat.ON_AIR
        assert not hands[-1].raised and hands[-1].n > hands[-2].n
        assert await _publishing(host, CENTRE)
        # An old floor replayed changes nothing.
        assert floor.offer(floor_of(ROOM, 1)) is not None
        # City hall takes the floor back: the centre stops sending and goes on watching.
        taken = time.monotonic()
        assert floor.offer(floor_of(ROOM, 2)) is None
        await until(lambda: not host.group.watched)
        print(f"off the air {time.monotonic() - taken:.2f} s after the floor was taken")
        await reach(desk, Phase.IN_ROOM)
        assert desk.view.seat is Seat.WATCHING
        assert not await _publishing(host, CENTRE)
        assert near(mean_rgb(desk.remote_frames()[0]), HALL_COLOUR)
        # Leaving with the hand up lowers it.
        desk.press_speak()
        assert hands[-1].raised
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        assert not hands[-1].raised
        await host.leave()
        await desk.close()

    run(scenario())


def test_city_hall_looks_at_a_watching_centre_which_sends_its_camera_alone(
    janus: CallServer,
) -> None:
    """The audience on demand: a floor that *shows* a watching centre makes its box
    send the camera alone, the screen saying city hall sees it; the host sees the
    picture and gets no sound, and the boxes never watch such a feed (they watch only
    feeds with sound), so a page of the audience costs the other centres nothing.
    Given the floor after that, the centre is heard too; shown no more, it stops."""

    async def scenario() -> None:
        host = await Member.join(janus, "cityhall-host", HALL_COLOUR, HALL_TONE)
        # Someone in the room sending a picture alone, there before the centre comes.
        opener = janus.staff_session(("cityhall-camera",), rooms=(ROOM,), host=True)
        camera_session = await opener(janus.url, None)
        camera = GroupCall(camera_session, ROOM, "cityhall-camera", [], None)
        await camera.open([ColourTrack(OTHER_CENTRE)])
        await until(lambda: host.sees(OTHER_CENTRE))
        floor = FloorBoard(CENTRE)
        meeting = Room(id="town-meeting", number=ROOM, title="군민 회의", host="cityhall-host")
        calls = calls_for(janus, rooms=[msgspec.structs.replace(meeting, floor=True)])
        desk = await started(calls, floor=floor)
        assert desk.join("town-meeting")
        joined = await reach(desk, Phase.IN_ROOM)
        assert joined.seat is Seat.WATCHING and not joined.looked_at
        group = desk._rooms.group
        assert group is not None
        # Both are in Janus' list at the join; only the host, who has sound, is watched.
        assert [w.feed.display for w in group.watched.values()] == ["cityhall-host"]
        await until(
            lambda: (
                bool(desk.remote_frames()) and near(mean_rgb(desk.remote_frames()[0]), HALL_COLOUR)
            )
        )
        # City hall looks at the centre: its camera goes out, its microphone does not.
        looked = time.monotonic()
        now = int(time.time())
        shown = Floor(room=ROOM, seq=1, shown=[CENTRE], issued_at=now, expires_at=now + 600)
        assert floor.offer(shown) is None
        await until(lambda: host.sees(CENTRE_COLOUR))
        print(f"the host sees the centre {time.monotonic() - looked:.2f} s after being shown it")
        seen = [w.feed for w in host.group.watched.values() if w.feed.display == CENTRE]
        assert len(seen) == 1 and not seen[0].sound  # Janus' own list: no audio stream
        await until(lambda: desk.view.looked_at)
        assert desk.view.seat is Seat.WATCHING
        assert desk.own_picture() is not None
        # One more picture without sound comes while the centre is in, then someone
        # with sound: the centre watches the second only (Janus names them in order).
        opener = janus.staff_session(("cityhall-camera-2",), rooms=(ROOM,), host=True)
        late_session = await opener(janus.url, None)
        late = GroupCall(late_session, ROOM, "cityhall-camera-2", [], None)
        await late.open([ColourTrack(OTHER_CENTRE)])
        await until(lambda: sum(host.sees_all(OTHER_CENTRE)) == 2)
        mayor = await Member.join(janus, "cityhall-mayor", OTHER_CENTRE, 700)
        await until(lambda: "cityhall-mayor" in [w.feed.display for w in group.watched.values()])
        assert "cityhall-camera-2" not in [w.feed.display for w in group.watched.values()]
        await mayor.leave()
        await late.close()
        await late_session.close()
        # Given the floor now: seen and heard.
        assert floor.offer(floor_of(ROOM, 2, CENTRE)) is None
        await until(lambda: host.sees(CENTRE_COLOUR) and host.hears(CENTRE_TONE))
        await until(lambda: desk.view.seat is Seat.ON_AIR and not desk.view.looked_at)
        # Neither shown nor on air: it sends nothing again.
        assert floor.offer(floor_of(ROOM, 3)) is None
        await until(lambda: not watches_centre(host))
        await until(lambda: desk.view.seat is Seat.WATCHING and not desk.view.looked_at)
        assert not await _publishing(host, CENTRE)
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        await camera.close()
        await camera_session.close()
        await host.leave()
        await desk.close()

    run(scenario())


def watches_centre(host: Member) -> bool:
    """Whether the host still watches the centre."""
    return any(w.feed.display == CENTRE for w in host.group.watched.values())


def test_a_town_meeting_takes_more_watchers_than_its_room_has_senders(
    janus: CallServer,
) -> None:
    """Watchers join as participants that send nothing, so a room's ``publishers``
    (how many may send at once) does not limit how many centres watch."""

    async def scenario() -> None:
        senders = janus.setup.rooms[0].publishers
        sessions: list[JanusSession] = []
        watchers: list[GroupCall] = []
        try:
            for n in range(senders + 2):
                name = f"cityhall-watcher-{n}"
                opener = janus.staff_session((name,), rooms=(ROOM,), host=True)
                session = await opener(janus.url, None)
                sessions.append(session)
                watcher = GroupCall(session, ROOM, name, [], None)
                watchers.append(watcher)
                await watcher.open(None)
            host = await Member.join(janus, "cityhall-host", HALL_COLOUR, HALL_TONE)
            try:
                # Janus counts the host as sending once its media is up.
                while not await _publishing(host, "cityhall-host"):  # noqa: ASYNC110 - asked, not awaited
                    await asyncio.sleep(0.05)
                who = await host.session.attach(PLUGIN)
                reply = await who.send({"request": "listparticipants", "room": ROOM})
                await who.detach()
                listed = reply.data["participants"]
                assert len(listed) == senders + 3
                assert [p["display"] for p in listed if p.get("publisher")] == ["cityhall-host"]
            finally:
                await host.leave()
        finally:
            for watcher in watchers:
                await watcher.close()
            for session in sessions:
                await session.close()

    run(scenario())
