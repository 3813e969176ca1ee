"""The line to city hall on a fake Janus, on a virtual clock: it registers, comes
back after every loss, outlives any fault, and knocks ever more slowly on a server
that is down (or that drops every registration at once)."""

import asyncio
import itertools
import logging
import random
import ssl

import pytest

from kiosk.backoff import Backoff
from kiosk.calls.janus import JanusSession, SessionLostError
from kiosk.calls.line import CallLine, LineSettings, identified
from kiosk.calls.videocall import CallEvent
from tests.unit.calls.fake_janus import FakeJanus, FakeNet, Json
from tests.unit.calls.test_janus import replace_reply
from tests.unit.calls.virtual import now, run

SETTINGS = LineSettings("ws://fake-janus/", "", "centre-1")


class Listener:
    """What the line said, in order."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.changed = asyncio.Event()

    def line_up(self) -> None:
        self.said.append("up")
        self.changed.set()

    def line_down(self) -> None:
        self.said.append("down")
        self.changed.set()

    def line_event(self, event: CallEvent) -> None:
        self.said.append(event.name)
        self.changed.set()

    async def next(self, what: str) -> None:
        """Until the line says *what* (again)."""
        seen = self.said.count(what)
        while self.said.count(what) == seen:
            self.changed.clear()
            await self.changed.wait()


def line_on(janus: FakeJanus | FakeNet, listener: Listener, seed: int = 1) -> CallLine:
    rng = random.Random(seed)
    clock = asyncio.get_running_loop().time
    return CallLine(SETTINGS, listener, janus.open, backoff=lambda: Backoff(rng=rng, clock=clock))


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.mark.allow_warnings
def test_the_line_registers_and_comes_back_after_each_loss() -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        line = line_on(janus, listener)
        line.start()
        await listener.next("up")
        assert janus.registered() == ["centre-1"] and line.up
        await asyncio.sleep(60)  # up a while: the next loss is retried at once
        for _ in range(3):
            janus.drop("centre-1")
            lost = now()
            await listener.next("up")
            assert now() - lost <= 0.25
            await asyncio.sleep(60)
        assert listener.said == ["up", "down"] * 3 + ["up"]
        janus.send_to("centre-1", {"janus": "event", "sender": 0})  # for nobody: dropped
        await line.close()
        assert listener.said[-1] == "down" and janus.registered() == []

    run(scenario())


@pytest.mark.allow_warnings
def test_a_server_that_is_down_is_knocked_on_ever_more_slowly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        janus.stop()
        line = line_on(janus, listener)
        line.start()
        await asyncio.sleep(600)  # ten (virtual) minutes of a server that is down
        knocks = janus.connects
        # Full jitter capped at 30 s: about 40 attempts (15 s apart on average once
        # at the cap), where 2 s ±20 % made 300.
        assert 20 <= len(knocks) <= 60, len(knocks)
        assert max(gaps(knocks)) <= 30
        assert sum(gaps(knocks)[-10:]) / 10 > 8  # at the cap, not in step
        janus.start()
        back = now()
        await listener.next("up")
        assert now() - back <= 30
        await line.close()

    run(scenario())
    said = [r.getMessage() for r in caplog.records if r.name == "kiosk.calls.line"]
    assert (
        said.count(
            "call server: cannot reach ws://fake-janus/: connection refused (retrying quietly)"
        )
        == 1
    )


@pytest.mark.allow_warnings
def test_a_server_dropping_every_registration_is_not_hammered() -> None:
    """The count starts over only after a connection stayed up a while: resetting on
    every connect would knock every quarter second on a crash-looping server."""

    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()

        def drop_after_register(message: Json, reply: Json) -> None:
            body = message.get("body") or {}
            if body.get("request") == "register":
                asyncio.get_running_loop().call_soon(janus.drop, str(body["username"]))

        janus.tamper = drop_after_register
        line = line_on(janus, listener)
        line.start()
        await asyncio.sleep(600)
        registrations = janus.count("register")
        assert 20 <= registrations <= 60, registrations
        await line.close()

    run(scenario())


GARBLED_REPLIES: list[tuple[str, Json | str]] = [
    ("create", {"janus": "success"}),
    ("create", "{{ not json"),
    ("attach", {"janus": "success", "data": {"id": "x"}}),
    ("register", {"janus": "event", "plugindata": 3}),
]


@pytest.mark.allow_warnings
@pytest.mark.parametrize(("request_name", "reply"), GARBLED_REPLIES)
def test_the_line_outlives_garbled_replies(
    request_name: str, reply: Json | str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        janus.tamper = replace_reply(request_name, reply)
        line = line_on(janus, listener)
        line.start()
        await asyncio.sleep(120)
        assert not line.up and len(janus.connects) > 5
        janus.tamper = None  # the server speaks properly again
        await listener.next("up")
        assert janus.registered() == ["centre-1"]
        await line.close()

    run(scenario())
    failures = [r for r in caplog.records if r.name == "kiosk.calls.line" and r.levelno >= 30]
    assert len(failures) == 1, [r.getMessage() for r in failures]  # once, not per attempt


@pytest.mark.allow_warnings
def test_the_line_outlives_any_fault_in_an_attempt(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        faults = 0

        async def faulty(url: str, api_secret: str | None = None) -> object:
            nonlocal faults
            if faults < 3:
                faults += 1
                raise KeyError("id")  # what a misread reply used to end the line with
            return await janus.open(url, api_secret)

        clock = asyncio.get_running_loop().time
        line = CallLine(SETTINGS, listener, faulty, backoff=lambda: Backoff(clock=clock))  # type: ignore[arg-type]
        line.start()
        await listener.next("up")
        assert faults == 3
        await line.close()

    run(scenario())
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "call line failed (KeyError: 'id')" in errors[0].getMessage()
    assert errors[0].exc_info is not None  # with its traceback


@pytest.mark.allow_warnings
def test_a_listener_that_raises_costs_one_attempt_not_the_line() -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        refusals = 0

        def line_up() -> None:
            nonlocal refusals
            if refusals < 2:
                refusals += 1
                raise RuntimeError("a bug in the desk")
            Listener.line_up(listener)

        listener.line_up = line_up  # type: ignore[method-assign]
        line = line_on(janus, listener)
        line.start()
        await listener.next("up")
        assert refusals == 2 and line.up
        await line.close()

    run(scenario())


def test_new_settings_register_anew_and_unchanged_ones_do_nothing() -> None:
    async def scenario() -> None:
        first, second = FakeJanus("ws://one/"), FakeJanus("ws://two/")
        listener = Listener()
        line = line_on(FakeNet(first, second), listener)
        line.change(LineSettings("ws://one/", "", "centre-1"))
        line.start()
        await listener.next("up")
        line.change(LineSettings("ws://one/", "", "centre-1"))
        await asyncio.sleep(10)
        assert first.count("register") == 1
        line.change(LineSettings("ws://one/", "", "centre-9"))
        await listener.next("up")
        assert first.registered() == ["centre-9"]
        line.change(LineSettings("ws://two/", "", "centre-9"))
        await listener.next("up")
        assert (first.registered(), second.registered()) == ([], ["centre-9"])
        line.change(None)
        await listener.next("down")
        await asyncio.sleep(60)
        assert not line.up and second.registered() == [] and len(second.connects) == 1
        await line.close()

    run(scenario())


def test_settings_given_before_the_start_wait_for_it() -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        line = CallLine(None, listener, janus.open)
        line.change(SETTINGS)
        await asyncio.sleep(5)
        assert janus.connects == []
        line.start()
        await listener.next("up")
        await line.close()
        await line.close()

    run(scenario())


def test_closing_while_connecting_leaves_no_session() -> None:
    async def scenario() -> None:
        janus, listener = FakeJanus(), Listener()
        janus.tamper = lambda message, reply: {"janus": "nothing"}  # no reply ever
        line = line_on(janus, listener)
        line.start()
        await asyncio.sleep(1)
        assert len(janus.connections) == 1
        await line.close()
        await asyncio.sleep(0)
        assert janus.connections == [] and listener.said == []

    run(scenario())


def test_identified_sessions_show_the_box_certificate_made_anew_each_time() -> None:
    """At a ``wss://`` server the box connects with the TLS context of that moment
    (a renewed certificate is used at the next connection); a ``ws://`` one (tests,
    the demo) gets none, and no context is made for it."""
    made: list[ssl.SSLContext] = []

    def context() -> ssl.SSLContext:
        made.append(ssl.create_default_context())
        return made[-1]

    seen: list[tuple[str, ssl.SSLContext | None]] = []

    async def connect(
        url: str, api_secret: str | None, /, *, tls: ssl.SSLContext | None = None
    ) -> JanusSession:
        seen.append((url, tls))
        raise SessionLostError("only recorded")

    async def scenario() -> None:
        open_session = identified(context, connect)
        for url in ("wss://calls.example/", "wss://calls.example/", "ws://198.18.0.2:8188/"):
            with pytest.raises(SessionLostError):
                await open_session(url, None)

    asyncio.run(scenario())
    assert len(made) == 2
    assert seen == [
        ("wss://calls.example/", made[0]),
        ("wss://calls.example/", made[1]),
        ("ws://198.18.0.2:8188/", None),
    ]
