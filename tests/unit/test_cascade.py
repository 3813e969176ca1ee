"""The meeting relay's rules (kiosk_provisioning.cascade): which publisher goes where,
what is remade, and the servers file. The relay against real Janus servers is
tests/calls/test_cascade.py."""

from pathlib import Path

import pytest

from kiosk_provisioning.cascade import (
    Copy,
    Publisher,
    Route,
    Stream,
    publisher_of,
    read_servers,
    routes_to_change,
    routes_wanted,
)

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
    assert routes_wanted(local, ["origin", "north", "south"]) == {
        Route(1001, "origin", 11, "north"),
        Route(1001, "origin", 11, "south"),
        Route(1001, "north", 22, "origin"),
        Route(1001, "north", 22, "south"),
    }
    # A server down neither sends nor receives.
    assert routes_wanted(local, ["origin", "south"]) == {Route(1001, "origin", 11, "south")}


def test_routes_are_removed_when_their_publisher_goes_and_remade_when_it_changes() -> None:
    to_north, to_south = Route(1001, "origin", 11, "north"), Route(1001, "origin", 11, "south")
    made = {to_north: Copy(900, "north-1", HOST.streams), to_south: Copy(901, "south-1", ())}
    local = {("origin", 1001): {11: HOST}}
    wanted = routes_wanted(local, ["origin", "north", "south"])
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
    servers.write_text(servers.read_text().replace('admin_key = "k-north"', ""))
    with pytest.raises(ValueError, match=r"server\[1\]: admin_key or janus_config"):
        read_servers(servers)
    servers.write_text(servers.read_text().replace("ws://10.20.1.1", "http://10.20.1.1"))
    with pytest.raises(ValueError, match=r"server\[1\]\.api"):
        read_servers(servers)
