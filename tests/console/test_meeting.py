"""영상 회의 end to end: the console's host page in Chromium (Selenium), city hall's
real call gate and Janus (the call rig's, in its network namespace), and two real
kiosk desks (aiortc) of two centres joining the town meeting as a centre does.

Chromium runs in our own namespace, like the desks: it reaches the console on
127.0.0.1 and the gate's staff listener on the namespace's veth address (trusting
the gate's certificate by its key), and Janus' media the same way. Selenium's calls
block, so the scenario makes them in a worker thread (:func:`page`) while the desks'
event loop keeps running.
"""

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from av import AudioFrame
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kiosk.calls.desk import CallDesk, Phase
from kiosk.calls.local import StandInMedia
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.console.models import Activity, Role
from tests.calls import identities
from tests.calls.conftest import (
    CENTRE,
    CENTRE_COLOUR,
    CENTRE_TONE,
    HALL_COLOUR,
    HALL_TONE,
    OTHER,
    RECORDS,
    ROOM,
    TUESDAY_10,
    CallServer,
    Record,
    reach,
    run,
    until,
)
from tests.calls.identities import BoxFiles
from tests.calls.signals import mean_rgb, mono_samples, near, steady_pitch
from tests.console.browser import SIZES, StaffAtConsole
from tests.console.conftest import SHOTS
from tests.console.rig import MEAN_RGB_JS, ConsoleCalls, build_centres, staff_at_calls
from tests.console.rig import NAMES as RIG_NAMES
from tests.console.server import ConsoleServer
from tests.unit.calls.rig import calls_for

T = TypeVar("T")
FIRST, SECOND = CENTRE, OTHER
NAMES = {centre: name for centre, (name, _) in RIG_NAMES.items()}
COLOURS = {FIRST: CENTRE_COLOUR, SECOND: (40, 160, 60)}
TONES = {FIRST: CENTRE_TONE, SECOND: 700}
LISTEN_S = 1.5
"""How long the second centre's sound is judged, before and after the mute."""
SETTLE_S = 0.5
"""Sound already under way when the mute was answered (jitter buffers) is not judged."""
SEEN_S = 45.0
"""Each desk shows the host's camera within this (a hang detector naming what each
desk watched, not a speed check: it takes a second or two)."""
SCENARIO_S = 240.0
"""The whole meeting; a hang detector, not a speed check."""
SPOTLIGHT_COLOUR = (
    MEAN_RGB_JS
    + """
const video = document.getElementById("spotlight-video");
if (!video || video.videoWidth === 0) return null;
return meanRgb(video);
"""
)
HOST_HEARS = """
// Test-side, injected by Selenium: the strongest pitch (Hz) and its level (dB) in what
// the host's page receives from the centre named arguments[0] (its tile's <audio>).
const audio = document.querySelector('#grid .tile[data-centre="' + arguments[0] + '"] audio');
if (!audio || !audio.srcObject) return null;
window.__ears = window.__ears || {};
let ear = window.__ears[arguments[0]];
const fresh = !ear || ear.stream !== audio.srcObject;
if (fresh) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(audio.srcObject).connect(analyser);
  ear = { stream: audio.srcObject, analyser: analyser, rate: context.sampleRate };
  window.__ears[arguments[0]] = ear;
}
const bins = new Float32Array(ear.analyser.frequencyBinCount);
ear.analyser.getFloatFrequencyData(bins);
let best = 0;
for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
return { pitch: best * ear.rate / ear.analyser.fftSize, level: Math.max(bins[best], -200),
         fresh: fresh };
"""
HEARD_DB, SILENT_DB = -60.0, -100.0
"""A tone the host's page hears is well above the first; a muted centre's, below the second."""
FETCH_START = """
const done = arguments[arguments.length - 1];
const token = document.querySelector('meta[name="csrf-token"]').content;
fetch(arguments[0], { method: "POST", headers: { "X-CSRFToken": token } })
  .then(function (reply) { done(reply.status); });
"""


class MeetingServer(CallServer):
    """The call rig's server (:class:`tests.calls.conftest.CallServer`, as the console's
    call tests use it), but with both test centres in the town meeting and both
    boxes enrolled."""

    def __init__(self, network: PrivateNetwork, folder: Path) -> None:
        centres = {FIRST: (ROOM,), SECOND: (ROOM,)}
        identities.CallServer.__init__(self, network, folder, centres, {ROOM: "군민 회의"}, FIRST)
        self.boxes: dict[str, BoxFiles] = {
            FIRST: self.box,
            SECOND: self.identity.enrol(SECOND, folder / "box-2"),
        }


NAMESPACE = 9
"""This test's own city hall namespace (the call tests use 0, the console's call tests
12): another engineer's call test running at the same time must not meet this gate."""


@pytest.fixture
def meeting(tmp_path: Path) -> Iterator[ConsoleCalls]:
    """Janus and the gate in the test's namespace, the centres built (the console's
    call rig's :func:`~tests.console.rig.build_centres`: both in the town meeting),
    the console with a host and a caller."""
    with PrivateNetwork(NAMESPACE) as network, MeetingServer(network, tmp_path / "calls") as janus:
        build_centres(janus.identity.repo, janus)
        console = ConsoleServer(
            janus.identity.repo, tmp_path / "console", gate_url=janus.staff_door.url
        )
        console.add_staff("host", "이회의", Role.HOST, department="자치행정과")
        with console:
            yield ConsoleCalls(janus, console)


@pytest.fixture
def host_browser(meeting: ConsoleCalls, tmp_path: Path) -> Iterator[StaffAtConsole]:
    """Chromium at the console sending the hall's colour and tone, trusting the gate."""
    with staff_at_calls(meeting, tmp_path / "chromium") as browser:
        yield browser


async def page(action: Callable[..., T], *args: Any) -> T:
    """*action* on the browser, in a worker thread (Selenium blocks)."""
    return await asyncio.to_thread(action, *args)


class Ears:
    """Every sound each far side delivered to a desk's speaker, as it arrived: a spy on
    its real :class:`~kiosk.calls.speaker.Mixer` (which goes on mixing as before).
    Needed because a muted centre sends nothing at all, and the mixer waits for every
    source before it hands out sound."""

    def __init__(self, media: StandInMedia) -> None:
        self.sounds: list[tuple[float, int, list[int]]] = []
        """(arrival, sample rate, mono samples), from every source."""
        self._by_source: dict[int, list[tuple[float, int, list[int]]]] = {}
        mixer = media.mixer
        hear = mixer.hear

        def heard(source: object, frame: AudioFrame) -> None:
            hear(source, frame)
            sound = (time.monotonic(), frame.sample_rate, mono_samples(frame))
            self._by_source.setdefault(id(source), []).append(sound)

        mixer.hear = heard  # type: ignore[method-assign]

    def tones(self, since: float) -> list[list[int]]:
        """Each far side's sound that arrived after *since* (monotonic), 48 kHz."""
        return [
            [x for when, _, samples in sounds if when >= since for x in samples]
            for sounds in self._by_source.values()
        ]

    def described(self, since: float) -> str:
        """Each far side's sound since *since*: its length and its tones' shares."""
        return "; ".join(
            f"{len(samples)} samples, "
            + ", ".join(
                f"{hertz} Hz {steady_pitch(samples, 48_000, hertz):.2f}"
                for hertz in (*TONES.values(), HALL_TONE)
            )
            for samples in self.tones(since)
        )

    def share(self, since: float, hertz: int) -> float:
        """The largest steady share of *hertz* in any far side's sound since *since*."""
        return max(
            (steady_pitch(samples, 48_000, hertz) for samples in self.tones(since) if samples),
            default=0.0,
        )


EARS: dict[str, Ears] = {}


async def desk_in_room(janus: MeetingServer, centre: str) -> CallDesk:
    """The centre's kiosk desk (its own box certificate), in the town meeting."""
    media = StandInMedia(COLOURS[centre], TONES[centre])
    EARS[centre] = Ears(media)
    desk = CallDesk(
        calls_for(janus, call_name=centre),
        centre,
        media,
        lambda: TUESDAY_10,
        open_session=janus.box_session(janus.boxes[centre]),
    )
    RECORDS[desk] = Record(desk, media)
    desk.start()
    await reach(desk, Phase.IDLE)
    assert desk.join("town-meeting")
    await reach(desk, Phase.IN_ROOM)
    return desk


def watching(desk: CallDesk) -> str:
    """What *desk* is doing, for a failure: its phase and, for each feed it watches,
    how long nothing came and whether a picture has."""
    group = desk._rooms.group
    feeds = (
        "; ".join(
            f"{w.feed.display}: silent {w.peer.silence():.1f} s, "
            f"picture {'yes' if w.peer.picture() is not None else 'none'}"
            for w in group.watched.values()
        )
        if group is not None
        else "no group"
    )
    return f"{desk.view.phase.name}, {feeds or 'watching nobody'}"


def tiles(browser: StaffAtConsole) -> dict[str, str]:
    """The grid as shown: call name -> the centre's name on its tile."""
    script = """return Array.from(document.querySelectorAll('#grid .tile')).map(
        function (t) { return [t.dataset.centre, t.querySelector('.tile-name').textContent]; });"""
    return dict(browser.driver.execute_script(script))


def activities(console: ConsoleServer) -> list[tuple[str, str]]:
    engine = create_engine(console.database)
    try:
        with Session(engine) as db:
            rows = db.scalars(select(Activity).order_by(Activity.id)).all()
            return [(row.what, row.detail) for row in rows if row.what.startswith("meeting")]
    finally:
        engine.dispose()


def host_hears(browser: StaffAtConsole, centre: str, hertz: int) -> bool:
    """Whether the host's page now receives *hertz* from *centre*, clearly."""
    found = browser.driver.execute_script(HOST_HEARS, centre)
    return bool(found) and abs(found["pitch"] - hertz) < 12 and found["level"] > HEARD_DB


def host_hears_nothing(browser: StaffAtConsole, centre: str) -> bool:
    """Whether the host's page now receives silence from *centre* (judged by a listener
    that heard it before: a new one reads silence at first)."""
    found = browser.driver.execute_script(HOST_HEARS, centre)
    return bool(found) and not found["fresh"] and found["level"] < SILENT_DB


async def recorded(console: ConsoleServer, what: str, detail: str) -> None:
    """The page tells the console after the fact (its own fetch): poll its activity log
    until the newest meeting entry is *what* with *detail*."""
    await until(lambda: activities(console)[-1:] == [(what, detail)], step=0.1)


def shoot(browser: StaffAtConsole, name: str) -> None:
    for label, size in (("1366x768", SIZES["laptop"]), ("1920x1080", SIZES["desktop"])):
        browser.shot(SHOTS / f"{name}-{label}.png", size)
    browser.driver.set_window_size(*SIZES["laptop"])


def test_host_runs_the_town_meeting_with_two_centres(
    meeting: ConsoleCalls, host_browser: StaffAtConsole
) -> None:
    janus, meeting_console, browser = meeting.janus, meeting.console, host_browser
    assert isinstance(janus, MeetingServer)
    browser.sign_in("host")
    browser.open("/meeting/")
    start = browser.find("button.start")
    assert browser.find(".room h2").text == "군민 회의"
    shoot(browser, "meeting")

    async def scenario() -> None:
        await page(start.click)
        await page(browser.wait, lambda: browser.find("#stage-state").text == "회의 중")
        # The pass was asked for (and the start recorded) before the page joined.
        assert activities(meeting_console)[-1] == ("meeting-started", f"{ROOM} 군민 회의")

        desks = {centre: await desk_in_room(janus, centre) for centre in (FIRST, SECOND)}
        # Both centres in the grid, by the names their boxes' certificates prove.
        await page(browser.wait, lambda: tiles(browser) == NAMES)
        assert browser.find("#count").text == "2"
        # The host's camera on both centres' screens (shown first: the room's host).
        for desk in desks.values():
            try:
                async with asyncio.timeout(SEEN_S):
                    await until(
                        lambda d=desk: (
                            bool(d.remote_frames())  # type: ignore[misc]
                            and near(mean_rgb(d.remote_frames()[0]), HALL_COLOUR)
                        )
                    )
            except TimeoutError:
                pytest.fail(f"{desk.name} never showed the host: {watching(desk)}")

        # 크게 보기: the second centre large beside the grid, its own picture in it.
        spot = browser.find(f'#grid .tile[data-centre="{SECOND}"] .spot')
        await page(spot.click)
        await page(
            browser.wait, lambda: browser.find("#spotlight").get_attribute("data-centre") == SECOND
        )
        assert browser.find("#spotlight").is_displayed()
        assert browser.find("#spotlight-name").text == NAMES[SECOND]
        await page(
            browser.wait,
            lambda: near(
                tuple(browser.driver.execute_script(SPOTLIGHT_COLOUR) or (0, 0, 0)),
                COLOURS[SECOND],
            ),
        )
        await page(shoot, browser, "meeting-spotlight")

        # 소리 끄기 on the first centre: the second centre no longer hears it, while
        # the first still hears the second (both heard each other before). The
        # host's own voice is no witness here: Chromium's noise suppression fades
        # its fake microphone's steady tone to near silence within seconds.
        await page(browser.wait, lambda: host_hears(browser, FIRST, TONES[FIRST]))
        await page(browser.wait, lambda: host_hears(browser, SECOND, TONES[SECOND]))
        began = time.monotonic()
        await until(lambda: time.monotonic() - began > LISTEN_S)
        assert EARS[SECOND].share(began, TONES[FIRST]) > 0.2, EARS[SECOND].described(began)
        assert EARS[FIRST].share(began, TONES[SECOND]) > 0.2, EARS[FIRST].described(began)
        mute = browser.find(f'#grid .tile[data-centre="{FIRST}"] .mute')
        await page(mute.click)
        first = f'#grid .tile[data-centre="{FIRST}"]'
        await page(browser.wait, lambda: browser.find(first).get_attribute("data-muted") == "yes")
        muted = time.monotonic() + SETTLE_S  # what was already on its way has arrived
        await until(lambda: time.monotonic() - muted > LISTEN_S)
        assert EARS[SECOND].share(muted, TONES[FIRST]) < 0.05, EARS[SECOND].described(muted)
        assert EARS[FIRST].share(muted, TONES[SECOND]) > 0.2, EARS[FIRST].described(muted)
        await page(browser.wait, lambda: host_hears_nothing(browser, FIRST))
        await page(browser.wait, lambda: host_hears(browser, SECOND, TONES[SECOND]))
        await recorded(meeting_console, "meeting-muted", f"{ROOM} {NAMES[FIRST]} ({FIRST})")
        # 소리 켜기: heard again.
        await page(mute.click)
        await page(browser.wait, lambda: browser.find(first).get_attribute("data-muted") == "no")
        unmuted = time.monotonic() + SETTLE_S
        await until(lambda: time.monotonic() - unmuted > LISTEN_S)
        assert EARS[SECOND].share(unmuted, TONES[FIRST]) > 0.2, EARS[SECOND].described(unmuted)
        await recorded(meeting_console, "meeting-unmuted", f"{ROOM} {NAMES[FIRST]} ({FIRST})")

        # The first centre leaves: its tile goes, the count follows.
        desks[FIRST].hang_up()
        await reach(desks[FIRST], Phase.IDLE)
        await page(browser.wait, lambda: tiles(browser) == {SECOND: NAMES[SECOND]})
        assert browser.find("#count").text == "1"

        await page(browser.find("#end").click)
        await page(browser.wait, lambda: browser.find("#rooms").is_displayed())
        await recorded(meeting_console, "meeting-ended", f"{ROOM} 군민 회의")

        # Started again while a centre is still in the room: it is there at once.
        await page(browser.find("button.start").click)
        await page(browser.wait, lambda: tiles(browser) == {SECOND: NAMES[SECOND]})
        assert browser.find("#stage-state").text == "회의 중"
        await page(browser.find("#end").click)
        await recorded(meeting_console, "meeting-ended", f"{ROOM} 군민 회의")
        for desk in desks.values():
            await desk.close()

    run(scenario(), limit=SCENARIO_S)
    assert browser.console_errors() == []


def test_a_caller_may_not_host(console: ConsoleServer, browser: StaffAtConsole) -> None:
    """Neither the page nor a pass: a caller-only account gets 403 for both (the
    room's number does not matter: the role is checked first)."""
    browser.sign_in("caller")
    browser.open("/meeting/")
    assert "권한 없음" in browser.find("h1").text
    status = browser.driver.execute_async_script(FETCH_START, f"/meeting/{ROOM}/start")
    assert status == 403
    assert activities(console) == []
