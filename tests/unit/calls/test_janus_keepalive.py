"""The Janus session's WebSocket keepalive, against a stand-in server whose pongs
carry the wrong data (as Janus' libwebsockets 4.1 sends when our ping crosses its own)."""

import asyncio
import contextlib
import dataclasses
import json

import pytest
import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode

from kiosk.calls import janus
from kiosk.calls.janus import JanusSession


async def garbling_janus(socket: ServerConnection) -> None:
    """Creates sessions; answers every ping with a pong that names no ping."""
    send_frame = socket.protocol.send_frame

    def garbled(frame: Frame) -> None:
        if frame.opcode is Opcode.PONG:
            frame = dataclasses.replace(frame, data=b"\xd6\x70\xb5\x16")
        send_frame(frame)

    socket.protocol.send_frame = garbled  # type: ignore[method-assign]
    with contextlib.suppress(websockets.ConnectionClosed):
        async for raw in socket:
            request = json.loads(raw)
            reply = {"janus": "success", "transaction": request["transaction"], "data": {"id": 7}}
            await socket.send(json.dumps(reply))


def test_a_pong_with_the_wrong_data_still_keeps_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(janus, "PING_S", 0.1)
    monkeypatch.setattr(janus, "PING_TIMEOUT_S", 0.3)

    async def scenario() -> None:
        async with serve(garbling_janus, "127.0.0.1", 0, ping_interval=None) as server:
            port = server.sockets[0].getsockname()[1]
            session = await JanusSession.open(f"ws://127.0.0.1:{port}/")
            await asyncio.sleep(1.5)  # five ping timeouts
            assert not session.lost.is_set(), session.lost_reason
            await session.close()

    asyncio.run(scenario())


@pytest.mark.allow_warnings  # "janus session 7 lost: ...": what this test wants
def test_no_pong_at_all_still_loses_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(janus, "PING_S", 0.1)
    monkeypatch.setattr(janus, "PING_TIMEOUT_S", 0.3)

    async def silent_janus(socket: ServerConnection) -> None:
        send_frame = socket.protocol.send_frame

        def no_pongs(frame: Frame) -> None:
            if frame.opcode is not Opcode.PONG:
                send_frame(frame)

        socket.protocol.send_frame = no_pongs  # type: ignore[method-assign]
        await garbling_janus(socket)

    async def scenario() -> None:
        async with serve(silent_janus, "127.0.0.1", 0, ping_interval=None) as server:
            port = server.sockets[0].getsockname()[1]
            session = await JanusSession.open(f"ws://127.0.0.1:{port}/")
            async with asyncio.timeout(3):
                await session.lost.wait()
            assert "keepalive ping timeout" in session.lost_reason
            await session.close()

    asyncio.run(scenario())
