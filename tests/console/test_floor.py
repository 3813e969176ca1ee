"""A town meeting's floor, end to end on city hall's side (issue 17): the console's host
page in Chromium (Selenium), in a meeting through city hall's real call gate and Janus
(their network namespace, as ``test_meeting``), the fleet's real mosquitto with the
access list the build's rooms make, and the two centres' boxes as MQTT clients with
their own certificates (the box's own fleet link is the kiosk's side, tested there).

Both centres come online, in the meeting (their boxes' statuses say its room), and raise
their hands; the page lists them in the order they
went up; 발언권 주기 puts the first on air: the box reads a floor on ``floor/room/<n>``
that city hall's alert key signed naming it; 발언권 거두기 sends a newer one without it.
Both on air, 모두 발언권 거두기 leaves only the host. The activity log says who gave
and took the floor.

The audience on demand: 모습 보기 shows a dozen of the centres present in the meeting
(never one whose box is online but not in the room: its picture would never come); the
boxes of the two test centres (their own certificates, through the
gate, which knows the room is a town meeting) send their camera alone once the floor
names them, and the page shows each picture small under the centre's name, subscribed
(Janus' admin API says) to their video only; 다음 ▶ and 모습 보기 끝 close the
subscriptions of the centres no longer shown while their boxes still send.
"""

import base64
import json
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kiosk.calls.group import GroupCall
from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.tracks import ColourTrack, ToneTrack
from kiosk_contract.config.calls import Room
from kiosk_contract.config.fleet import FleetChannel
from kiosk_contract.fleet import BoxStatus, Presence, presence_topic, status_topic
from kiosk_contract.floor import (
    FLOOR_HOURS,
    MAX_SHOWN,
    Floor,
    Hand,
    floor_topic,
    hand_topic,
    open_floor,
)
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.broker.alertkey import alert_public_key
from kiosk_provisioning.broker.config import parse_url, rooms_of, write_acl
from kiosk_provisioning.console.floor import FloorSender
from kiosk_provisioning.console.models import Activity, Role
from kiosk_provisioning.identity.directory import read_floor
from tests.broker import Broker, Peer
from tests.calls.conftest import ROOM, run
from tests.calls.signals import near
from tests.console.browser import StaffAtConsole
from tests.console.conftest import SHOTS
from tests.console.rig import MEAN_RGB_JS, ConsoleCalls, build_centres, staff_at_calls
from tests.console.rig import NAMES as RIG_NAMES
from tests.console.server import ConsoleServer
from tests.console.test_meeting import (
    COLOURS,
    FIRST,
    SECOND,
    TONES,
    MeetingServer,
    page,
    tiles,
)

NAMESPACE = 17
"""This test's own city hall namespace (the meeting test's is 9, the questions' 15)."""
SCREENSHOT = SHOTS / "console-floor-1366x768.png"
AUDIENCE_SCREENSHOT = SHOTS / "console-audience-1366x768.png"
EXTRA = "효자"
"""The more centres' names: 효자 01 경로당, ... (listed after the two test centres)."""
SCENARIO_S = 240.0
"""The audience test's whole meeting; a hang detector, not a speed check."""
NAMES = {centre: name for centre, (name, _) in RIG_NAMES.items()}
ROWS = """return Array.from(document.querySelectorAll(arguments[0] + ' li')).map(
    function (row) { return row.dataset.centre; });"""


class FloorCity:
    """The meeting's city hall (Janus, gate, console) with the fleet's broker."""

    def __init__(self, rig: ConsoleCalls, broker: Broker) -> None:
        self.rig, self.broker = rig, broker

    def box(self, centre: str) -> Peer:
        janus = self.rig.janus
        assert isinstance(janus, MeetingServer)
        if centre not in janus.boxes:  # one of the more centres: enrolled on first use
            folder = self.rig.console.folder / "boxes" / centre
            janus.boxes[centre] = janus.identity.enrol(centre, folder)
        return self.broker.box(janus.boxes[centre]).connect()

    def activities(self) -> list[tuple[str, str]]:
        engine = create_engine(self.rig.console.database)
        try:
            with Session(engine) as session:
                rows = session.scalars(select(Activity).order_by(Activity.id))
                return [(a.what, a.detail) for a in rows if a.what.startswith("meeting-floor")]
        finally:
            engine.dispose()


@pytest.fixture
def city(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FloorCity]:
    """City hall with both test centres in the town meeting; parametrized (indirect)
    with a number, that many more centres built into the room (offline until a test
    connects their boxes, :meth:`FloorCity.box`)."""
    more: int = getattr(request, "param", 0)
    with (
        PrivateNetwork(NAMESPACE) as network,
        MeetingServer(network, tmp_path / "calls") as janus,
    ):
        repo = janus.identity.repo
        room = Room(
            id="town-meeting", number=ROOM, title="군민 회의", host="cityhall-host", floor=True
        )
        # A floor needs the fleet channel (hands and floors travel on it): the centres
        # are built with one (their boxes here are the test's own MQTT clients).
        channel = FleetChannel(broker="mqtts://broker.cityhall.example")
        plain = msgspec.structs.replace(room, floor=False)
        built = repo / "build" / "centres"
        configs = []
        for config in build_centres(repo, janus, rooms=[plain]):
            calls = msgspec.structs.replace(config.calls, rooms=[room])
            config = msgspec.structs.replace(config, calls=calls, fleet=channel)
            (built / f"{config.centre.id}.json").write_bytes(msgspec.json.encode(config))
            configs.append(config)
        for i in range(more):
            centre = msgspec.structs.replace(
                configs[0].centre, id=f"x-{i + 1:03d}", name=f"{EXTRA} {i + 1:02d} 경로당"
            )
            calls = msgspec.structs.replace(configs[0].calls, call_name=centre.id)
            config = msgspec.structs.replace(configs[0], centre=centre, calls=calls)
            (built / f"{centre.id}.json").write_bytes(msgspec.json.encode(config))
        districts = {c.centre.id: c.centre.district for c in configs}
        # The gate's directory as the build writes it: the room is a town meeting, so a
        # box sends into it only what the floor lets it (a shown centre: its camera).
        directory = janus.identity.folder / "directory.json"
        document = json.loads(directory.read_text())
        document["rooms"][str(ROOM)]["floor"] = True
        directory.write_text(json.dumps(document))
        with Broker(tmp_path / "broker", janus.identity, districts) as broker:
            # The access list as the build writes it: both centres read the room's floor.
            write_acl(broker.files.acl, districts, rooms_of(configs))
            broker.reload()
            console = ConsoleServer(
                repo, tmp_path / "console", broker.tools_url, gate_url=janus.staff_door.url
            )
            console.add_staff("host", "이회의", Role.HOST, department="자치행정과")
            with console:
                yield FloorCity(ConsoleCalls(janus, console), broker)


@pytest.fixture
def host_browser(city: FloorCity, tmp_path: Path) -> Iterator[StaffAtConsole]:
    with staff_at_calls(city.rig, tmp_path / "chromium") as browser:
        yield browser


def rows(browser: StaffAtConsole, css: str) -> list[str]:
    found: list[str] = browser.driver.execute_script(ROWS, css)
    return found


def attend(box: Peer, centre: str, room: int = ROOM) -> None:
    """*centre*'s box comes online, its status saying it is in *room* (0: in none), as
    a box's fleet link says so."""
    online = Presence(online=True, since=int(time.time()))
    box.publish(presence_topic(centre), msgspec.json.encode(online), retain=True)
    status = BoxStatus(centre=centre, screen="call" if room else "home", room=room)
    box.publish(status_topic(centre), msgspec.json.encode(status), retain=True)


def raise_hand(box: Peer, centre: str, n: int, at: int) -> None:
    hand = Hand(room=ROOM, raised=True, n=n, at=at)
    box.publish(hand_topic(centre, ROOM), msgspec.json.encode(hand), retain=True)


def lower_hand(box: Peer, centre: str, n: int, at: int) -> None:
    hand = Hand(room=ROOM, raised=False, n=n, at=at)
    box.publish(hand_topic(centre, ROOM), msgspec.json.encode(hand), retain=True)


def next_floor(box: Peer, keys: list[bytes]) -> Floor:
    """The next floor the box hears, opened as a box opens it (city hall's key)."""
    message = box.next()
    assert message.topic == floor_topic(ROOM), message.topic
    return open_floor(message.payload, keys, time.time())


def test_the_host_gives_the_floor_to_a_raised_hand_and_takes_it_back(
    city: FloorCity, host_browser: StaffAtConsole
) -> None:
    browser = host_browser
    keys = [base64.b64decode(alert_public_key(city.rig.janus.identity.repo))]
    browser.sign_in("host")
    browser.open("/meeting/")
    assert "발언권 회의" in browser.find(".room").text
    browser.find("button.start").click()
    browser.wait(lambda: browser.find("#stage-state").text == "회의 중")
    browser.wait(lambda: browser.find("#floor").is_displayed())
    assert browser.find("#floor-title").text == "발언권"
    assert browser.find("#floor-members").text == "2"
    browser.wait(lambda: browser.find("#floor-present").text == "0")

    with city.box(FIRST) as first, city.box(SECOND) as second:
        first.subscribe(floor_topic(ROOM))
        for box, centre in ((first, FIRST), (second, SECOND)):
            attend(box, centre)
        now = int(time.time())
        raise_hand(first, FIRST, 1, now)
        raise_hand(second, SECOND, 1, now + 1)
        browser.wait(lambda: rows(browser, "#floor-hands") == [FIRST, SECOND])
        browser.wait(lambda: browser.find("#floor-present").text == "2")
        assert rows(browser, "#floor-speakers") == []

        # 발언권 주기: the first centre's box hears a floor city hall signed, naming it.
        browser.find(f'#floor-hands li[data-centre="{FIRST}"] .floor-give').click()
        given = next_floor(first, keys)
        assert given.speakers == [FIRST] and given.room == ROOM
        # The call gate's copy (it lets only the floor's centres send into the room).
        gate_copy = city.rig.janus.identity.folder
        assert read_floor(gate_copy, ROOM) == given
        lower_hand(first, FIRST, 2, now + 2)  # as the box does, on air
        browser.wait(lambda: rows(browser, "#floor-speakers") == [FIRST])
        browser.wait(lambda: rows(browser, "#floor-hands") == [SECOND])
        browser.find("#floor-all summary").click()  # the whole list, as a clerk opens it
        browser.wait(lambda: rows(browser, "#floor-list") == sorted(NAMES, key=lambda c: NAMES[c]))
        speaking = browser.find(f'#floor-list li[data-centre="{FIRST}"]').text
        assert "발언 중" in speaking
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.shot(SCREENSHOT, (1366, 768))

        # 발언권 거두기: a newer floor without it.
        browser.find(f'#floor-speakers li[data-centre="{FIRST}"] .floor-take').click()
        taken = next_floor(first, keys)
        assert taken.speakers == [] and taken.seq > given.seq
        assert read_floor(gate_copy, ROOM) == taken
        browser.wait(lambda: rows(browser, "#floor-speakers") == [])
        assert rows(browser, "#floor-hands") == [SECOND]

        # Both on air, then 모두 발언권 거두기: a floor with nobody but the host.
        browser.find(f'#floor-hands li[data-centre="{SECOND}"] .floor-give').click()
        assert next_floor(first, keys).speakers == [SECOND]
        raise_hand(first, FIRST, 3, now + 60)
        browser.wait(lambda: rows(browser, "#floor-hands") == [FIRST])
        browser.find(f'#floor-hands li[data-centre="{FIRST}"] .floor-give').click()
        both = next_floor(first, keys)
        assert both.speakers == [SECOND, FIRST]
        browser.wait(lambda: rows(browser, "#floor-speakers") == [SECOND, FIRST])
        browser.find("#floor-take-all").click()
        nobody = next_floor(first, keys)
        assert nobody.speakers == [] and nobody.seq > both.seq
        browser.wait(lambda: rows(browser, "#floor-speakers") == [])
        assert browser.find("#floor-speakers-empty").is_displayed()

    assert city.activities() == [
        ("meeting-floor-given", f"{ROOM} 군민 회의: {NAMES[FIRST]} ({FIRST})"),
        ("meeting-floor-taken", f"{ROOM} 군민 회의: {NAMES[FIRST]} ({FIRST})"),
        ("meeting-floor-given", f"{ROOM} 군민 회의: {NAMES[SECOND]} ({SECOND})"),
        ("meeting-floor-given", f"{ROOM} 군민 회의: {NAMES[FIRST]} ({FIRST})"),
        ("meeting-floor-taken", f"{ROOM} 군민 회의: 모두"),
    ]
    assert browser.console_errors() == []


def test_a_long_meeting_keeps_its_speakers_while_the_hosts_page_is_open(
    city: FloorCity, host_browser: StaffAtConsole
) -> None:
    """A floor signed nearly :data:`FLOOR_HOURS` ago (two minutes left) naming a centre:
    the open page asks, and the console signs it again as it is, for the full hours;
    once renewed it is not renewed again."""
    browser = host_browser
    repo = city.rig.janus.identity.repo
    keys = [base64.b64decode(alert_public_key(repo))]
    now = int(time.time())
    lasts = FLOOR_HOURS * 3600
    old = Floor(
        room=ROOM, seq=now * 1000, speakers=[FIRST], shown=[SECOND],
        issued_at=now + 120 - lasts, expires_at=now + 120,
    )  # fmt: skip
    with city.box(FIRST) as first:
        first.subscribe(floor_topic(ROOM))
        FloorSender(repo, parse_url(city.broker.tools_url))(old)
        assert next_floor(first, keys) == old
        browser.sign_in("host")
        browser.open("/meeting/")
        browser.find("button.start").click()
        browser.wait(lambda: rows(browser, "#floor-speakers") == [FIRST])
        renewed = next_floor(first, keys)
        assert (renewed.speakers, renewed.shown) == ([FIRST], [SECOND])
        assert renewed.seq > old.seq and renewed.issued_at >= now
        assert renewed.expires_at - renewed.issued_at == lasts
        assert read_floor(city.rig.janus.identity.folder, ROOM) == renewed, "the gate's copy"
        # The page draws the renewed floor (its sequence number) and goes on polling:
        # nothing more is signed until the host changes something.
        browser.wait(lambda: browser.find("#floor").get_attribute("data-seq") == str(renewed.seq))
        browser.find(f'#floor-speakers li[data-centre="{FIRST}"] .floor-take').click()
        taken = next_floor(first, keys)
        assert taken.speakers == [] and taken.shown == [SECOND] and taken.seq > renewed.seq
    # Recorded once the floor is sent: the box may hear it first.
    renewed_and_taken = [
        ("meeting-floor-renewed", f"{ROOM} 군민 회의: {NAMES[FIRST]} ({FIRST}), "
         f"{NAMES[SECOND]} ({SECOND})"),
        ("meeting-floor-taken", f"{ROOM} 군민 회의: {NAMES[FIRST]} ({FIRST})"),
    ]  # fmt: skip
    browser.wait(lambda: city.activities() == renewed_and_taken)
    assert browser.console_errors() == []


@pytest.mark.parametrize("city", [118], indirect=True)
def test_a_room_of_many_centres_is_listed_a_page_at_a_time(
    city: FloorCity, host_browser: StaffAtConsole
) -> None:
    browser = host_browser
    browser.sign_in("host")
    browser.open("/meeting/")
    browser.find("button.start").click()
    browser.wait(lambda: browser.find("#stage-state").text == "회의 중")
    browser.wait(lambda: browser.find("#floor-members").text == "120")
    browser.find("#floor-all summary").click()
    # Nobody present at all: nobody to look at (the button says so by being off).
    assert browser.find("#floor-lookable").text == "0"
    assert not browser.find("#floor-look-page").is_enabled()
    seen: list[str] = []
    for at, count in (("1 / 3 쪽", 50), ("2 / 3 쪽", 50), ("3 / 3 쪽", 20)):
        browser.wait(lambda at=at: browser.find("#floor-page-at").text == at)  # type: ignore[misc]
        listed = rows(browser, "#floor-list")
        assert len(listed) == count, listed
        seen += listed
        if count == 50:
            browser.find("#floor-next").click()
    assert not browser.find("#floor-next").is_enabled()
    assert len(set(seen)) == 120 and FIRST in seen and SECOND in seen
    browser.find("#floor-back").click()
    browser.wait(lambda: browser.find("#floor-page-at").text == "2 / 3 쪽")
    assert browser.console_errors() == []


# --- the audience on demand ------------------------------------------------------------

THUMB_COLOUR = (
    MEAN_RGB_JS
    + """
const video = document.querySelector(
  '#audience-grid .thumb[data-centre="' + arguments[0] + '"] video');
if (!video || video.videoWidth === 0) return null;
return meanRgb(video);
"""
)
GONE_SESSION, GONE_HANDLE = 458, 459
"""Janus' admin API's error codes for a session and a handle that no longer exist."""
THUMBS = """return Array.from(document.querySelectorAll('#audience-grid .thumb')).map(
    function (t) { return [t.dataset.centre, t.querySelector('.thumb-name').textContent]; });"""


def thumbs(browser: StaffAtConsole) -> list[tuple[str, str]]:
    """The small pictures as shown, in order: (call name, the name under it)."""
    found: list[list[str]] = browser.driver.execute_script(THUMBS)
    return [(call, name) for call, name in found]


def thumb_colour(browser: StaffAtConsole, centre: str) -> tuple[int, int, int]:
    found = browser.driver.execute_script(THUMB_COLOUR, centre)
    return (0, 0, 0) if found is None else (found[0], found[1], found[2])


def _admin(janus: MeetingServer, request: str, **more: Any) -> dict[str, Any] | None:
    """Janus' admin API's answer to *request*; ``None`` if the session or handle asked
    about went away meanwhile (the page closes subscriptions as the test looks)."""
    body = {"janus": request, "transaction": request, "admin_secret": janus.setup.admin_secret}
    reply: dict[str, Any] = requests.post(janus.admin_url, json={**body, **more}, timeout=5).json()
    if reply["janus"] == "error" and reply["error"]["code"] in (GONE_SESSION, GONE_HANDLE):
        return None
    assert reply["janus"] == "success", reply
    return reply


def _handles(janus: MeetingServer) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every VideoRoom handle Janus has now: (its session, its plugin's own account)."""
    listed = _admin(janus, "list_sessions")
    assert listed is not None
    for session in listed["sessions"]:
        handles = _admin(janus, "list_handles", session_id=session)
        for handle in (handles or {}).get("handles", []):
            info = _admin(janus, "handle_info", session_id=session, handle_id=handle)
            mine = {} if info is None else info["info"].get("plugin_specific", {})
            if mine and not mine.get("hangingup") and not mine.get("destroyed"):
                yield session, mine


def host_watches(janus: MeetingServer, host: str = "cityhall-host") -> dict[str, list[str]]:
    """What the host's page receives, as Janus itself says (its admin API): each feed's
    display -> the kinds of media (``audio``, ``video``) the page is subscribed to."""
    handles = list(_handles(janus))
    hosts = {s for s, p in handles if p.get("type") == "publisher" and p.get("display") == host}
    assert len(hosts) == 1, f"{len(hosts)} sessions of {host} in Janus"
    watched: dict[str, list[str]] = {}
    for session, p in handles:
        if session not in hosts or p.get("type") != "subscriber":
            continue
        for stream in p.get("streams", []):
            if stream.get("active") and "feed_display" in stream:  # not of a feed gone
                watched.setdefault(stream["feed_display"], []).append(stream["type"])
    return {display: sorted(kinds) for display, kinds in watched.items()}


def sending(janus: MeetingServer) -> set[str]:
    """The displays of the room's publishers that send something (Janus' admin API)."""
    return {
        p["display"]
        for _, p in _handles(janus)
        if p.get("type") == "publisher" and p.get("streams")
    }


def page_watches(janus: MeetingServer, wanted: dict[str, list[str]], senders: set[str]) -> bool:
    """Whether the host's page watches *wanted* only while *senders* all still send (so
    that a subscription gone is the page's doing, not a feed that went away: asked
    after the page's, a feed still there was there then)."""
    return host_watches(janus) == wanted and senders <= sending(janus)


@pytest.mark.parametrize("city", [13], indirect=True)
def test_the_host_looks_at_a_page_of_the_audience_on_demand(
    city: FloorCity, host_browser: StaffAtConsole
) -> None:
    """14 centres present in the meeting (the two test centres and 12 more, listed after
    them), and one more online but not in it, listed among the first dozen; 모습 보기
    shows the first dozen present, whose two real boxes send their camera alone: the
    page shows their pictures small, under their names, watching their video only. The
    one not in the meeting is never shown."""
    browser = host_browser
    janus = city.rig.janus
    assert isinstance(janus, MeetingServer)
    keys = [base64.b64decode(alert_public_key(janus.identity.repo))]
    away = "x-003"
    """Online, on its home screen: not in the meeting."""
    extras = [f"x-{i:03d}" for i in range(1, 14) if f"x-{i:03d}" != away]
    everyone = [SECOND, FIRST, *extras]  # the list's order: 산내, 향교동, 효자 01, ...
    names = NAMES | {c: f"{EXTRA} {int(c[2:]):02d} 경로당" for c in [*extras, away]}
    gate_copy = janus.identity.folder

    groups: dict[str, GroupCall] = {}
    sessions: list[JanusSession] = []
    boxes: dict[str, Peer] = {}

    async def scenario() -> None:
        browser.sign_in("host")
        browser.open("/meeting/")
        await page(browser.find("button.start").click)
        await page(browser.wait, lambda: browser.find("#stage-state").text == "회의 중")
        boxes.update((centre, city.box(centre)) for centre in [*everyone, away])
        for centre, box in boxes.items():
            attend(box, centre, 0 if centre == away else ROOM)
        hearing = boxes[FIRST]
        hearing.subscribe(floor_topic(ROOM))
        # The two real boxes in the meeting, watching (they send nothing yet).
        for centre in (FIRST, SECOND):
            session = await janus.box_session(janus.boxes[centre])(janus.url, None)
            sessions.append(session)
            groups[centre] = GroupCall(session, ROOM, centre, [], "cityhall-host", heard_only=True)
            await groups[centre].open(None)
        # The gate knows the room is a town meeting: a camera nobody asked for is refused.
        with pytest.raises(JanusError, match="floor"):
            await groups[FIRST].speak([ColourTrack(COLOURS[FIRST])])
        await page(browser.wait, lambda: browser.find("#floor-present").text == "14")
        assert not browser.find("#audience").is_displayed(), "nobody shown yet"
        await page(browser.find("#floor-all summary").click)
        assert browser.find("#floor-lookable").text == "14"
        # Its box is on, but not in the meeting: listed as not attending.
        listed = await page(browser.find, f'#floor-list li[data-centre="{away}"]')
        assert listed.get_attribute("class") == "off"
        assert listed.find_element("css selector", ".dot").get_attribute("title") == (
            "회의에 없음 (켜져 있음)"
        )

        # 모습 보기: the first dozen of the page's present centres, signed; the gate's copy
        # written first.
        await page(browser.find("#floor-look-page").click)
        shown = await page(next_floor, hearing, keys)
        assert shown.shown == everyone[:MAX_SHOWN] and shown.speakers == []
        assert away not in shown.shown, "online, not in the meeting: not looked at"
        assert read_floor(gate_copy, ROOM) == shown
        # Each box named sends its camera alone (as the box does; the gate refuses more).
        for centre in (FIRST, SECOND):
            await groups[centre].speak([ColourTrack(COLOURS[centre])])
        wanted = [(c, names[c]) for c in everyone[:MAX_SHOWN]]
        await page(browser.wait, lambda: thumbs(browser) == wanted)
        for centre in (FIRST, SECOND):
            await page(
                browser.wait,
                lambda c=centre: near(thumb_colour(browser, c), COLOURS[c]),
            )
        # Janus says so too: the page receives their video, not their sound; and no
        # centre is in the grid (it holds those with the floor).
        watching = await page(host_watches, janus)
        assert watching == {FIRST: ["video"], SECOND: ["video"]}, watching
        assert tiles(browser) == {}
        assert browser.find("#audience-count").text == str(MAX_SHOWN)
        waiting = browser.find(f'#audience-grid .thumb[data-centre="{extras[0]}"] .thumb-wait')
        assert waiting.is_displayed(), "a present centre whose picture has not come says so"
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page(browser.shot, AUDIENCE_SCREENSHOT, (1366, 768))

        # 다음 ▶: the rest of the page. The page lets the two go while their boxes still
        # send; then the boxes stop, as a box no longer named does (the gate would cut
        # one that went on).
        await page(browser.find("#floor-look-next").click)
        rest = await page(next_floor, hearing, keys)
        assert rest.shown == everyone[MAX_SHOWN:] and rest.seq > shown.seq
        assert away not in rest.shown
        await page(browser.wait, lambda: thumbs(browser) == [(c, names[c]) for c in rest.shown])
        await page(browser.wait, lambda: page_watches(janus, {}, {FIRST, SECOND}))
        for centre in (FIRST, SECOND):
            await groups[centre].stop_speaking()
        # Past the last: the first dozen again, their pictures back.
        await page(browser.find("#floor-look-next").click)
        again = await page(next_floor, hearing, keys)
        assert again.shown == shown.shown
        for centre in (FIRST, SECOND):
            await groups[centre].speak([ColourTrack(COLOURS[centre])])
        await page(browser.wait, lambda: thumbs(browser) == wanted)
        for centre in (FIRST, SECOND):
            await page(
                browser.wait,
                lambda c=centre: near(thumb_colour(browser, c), COLOURS[c]),
            )
        assert await page(host_watches, janus) == watching

        # 발언권 주기 to a centre shown: it moves to the speakers. Its box sends sound
        # too now (the box does), and the page has it in the grid, heard.
        now = int(time.time())
        raise_hand(boxes[FIRST], FIRST, 1, now)
        await page(browser.wait, lambda: rows(browser, "#floor-hands") == [FIRST])
        await page(browser.find(f'#floor-hands li[data-centre="{FIRST}"] .floor-give').click)
        given = await page(next_floor, hearing, keys)
        assert given.speakers == [FIRST] and given.shown == [c for c in shown.shown if c != FIRST]
        await groups[FIRST].stop_speaking()
        await groups[FIRST].speak([ToneTrack(TONES[FIRST]), ColourTrack(COLOURS[FIRST])])
        await page(browser.wait, lambda: tiles(browser) == {FIRST: NAMES[FIRST]})
        await page(browser.wait, lambda: thumbs(browser) == [(c, names[c]) for c in given.shown])
        await page(
            browser.wait,
            lambda: host_watches(janus) == {FIRST: ["audio", "video"], SECOND: ["video"]},
        )

        # 모습 보기 끝: nobody shown; the page stops watching the second centre while its
        # box still sends; the speaker stays on air.
        await page(browser.find("#audience-end").click)
        ended = await page(next_floor, hearing, keys)
        assert ended.shown == [] and ended.speakers == [FIRST]
        assert read_floor(gate_copy, ROOM) == ended
        await page(browser.wait, lambda: not browser.find("#audience").is_displayed())
        on_air = {FIRST: ["audio", "video"]}
        await page(browser.wait, lambda: page_watches(janus, on_air, {SECOND}))
        assert thumbs(browser) == []
        await groups[SECOND].stop_speaking()

    async def closed_after(scenario: Coroutine[Any, Any, None]) -> None:
        try:
            await scenario
        finally:  # the boxes' Janus sessions, in the loop that opened them
            for group in groups.values():
                await group.close()
            for session in sessions:
                await session.close()

    try:
        run(closed_after(scenario()), limit=SCENARIO_S)
    finally:
        for box in boxes.values():
            box.close()
    listed = ", ".join(f"{names[c]} ({c})" for c in everyone[:MAX_SHOWN])
    rest_listed = ", ".join(f"{names[c]} ({c})" for c in everyone[MAX_SHOWN:])
    assert city.activities() == [
        ("meeting-floor-shown", f"{ROOM} 군민 회의: {listed}"),
        ("meeting-floor-shown", f"{ROOM} 군민 회의: {rest_listed}"),
        ("meeting-floor-shown", f"{ROOM} 군민 회의: {listed}"),
        ("meeting-floor-given", f"{ROOM} 군민 회의: {NAMES[FIRST]} ({FIRST})"),
        ("meeting-floor-hidden", f"{ROOM} 군민 회의: 모두"),
    ]
    assert browser.console_errors() == []
