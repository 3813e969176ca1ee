"""The meeting relay's rules (kiosk_provisioning.cascade): which publisher goes where,
what is remade, and the servers file. The relay against real Janus servers is
tests/calls/test_cascade.py."""

import asyncio
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk_provisioning.cascade import (
    Cascade,
    Copy,
    MeetingRelay,
    Publisher,
    RelayServer,
    Route,
    Stream,
    _listen_on,
    publisher_of,
    read_servers,
    routes_to_change,
    routes_wanted,
)
from kiosk_provisioning.janus_api import JanusError, JanusLostError

AUDIO = Stream("audio", 0, "0", "opus", ("fec",))
VIDEO = Stream("video", 1, "1", "vp8")
HOST = Publisher(11, "cityhall-host", (AUDIO, VIDEO))
SPEAKER = Publisher(22, "centre-7", (AUDIO,))


def test_a_publisher_is_read_with_the_streams_that_can_be_relayed() -> None:
    entry = {
        "id": 11,
        "display": "cityhall-host",
        "streams": [
            {"type": "audio", "mindex": 0, "mid": "0", "codec": "opus", "fec": True, "talking": 0},
            {"type": "video", "mindex": 1, "mid": "1", "codec": "vp8", "h264_profile": "x"},
            {"type": "video", "mindex": 2, "mid": "2", "disabled": True},
        ],
    }
    assert publisher_of(entry) == HOST
    # What add_remote_publisher is given: no field Janus 1.1.2 would refuse.
    assert [s.request() for s in HOST.streams] == [
        {"type": "audio", "mindex": 0, "mid": "0", "codec": "opus", "fec": True},
        {"type": "video", "mindex": 1, "mid": "1", "codec": "vp8"},
    ]
    assert publisher_of({"id": 3, "streams": [{"type": "video", "mindex": 0, "mid": "0"}]}) is None
    assert publisher_of({"display": "no id", "streams": []}) is None


def test_every_local_publisher_goes_to_every_other_server_that_is_up() -> None:
    local = {("origin", 1001): {11: HOST}, ("north", 1001): {22: SPEAKER}, ("south", 1001): {}}
    assert routes_wanted(local, ["origin", "north", "south"], "origin") == {
        Route(1001, "origin", 11, "north"),
        Route(1001, "origin", 11, "south"),
        Route(1001, "north", 22, "origin"),
        Route(1001, "north", 22, "south"),
    }
    # A server down neither sends nor receives.
    up = ["origin", "south"]
    assert routes_wanted(local, up, "origin") == {Route(1001, "origin", 11, "south")}


def test_a_picture_without_sound_from_an_edge_goes_to_the_origin_only() -> None:
    """A centre the host looks at sends its camera alone: only the host (on the origin)
    watches it. City hall's own feed without sound (a host without a microphone) still
    goes everywhere: the boxes watch city hall's feeds."""
    looked_at = Publisher(33, "centre-9", (VIDEO,))
    mute_host = Publisher(12, "cityhall-host", (VIDEO,))
    local = {("origin", 1001): {12: mute_host}, ("north", 1001): {33: looked_at}}
    assert routes_wanted(local, ["origin", "north", "south"], "origin") == {
        Route(1001, "origin", 12, "north"),
        Route(1001, "origin", 12, "south"),
        Route(1001, "north", 33, "origin"),
    }
    # The origin down: nowhere to go.
    assert routes_wanted(local, ["north", "south"], "origin") == set()
    assert looked_at.sound is False and SPEAKER.sound and HOST.sound


def test_routes_are_removed_when_their_publisher_goes_and_remade_when_it_changes() -> None:
    to_north, to_south = Route(1001, "origin", 11, "north"), Route(1001, "origin", 11, "south")
    made = {to_north: Copy(900, "north-1", HOST.streams), to_south: Copy(901, "south-1", ())}
    local = {("origin", 1001): {11: HOST}}
    wanted = routes_wanted(local, ["origin", "north", "south"], "origin")
    # The copy on south was made for other streams: remade; north's stays.
    assert routes_to_change(wanted, made, local) == ([to_south], [to_south])
    # The host leaves: both go, nothing is made.
    assert routes_to_change(set(), made, {}) == ([to_north, to_south], [])


def test_servers_file(tmp_path: Path) -> None:
    janus = tmp_path / "janus"
    janus.mkdir()
    (janus / "janus.plugin.videoroom.jcfg").write_text(
        'general: {\n\tadmin_key = "k-origin"\n\tlock_rtp_forward = true\n}\n'
    )
    servers = tmp_path / "servers.toml"
    servers.write_text(
        f"""
[[server]]
name = "origin"
api = "ws://10.20.0.1:8188/"
janus_config = "{janus}"

[[server]]
name = "north"
api = "ws://10.20.1.1:8188/"
admin_key = "k-north"
media = "10.30.1.1"
"""
    )
    origin, north = read_servers(servers)
    assert (origin.admin_key, origin.media_address) == ("k-origin", "10.20.0.1")
    assert (north.admin_key, north.media_address) == ("k-north", "10.30.1.1")
    # Listed first, an edge (serving a district) still comes after the origin.
    edge_first = tmp_path / "edge-first.toml"
    tables = servers.read_text().split("[[server]]")
    gates = 'gate = "wss://origin.example/"\n', 'gate = "wss://north.example:8991/"\n'
    edge_first.write_text(
        f'[[server]]{tables[2]}districts = ["운봉읍"]\n{gates[1]}[[server]]{tables[1]}{gates[0]}'
    )
    assert [s.name for s in read_servers(edge_first)] == ["origin", "north"]
    assert Cascade(read_servers(edge_first), {}, "").origin == "origin"
    servers.write_text(servers.read_text().replace('admin_key = "k-north"', ""))
    with pytest.raises(ValueError, match=r"server\[1\]: admin_key or janus_config"):
        read_servers(servers)
    servers.write_text(servers.read_text().replace("ws://10.20.1.1", "http://10.20.1.1"))
    with pytest.raises(ValueError, match=r"server\[1\]\.api"):
        read_servers(servers)


# -- the relay against fake servers (the VideoRoom's remote publishers, in memory) --

ROOM, SECRET, TOKEN_SECRET = 1001, "room-secret", "token-secret"
Json = dict[str, Any]


class FakeJanus:
    """One server's room as the relay sees it: publishers (local or remote, made by
    ``add_remote_publisher``), each local one's remotizations, and the relay's
    listeners, which hear ``publishers``/``leaving`` as Janus sends them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.admin_key = f"admin-{name}"
        self.publishers: dict[int, tuple[Publisher, bool]] = {}
        self.remotizations: dict[int, dict[str, int]] = {}
        """Local publisher -> remote_id -> the port it sends to."""
        self.sessions: list[FakeSession] = []
        self.listeners: list[Callable[[Json], None]] = []
        self.next_id = 100
        self.down = False

    @property
    def remote(self) -> dict[int, str]:
        """Remote publishers here, by id: their display."""
        return {i: p.display for i, (p, remote) in self.publishers.items() if remote}

    def publish(self, publisher: Publisher) -> None:
        self.publishers[publisher.id] = (publisher, False)
        self._tell({"publishers": [_entry(publisher)]})

    def leave(self, publisher: int) -> None:
        del self.publishers[publisher]
        self.remotizations.pop(publisher, None)
        self._tell({"leaving": publisher})

    def lose_connections(self) -> None:
        """The relay's connections break; the server keeps its state."""
        for session in self.sessions:
            session.lose("connection closed")
        self.sessions.clear()
        self.listeners.clear()

    def restart(self) -> None:
        """Janus killed and started again: its state is gone."""
        self.lose_connections()
        self.publishers.clear()
        self.remotizations.clear()

    def _tell(self, data: Json) -> None:
        for listener in list(self.listeners):
            listener(data)

    def videoroom(self, body: Json) -> Json:
        request = body["request"]
        if request == "join":
            locals_ = [p for p, remote in self.publishers.values()]
            return {"videoroom": "joined", "publishers": [_entry(p) for p in locals_]}
        if request == "listparticipants":
            return {
                "participants": [
                    {"id": i, "display": p.display, "remote": remote} if remote else {"id": i}
                    for i, (p, remote) in self.publishers.items()
                ]
            }
        if body.get("secret") != SECRET:
            raise JanusError(433, "Unauthorized (wrong secret)")
        if request == "add_remote_publisher":
            self.next_id += 1
            streams = tuple(
                Stream(s["type"], s["mindex"], s["mid"], s.get("codec", ""))
                for s in body["streams"]
            )
            made = Publisher(self.next_id, body["display"], streams)
            self.publishers[made.id] = (made, True)
            self._tell({"publishers": [_entry(made)]})  # before the answer, as Janus may
            return {"id": made.id, "ip": "0.0.0.0", "port": 30000 + made.id, "rtcp_port": 31000}
        if request == "remove_remote_publisher":
            if body["id"] not in self.remote:
                raise JanusError(428, "No such remote publisher")
            del self.publishers[body["id"]]
            self._tell({"leaving": body["id"]})
            return {}
        found = self.publishers.get(body["publisher_id"])
        if found is None:
            raise JanusError(428, "No such feed")
        if request == "publish_remotely":
            assert body["admin_key"] == self.admin_key
            if found[1]:
                raise JanusError(499, "Only local publishers can be remotized")
            self.remotizations.setdefault(found[0].id, {})[body["remote_id"]] = body["port"]
            return {}
        remotes = self.remotizations.setdefault(found[0].id, {})
        if request == "list_remotes":
            return {"list": [{"remote_id": r} for r in remotes]}
        if request == "unpublish_remotely":
            if remotes.pop(body["remote_id"], None) is None:
                raise JanusError(428, "No such remotization")
            return {}
        raise AssertionError(request)


class FakeSession:
    def __init__(self, janus: FakeJanus) -> None:
        self.janus = janus
        self.lost = asyncio.Event()
        self.lost_reason = ""

    def lose(self, reason: str) -> None:
        self.lost_reason = reason
        self.lost.set()

    async def request(self, message: Json, wait_event: bool = False) -> Json:
        assert message == {"janus": "info"}
        return {"version": 1102}

    async def attach(
        self, plugin: str, listener: Callable[[Json], None] | None = None
    ) -> "FakeHandle":
        if listener is not None:
            self.janus.listeners.append(listener)
        return FakeHandle(self)

    async def close(self) -> None:
        self.lose("closed")


class FakeHandle:
    def __init__(self, session: FakeSession) -> None:
        self.session = session

    async def send(self, body: Json, wait_event: bool = False) -> Json:
        if self.session.lost.is_set():
            raise JanusLostError(self.session.lost_reason)
        await asyncio.sleep(0)  # an answer comes after a turn of the loop
        return self.session.janus.videoroom(body)


def _entry(publisher: Publisher) -> Json:
    return {
        "id": publisher.id,
        "display": publisher.display,
        "streams": [s.request() for s in publisher.streams],
    }


class FakeCity:
    """Servers by URL, opened as the relay opens them (a server that is down refuses)."""

    def __init__(self, *names: str) -> None:
        self.servers = {name: FakeJanus(name) for name in names}

    def cascade(self) -> Cascade:
        servers = tuple(
            RelayServer(name, f"ws://{name}:8188/", janus.admin_key)
            for name, janus in self.servers.items()
        )
        return Cascade(servers, {ROOM: SECRET}, TOKEN_SECRET)

    async def open(self, url: str, token: Callable[[], str]) -> FakeSession:
        assert token()  # a Janus token goes with every session
        janus = self.servers[url.split("/")[2].split(":")[0]]
        if janus.down:
            raise JanusLostError(f"cannot reach {url}")
        session = FakeSession(janus)
        janus.sessions.append(session)
        return session


async def settled(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not check():  # noqa: ASYNC110 - the fake servers have no event to wait on
            await asyncio.sleep(0.005)


@pytest.mark.allow_warnings
def test_the_relay_follows_publishers_and_rebuilds_after_servers_come_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        city = FakeCity("origin", "north", "south")
        origin, north, south = city.servers.values()
        relay = MeetingRelay(city.cascade(), city.open, random.Random(7))
        relay.start()
        await settled(lambda: all(relay.is_up(name) for name in city.servers))
        # The host on the origin: one remote publisher on each edge, fed by the origin.
        origin.publish(HOST)
        await settled(lambda: len(relay.relayed) == 2)
        assert north.remote == south.remote == {101: "cityhall-host"}
        assert len(origin.remotizations[HOST.id]) == 2
        # A centre on the north edge speaks: relayed to the origin and the south, and
        # the host's copy on the north is not relayed on (it is remote there).
        north.publish(SPEAKER)
        await settled(lambda: len(relay.relayed) == 4)
        assert sorted(origin.remote.values()) == ["centre-7"]
        assert sorted(south.remote.values()) == ["centre-7", "cityhall-host"]
        assert {(r.source, r.target) for r in relay.relayed} == {
            ("origin", "north"),
            ("origin", "south"),
            ("north", "origin"),
            ("north", "south"),
        }
        # The south edge restarted: what it had is gone; it gets both again.
        south.down = True
        south.restart()
        await settled(lambda: not relay.is_up("south"))
        await settled(lambda: len(relay.relayed) == 2)
        assert len(origin.remotizations[HOST.id]) == 1  # the origin stopped sending there
        south.down = False
        await settled(lambda: len(relay.relayed) == 4)
        assert sorted(south.remote.values()) == ["centre-7", "cityhall-host"]
        # The north's connection alone breaks (its Janus keeps everything): what it
        # still holds is a left-over, removed; then made again, once.
        north.lose_connections()
        await settled(lambda: not relay.is_up("north"))
        await settled(lambda: relay.is_up("north") and len(relay.relayed) == 4)
        assert list(north.remote.values()) == ["cityhall-host"]
        assert len(north.remotizations[SPEAKER.id]) == 2
        # The host leaves: gone from both edges, nothing left on the origin.
        origin.leave(HOST.id)
        await settled(lambda: len(relay.relayed) == 2)
        assert north.remote == {} and list(south.remote.values()) == ["centre-7"]
        await relay.close()
        assert not relay.relayed
        assert origin.remote == south.remote == {} and north.remotizations[SPEAKER.id] == {}

    asyncio.run(scenario())
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sorted(warned) == sorted(
        [
            *(
                f"relay: Janus 1102 at {name} relays plain RTP (SRTP between servers needs "
                "1.3.0): keep the servers' network closed"
                for name in ("origin", "north", "south")
            ),
            "relay: server south lost: connection closed",
            "relay: server north lost: connection closed",
        ]
    )


@pytest.mark.allow_warnings
def test_a_new_cascade_takes_effect_and_the_same_one_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        city = FakeCity("origin", "north", "south")
        origin, north, south = city.servers.values()
        origin.publish(HOST)
        relay = MeetingRelay(city.cascade(), city.open, random.Random(7))
        relay.start()
        await settled(lambda: len(relay.relayed) == 2)
        made = dict(north.remote)
        await relay.reconfigure(city.cascade())
        assert north.remote == made  # untouched
        # The south edge is taken out of the meeting: its copy goes, the north's stays.
        fewer = city.cascade()
        fewer = Cascade(fewer.servers[:2], fewer.rooms, fewer.token_secret)
        await relay.reconfigure(fewer)
        await settled(lambda: len(relay.relayed) == 1)
        assert south.remote == {} and list(north.remote.values()) == ["cityhall-host"]
        assert len(origin.remotizations[HOST.id]) == 1
        await relay.close()
        await relay.close()  # twice is fine
        assert north.remote == {} and origin.remotizations[HOST.id] == {}

    asyncio.run(scenario())
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 3 and all("plain RTP" in line for line in warned)  # once each


def test_a_remote_publisher_listens_on_the_media_address_alone() -> None:
    assert _listen_on("10.8.0.2") == {"iface": "10.8.0.2"}
    assert _listen_on("fd00::2") == {"iface": "fd00::2"}
    assert _listen_on("edge-north.cityhall.lan") == {}  # a name: Janus' own choice
