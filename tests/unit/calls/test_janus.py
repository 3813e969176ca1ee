"""Janus' WebSocket API read defensively: what the fake server sends instead of a
proper reply is a JanusError, garbage between replies is dropped, and a session
whose connection goes fails every waiter at once."""

import asyncio
from typing import Any

import pytest

from kiosk.calls.janus import JanusError, JanusSession, MalformedReplyError, SessionLostError
from kiosk.calls.videocall import read_event
from kiosk.calls.videoroom import Publisher
from kiosk.calls.videoroom import read_event as read_room_event
from tests.unit.calls.fake_janus import VIDEOCALL, VIDEOROOM, FakeJanus, Json
from tests.unit.calls.virtual import run


def replace_reply(request: str, reply: Json | str) -> Any:
    """A tamper hook: *reply* (with the request's transaction) in place of the
    real reply to every *request*."""

    def tamper(message: Json, real: Json) -> Json | str | None:
        body = message.get("body") or {}
        if message.get("janus") != request and body.get("request") != request:
            return None
        if isinstance(reply, str):
            return reply
        return {**reply, "transaction": message["transaction"]}

    return tamper


@pytest.mark.parametrize(
    "reply",
    [
        {"janus": "success"},
        {"janus": "success", "data": {"id": "twelve"}},
        {"janus": "success", "data": [1, 2]},
        {"janus": "success", "data": {"id": True}},
    ],
)
def test_a_create_reply_without_a_session_id_is_a_janus_error(reply: Json) -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        janus.tamper = replace_reply("create", reply)
        with pytest.raises(MalformedReplyError, match=r"data\.id"):
            await janus.open(janus.url)
        await asyncio.sleep(0)  # the server sees the closed connection
        assert janus.connections == []

    run(scenario())


def test_an_attach_reply_without_a_handle_id_is_a_janus_error() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        janus.tamper = replace_reply("attach", {"janus": "success", "data": {}})
        with pytest.raises(JanusError, match=r"malformed reply: no number data\.id"):
            await session.attach(VIDEOCALL)
        janus.tamper = None
        handle = await session.attach(VIDEOCALL)  # the session itself goes on
        assert handle.id in janus.handles
        await session.close()

    run(scenario())


@pytest.mark.parametrize(
    "reply",
    [
        {"janus": "event"},
        {"janus": "event", "plugindata": "videocall"},
        {"janus": "event", "plugindata": {"plugin": VIDEOCALL, "data": None}},
    ],
)
def test_a_plugin_reply_without_its_data_is_a_janus_error(reply: Json) -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        handle = await session.attach(VIDEOCALL)
        janus.tamper = replace_reply("register", reply)
        with pytest.raises(MalformedReplyError, match=r"plugindata\.data"):
            await handle.send({"request": "register", "username": "centre-1"})
        await session.close()

    run(scenario())


def test_an_unreadable_error_is_still_a_janus_error() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        janus.tamper = replace_reply("attach", {"janus": "error", "error": "no"})
        with pytest.raises(JanusError) as raised:
            await session.attach(VIDEOCALL)
        assert raised.value.code == 0
        janus.tamper = replace_reply("attach", {"janus": "error", "error": {"code": "x"}})
        with pytest.raises(JanusError):
            await session.attach(VIDEOCALL)
        await session.close()

    run(scenario())


def test_a_room_joined_without_a_feed_id_is_a_janus_error() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)

        def tamper(message: Json, real: Json) -> Json | None:
            if (message.get("body") or {}).get("request") == "join":
                real["plugindata"]["data"].pop("id")
                real["plugindata"]["data"]["publishers"] = [{"display": "no id"}, 7]
            return real

        janus.tamper = tamper
        with pytest.raises(MalformedReplyError, match="no number id"):
            await Publisher.join(session, 1001, "centre-1")
        await session.close()

    run(scenario())


GARBAGE: list[Json | str] = [
    "not json at all",
    "[1, 2, 3]",
    "[" * 100_000,
    {"janus": "event", "sender": "abc", "plugindata": {"data": {}}},
    {"janus": "event", "sender": None},
    {"janus": "event", "sender": 0, "plugindata": [1]},
    {"janus": "webrtcup", "sender": []},
    {"janus": "ack", "transaction": 5},
]


@pytest.mark.allow_warnings  # each message that is not JSON is logged
def test_garbage_between_replies_is_dropped_and_the_session_goes_on() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        handle = await session.attach(VIDEOCALL)
        await handle.send({"request": "register", "username": "centre-1"})
        for message in GARBAGE:
            janus.send_to("centre-1", message)
        # A garbled event for our own handle reads as nothing much, not a crash.
        janus.send_to(
            "centre-1",
            {"janus": "event", "sender": handle.id, "plugindata": {"data": {"result": 7}}},
        )
        janus.send_to(
            "centre-1",
            {"janus": "event", "sender": handle.id, "plugindata": "x", "jsep": {"sdp": 1}},
        )
        first, second = await handle.events.get(), await handle.events.get()
        assert read_event(first).name == "" and read_event(second).jsep is None
        names = await handle.send({"request": "list"})
        assert names.data["result"]["list"] == ["centre-1"]
        assert not session.lost.is_set()
        await session.close()

    run(scenario())


def test_a_publisher_list_with_garbage_keeps_the_feeds_that_make_sense() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        handle = await session.attach(VIDEOROOM)
        publishers = [{"id": 5, "display": "host"}, {"id": "6"}, None, {"id": False}, 3]
        data = {"videoroom": "event", "publishers": publishers}
        (connection,) = janus.connections
        connection.send({"janus": "event", "sender": handle.id, "plugindata": {"data": data}})
        room = read_room_event(await handle.events.get())
        assert [(f.id, f.display) for f in room.joined] == [(5, "host")]
        await session.close()

    run(scenario())


@pytest.mark.allow_warnings
def test_a_lost_connection_fails_every_waiter_at_once(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        handle = await session.attach(VIDEOCALL)
        await handle.send({"request": "register", "username": "centre-1"})
        janus.tamper = lambda message, real: {"janus": "nothing"}  # never a reply
        waiting = asyncio.create_task(handle.send({"request": "list"}))
        await asyncio.sleep(1)
        assert not waiting.done()
        started = asyncio.get_running_loop().time()
        janus.drop("centre-1")
        with pytest.raises(SessionLostError, match="connection closed"):
            await waiting
        assert asyncio.get_running_loop().time() == started
        assert (await handle.events.get()).kind == "lost"
        with pytest.raises(SessionLostError):
            await session.attach(VIDEOCALL)
        await session.close()

    run(scenario())
    assert "lost: connection closed" in caplog.text  # said once, as it happened


@pytest.mark.allow_warnings
def test_a_server_that_never_answers_counts_as_lost(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session = await janus.open(janus.url)
        janus.tamper = lambda message, real: {"janus": "nothing"}
        with pytest.raises(SessionLostError, match="no reply to attach in 10 s"):
            await session.attach(VIDEOCALL)
        assert session.lost.is_set()
        await session.close()

    run(scenario())
    assert "lost: no reply to attach in 10 s" in caplog.text


def test_closing_twice_is_harmless() -> None:
    async def scenario() -> None:
        janus = FakeJanus()
        session: JanusSession = await janus.open(janus.url)
        await session.close()
        await session.close()
        await asyncio.sleep(0)
        assert janus.connections == []

    run(scenario())
