"""Interop with a real browser: city hall staff in Chromium with janus.js call the
centre, take its call and share a room with it; media flows both ways."""

from collections.abc import Callable

from kiosk.calls.desk import CallDesk, Phase
from tests.calls.chromium import Report, StaffBrowser
from tests.calls.conftest import (
    CENTRE_COLOUR,
    CENTRE_TONE,
    HALL_COLOUR,
    HALL_TONE,
    CallServer,
    calls_for,
    heard,
    reach,
    run,
    started,
    until,
)
from tests.calls.signals import mean_rgb, near, steady_pitch

PITCH_HZ = 12.0
"""The browser's pitch estimate is one FFT bin (48 kHz / 8192 ≈ 6 Hz) wide."""


def sees_centre(report: Report) -> bool:
    if report["event"] != "picture":
        return False
    red, green, blue = report["colour"]
    return near((int(red), int(green), int(blue)), CENTRE_COLOUR)


def hears_centre(report: Report) -> bool:
    return report["event"] == "sound" and abs(float(report["pitch"]) - CENTRE_TONE) <= PITCH_HZ


async def both_ways(desk: CallDesk, browser: StaffBrowser) -> None:
    """The browser sees the centre's colour and hears its tone; the centre sees the
    browser's camera and its speaker plays the browser's microphone."""
    await browser.next(sees_centre)
    await browser.next(hears_centre)

    def centre_sees_hall() -> bool:
        frames = desk.remote_frames()
        return bool(frames) and near(mean_rgb(frames[0]), HALL_COLOUR)

    await until(centre_sees_hall)
    speaker = await heard(desk, windows=5)
    assert steady_pitch(speaker, 48_000, HALL_TONE) > 0.8
    assert steady_pitch(speaker, 48_000, CENTRE_TONE) < 0.05


def videocall_event(name: str) -> Callable[[Report], bool]:
    return lambda report: report["event"] == "videocall" and report["name"] == name


def test_staff_in_a_browser_calls_the_centre(janus: CallServer, browser: StaffBrowser) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        with browser.showing(me="cityhall-welfare", centre="centre-1"):
            ringing = await reach(desk, Phase.RINGING)
            assert ringing.who == "남원시청 복지과"
            desk.answer()
            await reach(desk, Phase.IN_CALL)
            await both_ways(desk, browser)
            desk.hang_up()
            await browser.next(videocall_event("hangup"))
            await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)


def test_the_senior_calls_staff_in_a_browser(janus: CallServer, browser: StaffBrowser) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        with browser.showing(me="cityhall-welfare", answer="1"):
            await browser.next(videocall_event("registered"))
            assert desk.call("city-hall")
            await reach(desk, Phase.IN_CALL)
            await both_ways(desk, browser)
        # The browser closing its tab is city hall hanging up.
        await reach(desk, Phase.ENDED)
        await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)


def test_a_browser_hosts_a_room_the_centre_joins(janus: CallServer, browser: StaffBrowser) -> None:
    async def scenario() -> None:
        desk = await started(calls_for(janus))
        with browser.showing(me="cityhall-host", room="1001"):
            await browser.next(lambda r: r["event"] == "webrtc" and r["up"])
            assert desk.join("town-meeting")
            await reach(desk, Phase.IN_ROOM)
            await both_ways(desk, browser)
            desk.hang_up()
            await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)
