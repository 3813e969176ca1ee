"""The uploader's rules against an in-memory city hall and a virtual clock: resumes
from city hall's offset, waits with jitter while city hall is away, never sends a
message twice, keeps a refused one aside, hears when staff handled one."""

import asyncio
import datetime as dt
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from kiosk.messages.spool import Message, Spool, State
from kiosk.messages.uploader import CAP_S, CHECKING_S, CHUNK, MessageUploader
from tests.unit.messages.hall import FakeCityHall, Held, VirtualTime

WHEN = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def queue(spool: Spool, size: int) -> Message:
    path = spool.recording_path(uuid.uuid4().hex)
    path.write_bytes(os.urandom(size))
    return spool.queue(path, 20.0, WHEN)


async def until(done: Callable[[], bool], time: VirtualTime, most_s: float) -> None:
    """Let the uploader run until *done*, at most *most_s* virtual seconds."""
    while not done():
        assert time.now <= most_s, f"not done after {time.now:.0f} virtual seconds"
        await asyncio.sleep(0)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 20))


def uploader(
    spool: Spool, hall: FakeCityHall, time: VirtualTime, handled: list[Message] | None = None
) -> MessageUploader:
    told = handled if handled is not None else []
    return MessageUploader(
        spool,
        lambda: hall,
        told.append,
        clock=time.clock,
        sleep=time.sleep,
        rng=random.Random(7),
    )


def test_a_message_goes_in_chunks_and_the_box_keeps_no_copy(tmp_path: Path) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    message = queue(spool, 3 * CHUNK + 1000)
    data = spool.video(message).read_bytes()

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        await until(lambda: up.delivered == 1, time, 10)
        await up.close()

    run(scenario)
    assert bytes(hall.held[message.id].data) == data
    assert hall.requests.count("PATCH") == 4
    assert spool.in_state(State.DELIVERED) and not spool.video(message).exists()


def test_it_goes_on_from_city_halls_offset_not_from_the_start(tmp_path: Path) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    message = queue(spool, 4 * CHUNK)
    data = spool.video(message).read_bytes()
    # A box that lost power after two chunks: city hall holds them.
    hall.held[message.id] = Held(message.size, message.sha256, bytearray(data[: 2 * CHUNK]))

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        await until(lambda: up.delivered == 1, time, 10)
        await up.close()

    run(scenario)
    assert hall.requests.count("PATCH") == 2, "only the two chunks city hall lacked"
    assert bytes(hall.held[message.id].data) == data


@pytest.mark.allow_warnings  # city hall unreachable is logged once
def test_city_hall_away_for_a_day_gets_it_when_back_with_jittered_waits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    message = queue(spool, CHUNK)
    hall.down = True

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        await until(lambda: time.now >= 24 * 3600, time, 25 * 3600)
        assert up.delivered == 0
        hall.down = False
        await until(lambda: up.delivered == 1, time, 24 * 3600 + CAP_S + 1)
        await up.close()

    run(scenario)
    assert spool.in_state(State.DELIVERED)[0].id == message.id
    waits = time.slept[:-1]
    assert max(waits) <= CAP_S and len(set(waits)) == len(waits), "jittered, capped"
    assert len(waits) < 24 * 3600 / (CAP_S / 4), "no knocking every few seconds for a day"
    assert caplog.text.count("city hall cannot be reached") == 1
    assert caplog.text.count("city hall answers again") == 1


def test_a_message_city_hall_is_still_checking_is_asked_about_again_soon_not_resent(
    tmp_path: Path,
) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    message = queue(spool, 2 * CHUNK)
    data = spool.video(message).read_bytes()
    # The box lost power after its last chunk; city hall holds every byte and is
    # still checking them when the box announces the message again.
    hall.held[message.id] = Held(message.size, message.sha256, bytearray(data), "received")
    hall.checking[message.id] = 2

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        await until(lambda: up.delivered == 1, time, 3 * CHECKING_S)
        await up.close()

    run(scenario)
    assert hall.requests.count("PATCH") == 0, "nothing sent again, no empty pieces"
    assert hall.requests.count("POST") == 3
    assert spool.in_state(State.DELIVERED)[0].id == message.id


def test_a_new_message_is_sent_at_once_not_after_the_wait(tmp_path: Path) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        await until(lambda: bool(time.slept), time, 1)  # idle, waiting to poll
        before = time.now
        queue(spool, 1000)
        up.wake()
        await until(lambda: up.delivered == 1, time, before + 1)
        await up.close()

    run(scenario)


@pytest.mark.allow_warnings  # the refusal is logged
def test_a_malformed_message_is_kept_aside_and_not_tried_again(tmp_path: Path) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    bad = queue(spool, 1000)
    good = queue(spool, 1000)
    hall.malformed.add(bad.id)

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        refused = spool.refused / f"{bad.id}.webm"
        await until(lambda: up.delivered == 1 and refused.exists(), time, 10)
        await up.close()

    run(scenario)
    assert [m.id for m in spool.messages()] == [good.id]
    assert hall.requests.count("POST") == 2


def test_handled_by_staff_is_heard_once(tmp_path: Path) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    message = queue(spool, 1000)
    told: list[Message] = []

    async def scenario() -> None:
        up = uploader(spool, hall, time, told)
        up.start()
        await until(lambda: up.delivered == 1, time, 10)
        hall.held[message.id].state = "handled"
        hall.held[message.id].handled_by = "김주무관"
        await until(lambda: bool(told), time, 3600)
        polls = hall.requests.count("GET")
        await until(lambda: hall.requests.count("GET") == polls, time, time.now + 3600)
        await up.close()

    run(scenario)
    assert [(m.id, m.handled_by) for m in told] == [(message.id, "김주무관")]
    assert spool.in_state(State.HANDLED)[0].id == message.id


def test_a_part_city_hall_gave_up_starts_over(tmp_path: Path) -> None:
    spool, hall, time = Spool(tmp_path), FakeCityHall(), VirtualTime()
    spool.tidy()
    message = queue(spool, 2 * CHUNK)
    data = spool.video(message).read_bytes()
    hall.held[message.id] = Held(message.size, message.sha256, bytearray(data[:CHUNK]))
    forget = hall.append

    def swept(message_id: str, offset: int, chunk: bytes) -> object:
        hall.append = forget  # type: ignore[method-assign]
        del hall.held[message_id]  # swept between the announce and the chunk
        return forget(message_id, offset, chunk)

    hall.append = swept  # type: ignore[assignment, method-assign]

    async def scenario() -> None:
        up = uploader(spool, hall, time)
        up.start()
        await until(lambda: up.delivered == 1, time, 10)
        await up.close()

    run(scenario)
    assert bytes(hall.held[message.id].data) == data
    assert hall.requests.count("POST") == 2
