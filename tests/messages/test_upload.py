"""A box's messages reach city hall's real identity service (Contract M) as the box's
own identity: through a power cut mid-upload, through a day with city hall away, and
the box hears when staff handled one. Messages are recorded by the box's own ffmpeg
command from ffmpeg's generated camera and microphone."""

import asyncio
import hashlib
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.messages.spool import Message, State
from kiosk.messages.uploader import CAP_S, CHUNK, MessageUploader
from tests.messages.rig import CENTRE, WHEN, CityHallRig, decodes, streams
from tests.unit.messages.hall import VirtualTime

DAY_S = 24 * 3600.0
LIMIT_S = 120


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[CityHallRig]:
    made = CityHallRig(tmp_path)
    try:
        yield made
    finally:
        made.close()


def deliver(
    rig: CityHallRig,
    done: Callable[[MessageUploader], bool],
    time: VirtualTime | None = None,
    handled: list[Message] | None = None,
) -> MessageUploader:
    """Run the box's uploader on *rig*'s spool until *done* (asked each time a message
    is delivered or handled)."""
    hall = rig.city_hall()
    told = handled if handled is not None else []
    extra = {"clock": time.clock, "sleep": time.sleep} if time else {}

    async def scenario() -> MessageUploader:
        changed = asyncio.Event()

        def heard(message: Message, into: list[Message] | None = None) -> None:
            if into is not None:
                into.append(message)
            changed.set()

        uploader = MessageUploader(
            rig.spool,
            lambda: hall,
            lambda message: heard(message, told),
            heard,
            rng=random.Random(3),
            **extra,  # type: ignore[arg-type]
        )
        uploader.start()
        while not done(uploader):
            await changed.wait()
            changed.clear()
        await uploader.close()
        return uploader

    return asyncio.run(asyncio.wait_for(scenario(), LIMIT_S))


def one_copy(rig: CityHallRig, digest: str) -> Path:
    """City hall holds exactly one message, whole (its digest), playable; no part left."""
    store = rig.store()
    delivered = store.delivered()
    assert len(delivered) == 1, delivered
    path = store.file(delivered[0])
    assert list((store.folder / CENTRE).iterdir()) == [path]
    assert not any(store.incoming.iterdir()), "no partial upload is left behind"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert streams(path) == ["vp8 480x360", "opus"]
    assert decodes(path)
    return path


def test_a_power_cut_mid_upload_resumes_where_city_hall_is(rig: CityHallRig) -> None:
    message = rig.record(20)
    assert message.size > 2 * CHUNK, "three chunks or more: the cut falls between them"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.messages.upload_child", str(rig.paths.state), rig.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert int(child.stdout.readline()) == CHUNK
        child.stdin.write("\n")
        child.stdin.flush()
        assert int(child.stdout.readline()) == 2 * CHUNK
    finally:
        child.kill()  # SIGKILL: the box loses power
        child.wait()
        child.stdin.close()
        child.stdout.close()
    held = rig.city_hall().progress(message.id)
    assert (held.offset, held.state) == (2 * CHUNK, "uploading")
    assert rig.spool.in_state(State.QUEUED) == [message], "the box still has it queued"

    patches: list[int] = []
    hall_append = type(rig.city_hall()).append

    def counting(self: object, message_id: str, offset: int, chunk: bytes) -> object:
        patches.append(offset)
        return hall_append(self, message_id, offset, chunk)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kiosk.messages.cityhall.CityHallMessages.append", counting)
        deliver(rig, lambda up: up.delivered == 1)
    assert patches[0] == 2 * CHUNK, "it went on from city hall's offset"
    assert len(patches) == -(-(message.size - 2 * CHUNK) // CHUNK)
    one_copy(rig, message.sha256)
    assert rig.spool.in_state(State.DELIVERED)[0].id == message.id
    assert not rig.spool.video(message).exists()


@pytest.mark.allow_warnings  # city hall unreachable is logged once
def test_city_hall_down_for_a_day_gets_the_message_when_back(
    rig: CityHallRig, caplog: pytest.LogCaptureFixture
) -> None:
    message = rig.record(3)
    rig.down()
    time = VirtualTime()
    sleep = time.sleep

    async def sleep_then_maybe_back(seconds: float) -> None:
        await sleep(seconds)
        if time.now >= DAY_S and rig.service is None:
            await asyncio.to_thread(rig.up)

    time.sleep = sleep_then_maybe_back  # type: ignore[method-assign]
    uploader = deliver(rig, lambda up: up.delivered == 1, time)
    assert DAY_S <= time.now <= DAY_S + CAP_S + 1
    assert uploader.attempts < DAY_S / (CAP_S / 4), "no knocking every few seconds all day"
    one_copy(rig, message.sha256)
    assert caplog.text.count("messages: city hall cannot be reached") == 1


def test_the_box_hears_once_when_staff_handled_its_message(rig: CityHallRig) -> None:
    message = rig.record(2)
    time = VirtualTime()
    told: list[Message] = []
    deliver(rig, lambda up: up.delivered == 1, time, told)
    assert told == []
    assert rig.store().mark_handled(message.id, "staff-kim") is not None
    deliver(rig, lambda up: bool(told), time, told)
    assert [(m.id, m.handled_by) for m in told] == [(message.id, "staff-kim")]
    assert rig.spool.in_state(State.HANDLED)[0].id == message.id


@pytest.mark.allow_warnings  # the refusal is logged
def test_a_message_city_hall_finds_malformed_is_kept_aside_not_retried(
    rig: CityHallRig, caplog: pytest.LogCaptureFixture
) -> None:
    out = rig.spool.recording_path("0" * 32)  # sent first: the same time, the lower id
    out.write_bytes(b"not a webm at all" * 1000)
    bad = rig.spool.queue(out, 2.0, WHEN)
    good = rig.record(1)
    deliver(rig, lambda up: up.delivered == 1)
    assert (rig.spool.refused / f"{bad.id}.webm").exists()
    assert [m.id for m in rig.spool.messages()] == [good.id]
    assert bad.id not in [m.id for m in rig.spool.messages()]
    assert f"message {bad.id} refused by city hall" in caplog.text
