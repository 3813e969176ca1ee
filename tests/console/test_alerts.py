"""알림·안내 in a real browser, through a real mosquitto, to a box's real fleet link.

A staff member with the alerts role fills the form; the console signs and publishes
as ``kiosk-provision alert`` does; centre c-1's box (the kiosk's own FleetLink and
AlertBoard, verifying with its built configuration's key) gets it and reports
delivered, shown and acknowledged, which the alert's page shows as they come without
a reload. Boxes outside the audience, and every refused form, get nothing: a later
message from the same publisher (a fence) shows the broker's order, no sleep.
"""

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

import pytest
from selenium.webdriver.common.by import By

from kiosk.paths import Paths, default_assets
from kiosk_contract.config import parse_config
from kiosk_contract.fleet import Alert, Level, alert_subscriptions, open_alert
from kiosk_provisioning.broker.alerts import AlertRecord, speak
from kiosk_provisioning.build import build
from kiosk_provisioning.console.models import Role
from tests.broker import Broker, Message, Peer, peers
from tests.calls.identities import CityHallIdentity
from tests.console.browser import SIZES, StaffAtConsole, staff_browser
from tests.console.conftest import SHOTS
from tests.console.server import ConsoleServer
from tests.fleet.box import Box

CENTRES = {"c-1": "운봉읍", "c-2": "운봉읍", "c-3": "금동"}
T = TypeVar("T")


def built_fleet(repo: Path, folder: Path, broker_url: str) -> None:
    """*repo* built with :data:`CENTRES`, each centre's fleet channel on *broker_url*."""
    (folder / "districts").mkdir(parents=True)
    tiles = [
        {"id": tile, "label": label, "icon": "info", "colour": "#1E3A8A", "action": "info",
         "target": "notices"}
        for tile, label in (("notices", "오늘의 안내"), ("more", "안내 더 보기"))
    ]  # fmt: skip
    fleet = {"schema_version": 1, "tiles": tiles, "fleet": {"broker": broker_url}}
    (folder / "fleet.json").write_text(json.dumps(fleet, ensure_ascii=False))
    for district in set(CENTRES.values()):
        (folder / "districts" / f"{district}.json").write_text("{}")
    rows = "".join(f"{c},{c} 경로당,{d}\n" for c, d in CENTRES.items())
    (folder / "centres.csv").write_text("id,name,district\n" + rows)
    build(repo, folder, folder / "centres.csv")


@pytest.fixture
def identity(tmp_path: Path) -> CityHallIdentity:
    return CityHallIdentity(tmp_path / "repo", {centre: () for centre in CENTRES})


@pytest.fixture
def broker(identity: CityHallIdentity, tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", identity, CENTRES) as running:
        yield running


@pytest.fixture
def city(identity: CityHallIdentity, broker: Broker, tmp_path: Path) -> Iterator[ConsoleServer]:
    """The built city and its console on the broker's tools listener, with an alerts
    account (login ``alerts``) and a caller's (``caller``)."""
    built_fleet(identity.repo, tmp_path / "fleet", broker.url)
    server = ConsoleServer(identity.repo, tmp_path / "console", broker_url=broker.tools_url)
    server.add_staff("alerts", "박안전", Role.ALERTS, department="안전총괄과")
    server.add_staff("caller", "김복지", Role.CALLER)
    with server:
        yield server


@pytest.fixture
def staff(city: ConsoleServer, tmp_path: Path) -> Iterator[StaffAtConsole]:
    with staff_browser(city.url, tmp_path / "browser") as browser:
        browser.sign_in("alerts")
        yield browser


class BoxOnItsLoop:
    """Centre *centre*'s box: the kiosk's fleet link and alert board on an event loop
    of their own thread, as in the kiosk (the test thread hands calls over)."""

    def __init__(self, repo: Path, identity: CityHallIdentity, folder: Path, centre: str) -> None:
        paths = Paths(folder / "etc", folder / "state", default_assets())
        for made in (paths.etc, paths.state):
            made.mkdir(parents=True)
        identity.enrol(centre, paths.state / "identity")
        config = parse_config((repo / "build" / "centres" / f"{centre}.json").read_bytes())
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="box-loop")
        self._thread.start()
        self.box = self.call(lambda: Box(config, paths))
        self.call(self.box.link.start)

    def call(self, work: Callable[[], T]) -> T:
        """*work*'s result, run on the box's loop."""

        async def run() -> T:
            return work()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(15)

    def close(self) -> None:
        done: Future[None] = asyncio.run_coroutine_threadsafe(self.box.link.close(), self.loop)
        done.result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(15)
        self.loop.close()


def listening_box(broker: Broker, identity: CityHallIdentity, folder: Path, centre: str) -> Peer:
    """Centre *centre*'s box as a bare MQTT client, subscribed as a box subscribes."""
    box = broker.box(identity.enrol(centre, folder)).connect()
    box.subscribe(*alert_subscriptions(centre, CENTRES[centre]))
    return box


def after_fence(hall: Peer, listener: Peer, fence: str) -> list[Message]:
    """What *listener* got before a message city hall publishes on *fence* now."""
    hall.publish(fence, b"")
    return listener.until(fence)[:-1]


def click_label(browser: StaffAtConsole, text: str) -> None:
    """Click the form's label whose text starts with *text* (as staff do)."""
    for label in browser.driver.find_elements(By.CSS_SELECTOR, "form label"):
        if label.text.strip().startswith(text):
            label.click()
            return
    raise AssertionError(f"no label {text!r}")


def page_errors(browser: StaffAtConsole) -> list[str]:
    """The page's JavaScript errors (the console has no favicon yet: not ours)."""
    return [e for e in browser.console_errors() if "favicon.ico" not in e]


def state_cell(browser: StaffAtConsole, centre: str, state: str) -> str:
    return browser.find(f'tr[data-centre="{centre}"] td[data-state="{state}"]').text


def test_a_caution_alert_to_one_district_is_followed_live_to_acknowledged(
    city: ConsoleServer,
    staff: StaffAtConsole,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
) -> None:
    box = BoxOnItsLoop(city.repo, identity, tmp_path / "box-c-1", "c-1")
    elsewhere = listening_box(broker, identity, tmp_path / "box-c-3", "c-3")
    with peers(broker.city_hall().connect(), elsewhere) as (hall, _):
        try:
            staff.open("/alerts/")
            staff.find("a.button.primary").click()
            staff.find("textarea#text")
            click_label(staff, "주의")
            text = "폭염 주의보: 오후 2시부터 5시까지 밖에 나가지 마시고 물을 자주 드세요."
            staff.find("#text").send_keys(text)
            staff.find("#text_en").send_keys("Heat wave: stay inside 2-5 pm.")
            click_label(staff, "읍·면·동 고르기")
            click_label(staff, "운봉읍")
            assert staff.find("[data-reach]").text == "2", "운봉읍 has two centres"
            hours = staff.find("#hours")
            hours.clear()
            hours.send_keys("3")
            staff.driver.execute_script("window.scrollTo(0, 0);")
            for size in SIZES.values():
                staff.shot(SHOTS / f"alert-form-{size[0]}x{size[1]}.png", size)
            staff.driver.set_window_size(*SIZES["laptop"])
            staff.find("button[data-send]").click()

            staff.wait(lambda: "/alerts/a-" in staff.driver.current_url)
            alert_id = staff.driver.current_url.rsplit("/", 1)[1]
            staff.driver.execute_script("window.sameDocument = true;")
            # The box's own link verified it (signature, expiry, audience) and took it.
            alert: Alert = staff.wait(lambda: box.call(lambda: box.box.board.current))
            assert (alert.id, alert.level, alert.text) == (alert_id, Level.CAUTION, text)
            assert alert.audience.kind == "district" and alert.audience.names == ["운봉읍"]
            assert alert.text_en == "Heat wave: stay inside 2-5 pm."
            assert alert.expires_at - alert.issued_at == 3 * 3600
            assert alert.voice is not None, "read aloud by espeak-ng, as the command does"

            staff.wait(lambda: state_cell(staff, "c-1", "delivered").startswith("✓"))
            assert state_cell(staff, "c-1", "shown") == "–"
            box.call(lambda: box.box.board.shown(alert))
            staff.wait(lambda: state_cell(staff, "c-1", "shown").startswith("✓"))
            assert state_cell(staff, "c-1", "acknowledged") == "–"
            box.call(lambda: box.box.board.acknowledge(alert))
            staff.wait(lambda: state_cell(staff, "c-1", "acknowledged").startswith("✓"))
            assert staff.driver.execute_script("return window.sameDocument === true;"), (
                "followed live, without a reload"
            )
            totals = {
                s: staff.find(f'[data-total="{s}"] strong').text
                for s in ("delivered", "acknowledged")
            }
            assert totals == {"delivered": "1", "acknowledged": "1"}
            assert [state_cell(staff, "c-2", s) for s in ("delivered", "acknowledged")] == [
                "–",
                "–",
            ]
            for size in SIZES.values():
                staff.shot(SHOTS / f"alert-receipts-{size[0]}x{size[1]}.png", size)
            assert page_errors(staff) == []

            got = after_fence(hall, elsewhere, "alerts/centre/c-3/fence")
            assert got == [], "금동's box never got 운봉읍's alert"

            # The list shows it with its totals, and who sent it is on record.
            staff.open("/alerts/")
            row = staff.find(f'tr[data-alert="{alert_id}"]').text
            staff.shot(SHOTS / "alerts-1366x768.png", SIZES["laptop"])
            assert "주의" in row and "운봉읍" in row and "1/2" in row
            staff.open(f"/alerts/{alert_id}")
            assert "박안전" in staff.find(".facts").text
        finally:
            box.close()


def test_a_caller_gets_403_on_every_alerts_route(
    console: ConsoleServer, browser: StaffAtConsole
) -> None:
    browser.sign_in("caller")
    routes = [
        ("GET", "/alerts/"), ("GET", "/alerts/new"), ("GET", "/alerts/notice"),
        ("GET", "/alerts/a-1"), ("GET", "/alerts/a-1/receipts"),
        ("POST", "/alerts/new"), ("POST", "/alerts/notice"), ("POST", "/alerts/a-1/withdraw"),
    ]  # fmt: skip
    statuses = browser.driver.execute_async_script(
        """
        const [routes, done] = arguments;
        const token = document.querySelector('meta[name=csrf-token]').content;
        Promise.all(routes.map(([method, path]) =>
          fetch(path, {method, headers: {'X-CSRFToken': token}, redirect: 'manual'})
            .then(r => r.status))).then(done);
        """,
        routes,
    )
    assert dict(zip(routes, statuses, strict=True)) == dict.fromkeys(routes, 403)
    browser.open("/alerts/new")
    assert "권한" in browser.find("main").text
    assert "알림·안내" not in browser.texts("nav a")


def write_files(folder: Path) -> dict[str, Path]:
    """Uploads staff might pick: good ones and bad ones."""
    folder.mkdir()
    voice = speak("폭염 주의")
    assert voice is not None
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a1d0b6f1"
        "0000000049454e44ae426082"
    )
    files = {
        "voice.ogg": voice,
        "picture.png": png,
        "program.png": b"MZ\x90\x00" + bytes(2000),  # a Windows program renamed
        "cut.png": png[:40],  # broken off in the upload
        "huge.png": png[:-12] + bytes(400_001) + png[-12:],
        "huge.wav": b"RIFF" + (600_001).to_bytes(4, "little") + b"WAVEfmt " + bytes(600_001),
    }
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


def fill_alert(
    staff: StaffAtConsole,
    text: str = "호우 주의보: 냇가에 가지 마세요.",
    district: str | None = "운봉읍",
    hours: str = "6",
    files: dict[str, Path] | None = None,
    script: str = "",
) -> None:
    """The alert form filled (a 주의 for *district*) and sent; *script* runs first (to do
    what the page does not let a person do: too long a text, a district not listed)."""
    staff.open("/alerts/new")
    staff.find("#text")
    if script:
        staff.driver.execute_script(script)
    if text:
        staff.driver.execute_script("document.querySelector('#text').value = arguments[0];", text)
    if district:
        click_label(staff, "읍·면·동 고르기")
        click_label(staff, district)
    field = staff.find("#hours")
    field.clear()
    field.send_keys(hours)
    for name, path in (files or {}).items():
        staff.find(f"#{name}").send_keys(str(path))
    staff.find("button[data-send]").click()


def problem(staff: StaffAtConsole, field: str) -> str:
    return staff.find(f'.field-problem[data-field="{field}"]').text


ADD_UNKNOWN = """
  document.querySelector('.checks.{0}').insertAdjacentHTML('beforeend',
    '<label class="check"><input type="checkbox" name="{0}" value="{1}"> {1}</label>');
"""
UNKNOWN_DISTRICT = ADD_UNKNOWN.format("districts", "없는동")
"""A district the page does not list, as a forged request would name it."""
UNKNOWN_CENTRE = ADD_UNKNOWN.format("centres", "c-9")


def test_bad_input_is_refused_with_the_field_named_and_nothing_sent(
    city: ConsoleServer,
    staff: StaffAtConsole,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
) -> None:
    uploads = write_files(tmp_path / "uploads")
    boxes = {c: listening_box(broker, identity, tmp_path / c, c) for c in ("c-1", "c-3")}
    with peers(broker.city_hall().connect(), *boxes.values()) as (hall, *_):
        refused = [
            (dict(text=""), "text", "알림 글을 쓰세요"),
            (dict(text="가" * 301), "text", "300자까지"),
            (dict(text="x" * 10, script="document.querySelector('#text_en').value='e'.repeat(451)"),
             "text_en", "450자까지"),
            (dict(files={"picture": uploads["program.png"]}), "picture", "PNG·JPEG이 아닙니다"),
            (dict(files={"picture": uploads["cut.png"]}), "picture", "끊겼습니다"),
            (dict(files={"picture": uploads["huge.png"]}), "picture", "너무 큽니다"),
            (dict(files={"voice": uploads["huge.wav"]}), "voice", "너무 큽니다"),
            (dict(files={"voice": uploads["picture.png"]}), "voice", "OGG·WAV·MP3이 아닙니다"),
            (dict(hours="0"), "hours", "1에서 168까지"),
            (dict(hours="169"), "hours", "1에서 168까지"),
            (dict(hours="여섯"), "hours", "숫자로"),
            (dict(district=None), "districts", "하나 이상"),
            (dict(district="없는동", script=UNKNOWN_DISTRICT), "districts", "없는동"),
        ]  # fmt: skip
        for options, field, words in refused:
            fill_alert(staff, **options)  # type: ignore[arg-type]
            said = problem(staff, field)
            assert words in said, (options, field, said)
            if field == "hours":
                staff.shot(SHOTS / "alert-refused-1366x768.png", SIZES["laptop"])
                assert "몇 시간 동안" in staff.find("[data-problems]").text
        # Chosen centres: one that is not in the fleet.
        staff.open("/alerts/new")
        click_label(staff, "경로당 고르기")
        staff.driver.execute_script(UNKNOWN_CENTRE)
        click_label(staff, "c-9")
        staff.driver.execute_script("document.querySelector('#text').value = '확인';")
        staff.find("button[data-send]").click()
        assert "c-9" in problem(staff, "centres")
        # A notice without a title, and one lasting past a week.
        staff.open("/alerts/notice")
        staff.find("#text").send_keys("경로당 방역이 있습니다.")
        click_label(staff, "모든 경로당")
        staff.find("form button.send").click()
        assert "제목을 쓰세요" in problem(staff, "title")
        staff.find("#title").send_keys("방역 안내")
        staff.driver.execute_script("document.querySelector('#valid_to').value = '2099-01-01';")
        staff.find("form button.send").click()
        assert "6일 뒤까지" in problem(staff, "valid_to")

        # A 긴급 asks first, saying how many centres: the server too, when the page's
        # script did not (or the audience changed since it asked).
        staff.open("/alerts/new")
        answer = staff.driver.execute_async_script(
            """
            const done = arguments[0];
            const body = new FormData(document.querySelector('form.alert-form'));
            body.set('level', 'emergency'); body.set('text', '대피하세요');
            body.set('audience', 'all'); body.set('confirm_reach', '2');
            fetch('/alerts/new', {method: 'POST', body}).then(r => r.text()).then(done);
            """
        )
        assert "긴급 알림을 <strong>3곳</strong>" in answer and "data-confirm-step" in answer
        # In the page: cancelled, nothing goes.
        staff.open("/alerts/new")
        click_label(staff, "긴급")
        click_label(staff, "모든 경로당")
        staff.driver.execute_script("document.querySelector('#text').value = '대피하세요';")
        staff.find("button[data-send]").click()
        dialog = staff.find("dialog[data-confirm-dialog][open]")
        assert "3곳" in dialog.text
        staff.shot(SHOTS / "alert-confirm-1366x768.png", SIZES["laptop"])
        staff.find("[data-dialog-cancel]").click()
        staff.wait(lambda: not staff.driver.find_elements(By.CSS_SELECTOR, "dialog[open]"))

        for centre, box in boxes.items():
            got = after_fence(hall, box, f"alerts/centre/{centre}/fence")
            assert got == [], f"nothing reached {centre}"
        assert AlertRecord(city.repo).alerts() == [], "nothing was signed or recorded"

        # Confirmed, it goes to every centre.
        staff.find("button[data-send]").click()
        staff.find("dialog[data-confirm-dialog][open] [data-dialog-send]").click()
        staff.wait(lambda: "/alerts/a-" in staff.driver.current_url)
        alert_id = staff.driver.current_url.rsplit("/", 1)[1]
        for centre, box in boxes.items():
            got = after_fence(hall, box, f"alerts/centre/{centre}/fence")
            assert [m.topic for m in got] == [f"alerts/all/{alert_id}"], centre


def test_a_notice_goes_to_a_chosen_centre_as_a_non_urgent_alert_shown_as_plain_text(
    city: ConsoleServer,
    staff: StaffAtConsole,
    broker: Broker,
    identity: CityHallIdentity,
    tmp_path: Path,
) -> None:
    uploads = write_files(tmp_path / "uploads")
    chosen = listening_box(broker, identity, tmp_path / "box-c-3", "c-3")
    other = listening_box(broker, identity, tmp_path / "box-c-1", "c-1")
    with peers(chosen, other, broker.city_hall().connect()) as (_, _, hall):
        staff.open("/alerts/notice")
        title = "<b>방역</b> 안내"
        words = "<script>alert('x')</script> 내일 오전 10시에 경로당 방역이 있습니다."
        staff.find("#title").send_keys(title)
        staff.find("#text").send_keys(words)
        click_label(staff, "경로당 고르기")
        staff.find(".centre-search").send_keys("c-3")
        visible = [
            e.text
            for e in staff.driver.find_elements(By.CSS_SELECTOR, ".checks.centres label")
            if e.is_displayed()
        ]
        assert visible == ["c-3 경로당 (c-3)"], visible
        click_label(staff, "c-3 경로당")
        staff.find("#picture").send_keys(str(uploads["picture.png"]))
        staff.find("#voice").send_keys(str(uploads["voice.ogg"]))
        for size in SIZES.values():
            staff.shot(SHOTS / f"alert-notice-{size[0]}x{size[1]}.png", size)
        staff.find("form button.send").click()
        staff.wait(lambda: "/alerts/a-" in staff.driver.current_url)

        message = chosen.next()
        keys = parse_config((city.repo / "build" / "centres" / "c-3.json").read_bytes()).fleet
        assert keys is not None
        notice = open_alert(message.payload, keys.public_keys(), time.time())
        assert notice.level is Level.INFO and notice.text == f"{title}\n{words}"
        assert notice.picture == uploads["picture.png"].read_bytes()
        assert notice.voice == uploads["voice.ogg"].read_bytes()
        assert after_fence(hall, other, "alerts/centre/c-1/fence") == []

        shown = staff.find(".alert-text")
        assert shown.text == f"{title}\n{words}", "shown as typed, not as markup"
        assert (
            staff.driver.find_elements(By.CSS_SELECTOR, ".alert-text b, .alert-text script") == []
        )
        assert page_errors(staff) == []

        # Withdrawn: recorded, and a box connecting from now on does not get it.
        staff.find("form.withdraw button").click()
        staff.driver.switch_to.alert.accept()
        staff.wait(lambda: "철회함" in staff.find("[data-status]").text)
        late = listening_box(broker, identity, tmp_path / "late-c-3", "c-3")
        with peers(late):
            assert after_fence(hall, late, "alerts/centre/c-3/fence") == []
        assert AlertRecord(city.repo).alerts()[0].withdrawn_at is not None


def test_with_the_broker_down_the_staff_member_is_told_and_nothing_counts_as_sent(
    city: ConsoleServer, staff: StaffAtConsole, broker: Broker
) -> None:
    broker.stop()
    fill_alert(staff, text="정전 안내: 오후 3시까지 전기가 끊깁니다.")
    said = staff.find('.problem[data-field="form"]').text
    assert "알림 채널에 보내지 못했습니다" in said, said
    assert (staff.find("#text").get_attribute("value") or "").startswith("정전 안내"), "kept"
    assert [a.sent_at for a in AlertRecord(city.repo).alerts()] == [], "no number taken"
