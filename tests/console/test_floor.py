"""A town meeting's floor, end to end on city hall's side (issue 17): the console's host
page in Chromium (Selenium), in a meeting through city hall's real call gate and Janus
(their network namespace, as ``test_meeting``), the fleet's real mosquitto with the
access list the build's rooms make, and the two centres' boxes as MQTT clients with
their own certificates (the box's own fleet link is the kiosk's side, tested there).

Both centres come online and raise their hands; the page lists them in the order they
went up; 발언권 주기 puts the first on air: the box reads a floor on ``floor/room/<n>``
that city hall's alert key signed naming it; 발언권 거두기 sends a newer one without it.
Both on air, 모두 발언권 거두기 leaves only the host. The activity log says who gave
and took the floor.
"""

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kiosk_contract.config.calls import Room
from kiosk_contract.fleet import Presence, presence_topic
from kiosk_contract.floor import Floor, Hand, floor_topic, hand_topic, open_floor
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.broker.alertkey import alert_public_key
from kiosk_provisioning.broker.config import rooms_of, write_acl
from kiosk_provisioning.console.models import Activity, Role
from kiosk_provisioning.identity.directory import read_floor
from tests.broker import Broker, Peer
from tests.calls.conftest import ROOM
from tests.console.browser import StaffAtConsole
from tests.console.conftest import SHOTS
from tests.console.rig import NAMES as RIG_NAMES
from tests.console.rig import ConsoleCalls, build_centres, staff_at_calls
from tests.console.server import ConsoleServer
from tests.console.test_meeting import FIRST, SECOND, MeetingServer

NAMESPACE = 17
"""This test's own city hall namespace (the meeting test's is 9, the questions' 15)."""
SCREENSHOT = SHOTS / "console-floor-1366x768.png"
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
    with a number, that many more centres built into the room (never online)."""
    more: int = getattr(request, "param", 0)
    with (
        PrivateNetwork(NAMESPACE) as network,
        MeetingServer(network, tmp_path / "calls") as janus,
    ):
        repo = janus.identity.repo
        room = Room(
            id="town-meeting", number=ROOM, title="군민 회의", host="cityhall-host", floor=True
        )
        configs = build_centres(repo, janus, rooms=[room])
        built = repo / "build" / "centres"
        for i in range(more):
            centre = msgspec.structs.replace(
                configs[0].centre, id=f"x-{i:03d}", name=f"가상 {i:03d} 경로당"
            )
            calls = msgspec.structs.replace(configs[0].calls, call_name=centre.id)
            config = msgspec.structs.replace(configs[0], centre=centre, calls=calls)
            (built / f"{centre.id}.json").write_bytes(msgspec.json.encode(config))
        districts = {c.centre.id: c.centre.district for c in configs}
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
            online = Presence(online=True, since=int(time.time()))
            box.publish(presence_topic(centre), msgspec.json.encode(online), retain=True)
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
