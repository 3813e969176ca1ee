"""전화 in a real browser: city hall staff at the console (Chromium through Selenium)
call a real kiosk's desk through the real call gate and Janus, take its calls, see its
missed calls and call back; passes name only city hall's lines, for callers only.

Media is checked as tests/calls/test_browser.py checks it: each side sends a colour
and a tone, and each side must see and hear the other's (the page's remote <video> is
measured by test-side JavaScript Selenium injects)."""

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from kiosk.calls.desk import CallDesk, Phase
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.console.callhistory import CallHistory
from kiosk_provisioning.console.database import Database, migrate
from kiosk_provisioning.console.models import CallDirection, CallOutcome, CallRecord, Staff
from kiosk_provisioning.console.passes import PASS_TTL_S
from kiosk_provisioning.identity.tokens import verify_staff_pass
from tests.calls.conftest import (
    CENTRE,
    CENTRE_COLOUR,
    CENTRE_TONE,
    HALL_COLOUR,
    HALL_TONE,
    calls_for,
    heard,
    reach,
    run,
    started,
    until,
)
from tests.calls.signals import mean_rgb, near, steady_pitch
from tests.console.browser import SIZES, StaffAtConsole, gone
from tests.console.conftest import SHOTS
from tests.console.rig import NETWORK, ConsoleCalls, console_calls, measure, staff_at_calls

T = TypeVar("T")
PITCH_HZ = 12.0
"""The page's pitch estimate is one FFT bin (48 kHz / 8192 ≈ 6 Hz) wide."""
MEDIA_S = 30.0
WELFARE_LINE = "cityhall-welfare"


@pytest.fixture
def network() -> Iterator[PrivateNetwork]:
    with PrivateNetwork(NETWORK) as net:
        yield net


@pytest.fixture
def rig(network: PrivateNetwork, tmp_path: Path) -> Iterator[ConsoleCalls]:
    with console_calls(network, tmp_path) as calls:
        yield calls


@pytest.fixture
def staff(rig: ConsoleCalls, tmp_path: Path) -> Iterator[StaffAtConsole]:
    with staff_at_calls(rig, tmp_path / "browser") as browser:
        browser.sign_in("caller")
        yield browser
        # What the page saw of Janus, in the report of a test that failed.
        for entry in browser.driver.get_log("browser"):
            print("page:", entry.get("message"))


async def in_page(action: Callable[[], T]) -> T:
    """*action* on the browser, off the event loop (the desk's media runs on it)."""
    return await asyncio.to_thread(action)


def take_line(staff: StaffAtConsole, name: str = WELFARE_LINE) -> None:
    """Tick *name* among 내가 받는 전화선 and wait until it is registered."""
    staff.find(f'input[name="line"][value="{name}"]').click()
    staff.wait(lambda: staff.find(f'[data-line-state="{name}"]').text == "받는 중")


def phase(staff: StaffAtConsole) -> str:
    return str(staff.driver.execute_script("return document.getElementById('calls').dataset.phase"))


def fetch(staff: StaffAtConsole, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """*method* *path* from the page, as calls.js does (CSRF header, JSON)."""
    status, text = staff.driver.execute_async_script(
        """
        const [method, path, body, done] = arguments;
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        fetch(path, { method: method, headers: { "Content-Type": "application/json",
                      "X-CSRFToken": csrf, Accept: "application/json" },
                      body: body === null ? undefined : JSON.stringify(body) })
          .then(r => r.text().then(t => done([r.status, t])));
        """,
        method,
        path,
        body,
    )
    return int(status), json.loads(text)


async def page_sees_and_hears_centre(staff: StaffAtConsole) -> None:
    def check() -> dict[str, Any] | None:
        found = measure(staff)
        if found is None:
            return None
        red, green, blue = (int(v) for v in found["colour"])
        sees = near((red, green, blue), CENTRE_COLOUR)
        hears = abs(float(found["pitch"]) - CENTRE_TONE) <= PITCH_HZ
        return found if sees and hears else None

    await in_page(lambda: staff.wait(check, MEDIA_S))


async def centre_sees_and_hears_hall(desk: CallDesk) -> None:
    """The centre's screen shows the hall's colour and its speaker plays the hall's
    tone. One 200 ms window of it is taken as heard: the browser's noise suppression
    fades a steady tone out within seconds (speech it keeps)."""

    def centre_sees_hall() -> bool:
        frames = desk.remote_frames()
        return bool(frames) and near(mean_rgb(frames[0]), HALL_COLOUR)

    await until(centre_sees_hall)
    while True:
        window = await heard(desk)
        if steady_pitch(window, 48_000, HALL_TONE) > 0.8:
            assert steady_pitch(window, 48_000, CENTRE_TONE) < 0.05
            return


def shots(staff: StaffAtConsole, page: str) -> None:
    for size in SIZES.values():
        staff.shot(SHOTS / f"{page}-{size[0]}x{size[1]}.png", size)
    staff.driver.set_window_size(*SIZES["laptop"])


def test_one_click_calls_a_centre_seen_and_heard_both_ways(
    rig: ConsoleCalls, staff: StaffAtConsole
) -> None:
    staff.open(f"/calls/?centre={CENTRE}")
    assert "향교동 경로당에 전화 걸기" in staff.find("#chosen").text
    take_line(staff)
    shots(staff, "calls-idle")

    async def scenario() -> None:
        desk = await started(calls_for(rig.janus))
        await in_page(lambda: staff.find("#chosen button.call").click())
        ringing = await reach(desk, Phase.RINGING)
        assert ringing.who == "남원시청 복지과"
        desk.answer()
        await reach(desk, Phase.IN_CALL)
        await in_page(lambda: staff.wait(lambda: phase(staff) == "in-call"))
        await centre_sees_and_hears_hall(desk)
        await page_sees_and_hears_centre(staff)
        assert await in_page(lambda: staff.find("#call-name").text) == "향교동 경로당"
        await in_page(lambda: shots(staff, "calls-in-call"))
        await in_page(lambda: staff.find("#hang-up").click())
        await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)
    staff.wait(lambda: phase(staff) == "idle")
    assert fetch(staff, "GET", "/calls/missed")[1] == {"missed": []}
    [record] = rig.records()
    assert record.direction == CallDirection.TO_CENTRE
    assert (record.centre_id, record.contact) == (CENTRE, WELFARE_LINE)
    assert record.outcome == CallOutcome.ANSWERED
    assert record.staff_id == rig.staff_id("caller")
    assert staff.console_errors() == []


def test_a_centre_calls_city_hall_and_staff_answer_with_one_click(
    rig: ConsoleCalls, staff: StaffAtConsole
) -> None:
    staff.open("/calls/")
    take_line(staff)

    async def scenario() -> None:
        desk = await started(calls_for(rig.janus))
        assert desk.call("city-hall")
        banner = await in_page(lambda: staff.wait(lambda: _shown(staff, "#incoming")))
        assert await in_page(lambda: banner.text.splitlines()[0]) == (
            "향교동 경로당에서 전화가 왔습니다"
        )
        await in_page(lambda: shots(staff, "calls-incoming"))
        await in_page(lambda: staff.find("#answer").click())
        await reach(desk, Phase.IN_CALL)
        await centre_sees_and_hears_hall(desk)
        await page_sees_and_hears_centre(staff)
        desk.hang_up()
        await in_page(lambda: staff.wait(lambda: phase(staff) == "idle"))
        await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)
    staff.wait(lambda: fetch(staff, "GET", "/calls/missed")[0] == 200 and rig.records())
    [record] = rig.records()
    assert record.direction == CallDirection.FROM_CENTRE
    assert (record.centre_id, record.contact) == (CENTRE, WELFARE_LINE)
    assert record.outcome == CallOutcome.ANSWERED
    assert record.staff_id == rig.staff_id("caller")
    assert staff.console_errors() == []


def test_a_call_nobody_answered_is_listed_and_called_back_with_one_click(
    rig: ConsoleCalls, staff: StaffAtConsole
) -> None:
    staff.open("/calls/")
    take_line(staff)

    async def scenario() -> None:
        desk = await started(calls_for(rig.janus))
        assert desk.call("city-hall")
        await in_page(lambda: staff.wait(lambda: _shown(staff, "#incoming")))
        desk.hang_up()  # the senior gives up: nobody at city hall answered
        await reach(desk, Phase.IDLE)
        await in_page(lambda: staff.wait(lambda: not _shown(staff, "#incoming")))
        missed = await in_page(lambda: staff.find("#missed li"))
        assert await in_page(lambda: missed.text.splitlines()[0]) == "향교동 경로당"
        assert "걸려 온 전화를 못 받음" in await in_page(lambda: missed.text)
        await in_page(lambda: shots(staff, "calls-missed"))
        await in_page(lambda: staff.find("#missed li button.call-back").click())
        await reach(desk, Phase.RINGING)
        desk.answer()
        await reach(desk, Phase.IN_CALL)
        await page_sees_and_hears_centre(staff)
        await in_page(lambda: staff.find("#hang-up").click())
        await reach(desk, Phase.IDLE)
        await desk.close()

    run(scenario(), limit=120)
    # Called back: gone from the list once the call back is in the gate's history.
    staff.wait(lambda: not staff.driver.find_elements("css selector", "#missed li"), 15)
    # (A call back clicked the moment the centre's call ended may need the page's one
    # retry: the server was still tearing that call down. Then it is recorded too.)
    records = rig.records()
    missed, back = records[0], records[-1]
    assert (missed.direction, missed.outcome) == (CallDirection.FROM_CENTRE, CallOutcome.MISSED)
    assert missed.staff_id is None
    assert (back.direction, back.outcome) == (CallDirection.TO_CENTRE, CallOutcome.ANSWERED)
    assert all(r.direction == CallDirection.TO_CENTRE for r in records[1:])
    assert missed.called_back in {r.id for r in records[1:]}
    assert not [r for r in records if r.outcome != CallOutcome.ANSWERED and not r.called_back]
    assert staff.console_errors() == []


def test_passes_name_only_city_halls_lines_for_callers_and_one_staff_a_line(
    rig: ConsoleCalls, staff: StaffAtConsole, tmp_path: Path
) -> None:
    staff.open("/calls/")
    # Finding a centre: typing part of a district leaves only its centres.
    assert staff.texts("tr[data-centre-row] .centre-name") == ["산내 경로당", "향교동 경로당"]
    staff.find("#find").send_keys("산내")
    staff.wait(
        lambda: (
            [
                e.text
                for e in staff.driver.find_elements(
                    "css selector", "tr[data-centre-row] .centre-name"
                )
                if e.is_displayed()
            ]
            == ["산내 경로당"]
        )
    )
    status, body = fetch(staff, "POST", "/calls/pass", {"lines": [CENTRE]})
    assert status == 403 and "시청 전화선이 아닌" in body["error"]
    status, body = fetch(staff, "POST", "/calls/pass", {"lines": ["cityhall-nobody"]})
    assert status == 403
    status, body = fetch(staff, "POST", "/calls/pass", {"lines": [WELFARE_LINE, "cityhall-mayor"]})
    assert status == 200, body
    key = (rig.janus.identity.folder / "token.key").read_bytes()
    found = verify_staff_pass(key, body["token"])
    assert found is not None
    assert (found.login, found.names, found.rooms, found.host) == (
        "caller",
        (WELFARE_LINE, "cityhall-mayor"),
        (),
        False,
    )
    assert body["ttl_s"] == PASS_TTL_S and body["gate"] == rig.janus.staff_door.url
    take_line(staff)
    # A colleague ticking the same line is told it is taken; the first keeps it.
    with staff_at_calls(rig, tmp_path / "colleague") as colleague:
        colleague.sign_in("caller2")
        colleague.open("/calls/")
        colleague.find(f'input[name="line"][value="{WELFARE_LINE}"]').click()
        taken = "다른 직원이 이미 받고 있습니다"
        colleague.wait(lambda: taken in colleague.find("#call-problem").text)
        assert not colleague.find(f'input[name="line"][value="{WELFARE_LINE}"]').is_selected()
    assert staff.find(f'[data-line-state="{WELFARE_LINE}"]').text == "받는 중"
    # Not a caller: no pass, no page.
    page = staff.find("html")
    staff.find(".who button").click()
    # The sign-out's own page first: opening another mid-way breaks the navigation.
    staff.wait(lambda: gone(page))
    staff.sign_in("host")
    staff.open("/fleet/")
    status, body = fetch(staff, "POST", "/calls/pass", {"lines": [WELFARE_LINE]})
    assert status == 403


def test_the_history_is_the_gates_record_read_once(tmp_path: Path) -> None:
    """Lines as the gate writes them (tests above check it writes them): a centre's
    call nobody took is missed; city hall's next call to it calls it back; staff
    calling staff is no centre's call; a line being written waits; a restarted
    console reads the file again without counting a call twice."""
    repo = tmp_path / "repo"
    (repo / "identity").mkdir(parents=True)
    (repo / "identity" / "directory.json").write_text(
        json.dumps({"centres": {CENTRE: {"call_name": "c1-name", "rooms": []}}, "rooms": {}})
    )
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(url)
    db = Database(url)
    with db.session() as session:
        session.add(Staff(login="kim", name="김복지", password_hash="-"))
    attempts = repo / "calls" / "attempts.jsonl"
    attempts.parent.mkdir()

    def line(caller: str, who: str, to: str, at: float, **more: Any) -> str:
        fields = {"caller": caller, "caller_id": who, "from_name": more.pop("name", who)}
        fields |= {"to": to, "started": at, "ended": at + 5, "answered": None}
        return json.dumps(fields | more) + "\n"

    attempts.write_text(
        line("box", CENTRE, WELFARE_LINE, 1000.0)
        + line("staff", "kim", "cityhall-mayor", 1001.0, name=WELFARE_LINE)
        + line("staff", "kim", "c1-name", 1002.0, name=WELFARE_LINE, problem="no such user")
    )
    history = CallHistory(repo, db)
    history.catch_up()
    missed = history.missed()
    assert [(m.direction, m.outcome) for m in missed] == [
        (CallDirection.TO_CENTRE, CallOutcome.FAILED)
    ]
    with attempts.open("a") as out:
        out.write(line("staff", "kim", "c1-name", 1010.0, name=WELFARE_LINE, answered=1011.0))
        out.write('{"caller": "box", "caller_id": "centre-1", "to": "half a li')
    history.catch_up()
    assert history.missed() == []
    again = CallHistory(repo, db)  # the console restarted
    again.catch_up()
    again.catch_up()
    with db.session() as session:
        records = session.scalars(select(CallRecord).order_by(CallRecord.started)).all()
        got = [(r.direction, r.centre_id, r.contact, r.outcome, r.called_back) for r in records]
        kim = session.scalar(select(Staff.id).where(Staff.login == "kim"))
    tried, back = records[1].id, records[2].id
    assert got == [
        (CallDirection.FROM_CENTRE, CENTRE, WELFARE_LINE, CallOutcome.MISSED, tried),
        (CallDirection.TO_CENTRE, CENTRE, WELFARE_LINE, CallOutcome.FAILED, back),
        (CallDirection.TO_CENTRE, CENTRE, WELFARE_LINE, CallOutcome.ANSWERED, None),
    ]
    assert [r.staff_id for r in records] == [None, kim, kim]
    db.close()


def test_a_centre_returning_city_halls_call_clears_it(tmp_path: Path) -> None:
    """The centre's next call that city hall answers (the kiosk's 전화하기 on
    "시청에서 전화했었습니다") settles city hall's call it missed and its own earlier
    call nobody took; a call of the centre's nobody answered settles nothing."""
    repo = tmp_path / "repo"
    (repo / "identity").mkdir(parents=True)
    (repo / "identity" / "directory.json").write_text(
        json.dumps({"centres": {CENTRE: {"call_name": "c1-name", "rooms": []}}, "rooms": {}})
    )
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(url)
    db = Database(url)
    attempts = repo / "calls" / "attempts.jsonl"
    attempts.parent.mkdir()
    centre = {"caller": "box", "caller_id": CENTRE, "from_name": "c1-name", "to": WELFARE_LINE}
    hall = {"caller": "staff", "caller_id": "kim", "from_name": WELFARE_LINE, "to": "c1-name"}
    lines = [
        hall | {"started": 1000.0, "ended": 1030.0, "answered": None},
        centre | {"started": 1100.0, "ended": 1130.0, "answered": None},
    ]
    attempts.write_text("".join(json.dumps(line) + "\n" for line in lines))
    history = CallHistory(repo, db)
    history.catch_up()
    assert [m.direction for m in history.missed()] == [
        CallDirection.FROM_CENTRE,
        CallDirection.TO_CENTRE,
    ]
    with attempts.open("a") as out:
        out.write(json.dumps(centre | {"started": 1200.0, "ended": 1260.0, "answered": 1203.0}))
        out.write("\n")
    history.catch_up()
    assert history.missed() == []
    with db.session() as session:
        records = session.scalars(select(CallRecord).order_by(CallRecord.started)).all()
        assert [r.called_back for r in records] == [records[2].id, records[2].id, None]
    db.close()


def _shown(staff: StaffAtConsole, css: str) -> Any:
    found = staff.driver.find_elements("css selector", css)
    return found[0] if found and found[0].is_displayed() else None
