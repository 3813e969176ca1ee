"""경로당 현황 in Chromium, fed by a real mosquitto: boxes log in with their own
certificates and report; the console's fleet watch follows them, and the page with
it, without reloading."""

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from selenium.common.exceptions import TimeoutException

from kiosk_contract.fleet import BoxStatus, DeviceReport, Presence, presence_topic, status_topic
from kiosk_provisioning.console.models import Role
from tests.broker import Broker, Peer
from tests.calls.identities import CityHallIdentity
from tests.console.browser import SIZES, StaffAtConsole, staff_browser
from tests.console.conftest import SHOTS
from tests.console.fleet_city import (
    Centre,
    build_city,
    mixed_reports,
    namwon,
    publish_fleet,
)
from tests.console.server import ConsoleServer
from tests.provision.test_fleet_status import healthy as reported

CENTRES = [
    Centre("c-1", "화정경로당", "운봉읍"),
    Centre("c-2", "월락경로당", "운봉읍"),
    Centre("c-3", "노암경로당", "금동"),
]


class City:
    """A built city, its broker and its console (staff: caller, host)."""

    def __init__(self, tmp_path: Path, centres: list[Centre]) -> None:
        self.centres = centres
        self.repo = build_city(tmp_path, centres)
        self.identity = CityHallIdentity(self.repo, {c.id: () for c in centres})
        self.broker = Broker(
            tmp_path / "broker", self.identity, {c.id: c.district for c in centres}
        )
        self.console = ConsoleServer(self.repo, tmp_path / "console", self.broker.tools_url)
        self.console.add_staff("caller", "김복지", Role.CALLER, department="노인복지과")
        self.console.add_staff("host", "이회의", Role.HOST)
        self.tmp_path = tmp_path

    def box(self, centre: str) -> Peer:
        """*centre*'s box, connected, with its last will (offline) as the box's link."""
        box = self.broker.box(self.identity.enrol(centre, self.tmp_path / "boxes" / centre))
        will = msgspec.json.encode(Presence(online=False))
        box.client.will_set(presence_topic(centre), will, qos=1, retain=True)
        return box.connect()


@pytest.fixture
def city(tmp_path: Path) -> Iterator[City]:
    made = City(tmp_path, CENTRES)
    with made.broker, made.console:
        yield made


def report(box: Peer, status: BoxStatus) -> None:
    """As the box's link on connect: presence online, then its status (both retained)."""
    presence = Presence(online=True, since=status.online_since)
    box.publish(presence_topic(status.centre), msgspec.json.encode(presence), retain=True)
    box.publish(status_topic(status.centre), msgspec.json.encode(status), retain=True)


def healthy(centre: str, **changes: object) -> BoxStatus:
    """A healthy box's status, online for three minutes, made now."""
    now = int(time.time())
    return reported(centre, version="1.4.2", online_since=now - 180, at=now, **changes)


def cell(browser: StaffAtConsole, centre: str, column: str) -> str:
    rows = browser.texts(f'tr[data-centre="{centre}"] .{column}')
    return rows[0] if rows else ""


def wait_cell(browser: StaffAtConsole, centre: str, column: str, words: str) -> str:
    """The cell's text once it contains *words* (Selenium's wait fails the test)."""

    def found() -> str | None:
        text = cell(browser, centre, column)
        return text if words in text else None

    return browser.wait(found)


def page_errors(browser: StaffAtConsole) -> list[str]:
    """The page's errors, but the browser asking for a favicon the console has none of."""
    return [e for e in browser.console_errors() if "/favicon.ico " not in e]


def signed_in(browser: StaffAtConsole, login: str) -> None:
    """Signed in, the sign-in's answer in (``sign_in`` may return while the old page
    still stands: opening another page then would cancel the sign-in)."""
    browser.sign_in(login)
    browser.wait(lambda: "/login" not in browser.driver.current_url)


def open_fleet(browser: StaffAtConsole, login: str, console: ConsoleServer) -> None:
    signed_in(browser, login)
    browser.open("/fleet/")
    try:
        browser.wait(lambda: browser.texts("#fleet-table tr.centre"))
    except TimeoutException:
        page = browser.find("main").text
        raise AssertionError(
            f"no rows on the page:\n{page}\n{browser.console_errors()}\n{console.log()[-3000:]}"
        ) from None


def test_the_page_follows_a_box_live(city: City, tmp_path: Path) -> None:
    with staff_browser(city.console.url, tmp_path / "browser") as browser:
        open_fleet(browser, "caller", city.console)
        heads = browser.texts(".district-head th")
        assert [h.split(" — ")[0] for h in heads] == ["금동", "운봉읍"]
        assert heads[1].endswith("2곳 · 켜짐 0 · 꺼짐 0 · 연결된 적 없음 2 · 문제 0")
        assert browser.texts("#fleet-table tr.centre .name") == [
            "노암경로당",
            "화정경로당",
            "월락경로당",
        ]
        assert cell(browser, "c-1", "state") == "연결된 적 없음"
        call = browser.find('tr[data-centre="c-1"] a.call')
        assert call.text == "전화"
        assert (call.get_attribute("href") or "").endswith("/calls/?centre=c-1")
        # Marks this page: a reload would forget it.
        browser.driver.execute_script("window.samePage = true")

        with city.box("c-1") as box:
            report(box, healthy("c-1"))
            assert wait_cell(browser, "c-1", "state", "켜짐") == "3분 전부터 켜짐"
            assert cell(browser, "c-1", "screen") == "첫 화면"
            assert cell(browser, "c-1", "devices") == "카메라 ✓ 마이크 ✓ 스피커 ✓"
            assert cell(browser, "c-1", "version") == "1.4.2"
            assert cell(browser, "c-1", "revision") == "1판"

            # What a box says is text, never markup, on the page.
            error = '<img src=x class="injected"> 카메라 연결 끊김'
            report(box, healthy("c-1", screen="programme", camera=DeviceReport(), last_error=error))
            wait_cell(browser, "c-1", "screen", "프로그램 방송 중")
            assert cell(browser, "c-1", "devices") == "카메라 ✗ 마이크 ✓ 스피커 ✓"
            assert cell(browser, "c-1", "issues") == f"카메라 없음\n{error}"
            assert browser.texts("img.injected") == []
            assert "문제 1" in browser.find("#fleet-summary").text

            box.drop()  # power cut: the broker sends the box's last will
            assert wait_cell(browser, "c-1", "state", "꺼짐") == "방금 전부터 꺼짐"
            assert cell(browser, "c-1", "screen") == "—"
        assert browser.driver.execute_script("return window.samePage") is True
        assert "켜짐 0 · 꺼짐 1 · 연결된 적 없음 2" in browser.find("#fleet-summary").text
        assert browser.find("#fleet-link").get_attribute("hidden") is not None
        assert page_errors(browser) == []


def test_the_page_says_when_the_broker_is_away_and_keeps_the_last_state(
    city: City, tmp_path: Path
) -> None:
    # c-3 reports and leaves with a goodbye (no last will): the broker keeps it online.
    with city.box("c-3") as box:
        report(box, healthy("c-3", screen="call"))
    with staff_browser(city.console.url, tmp_path / "browser") as browser:
        open_fleet(browser, "host", city.console)
        wait_cell(browser, "c-3", "screen", "통화 중")
        assert browser.texts("a.call") == [], "the 전화 button is for callers only"

        city.broker.stop()
        banner = browser.wait(lambda: browser.find("#fleet-link").text or None)
        assert banner.startswith("현황 서버에 연결되지 않았습니다 — 마지막으로 받은 정보입니다 (")
        assert cell(browser, "c-3", "state").endswith("켜짐"), "the last state is kept"
        assert cell(browser, "c-3", "screen") == "통화 중"
        browser.shot(SHOTS / "fleet-broker-away-1366x768.png")

        city.broker.start()
        browser.wait(lambda: browser.find("#fleet-link").get_attribute("hidden") is not None)
        with city.box("c-2") as two:
            report(two, healthy("c-2", screen="alert"))
            wait_cell(browser, "c-2", "screen", "알림 표시 중")
        assert page_errors(browser) == []

        city.console.stop()  # the console itself away: the page keeps what it has
        said = browser.wait(lambda: browser.find("#fleet-link").text or None)
        assert said.startswith("콘솔 서버에 연결되지 않았습니다 — 마지막으로 받은 정보입니다 (")
        assert cell(browser, "c-2", "screen") == "알림 표시 중"
    log = city.console.log()
    assert log.count("fleet broker") == 3, log  # connected; lost (once); connected again
    assert "connected again" in log


def test_a_whole_city_on_the_page(tmp_path: Path) -> None:
    centres = namwon(496)
    made = City(tmp_path, centres)
    now = int(time.time())
    reports = mixed_reports(centres, now)
    with made.broker, made.console:
        publish_fleet(
            made.broker.host,
            made.broker.port,
            made.identity.authority,
            tmp_path / "boxes",
            reports,
        )
        with staff_browser(made.console.url, tmp_path / "browser") as browser:
            open_fleet(browser, "caller", made.console)
            online = sum(r.online for r in reports.values())
            browser.wait(lambda: f"켜짐 {online} ·" in browser.find("#fleet-summary").text)
            assert len(browser.texts("#fleet-table tr.centre")) == 496

            browser.find("#fleet-offline").click()
            shown = browser.driver.execute_script(
                "return document.querySelectorAll('#fleet-table tr.centre:not([hidden])').length"
            )
            assert shown == 496 - online
            browser.find("#fleet-offline").click()
            browser.find("#fleet-search").send_keys("화정")
            names = browser.driver.execute_script(
                "return [...document.querySelectorAll("
                "'#fleet-table tr.centre:not([hidden]) .name')].map(n => n.textContent)"
            )
            assert names and all("화정" in name for name in names)
            browser.find("#fleet-search").clear()
            browser.driver.execute_script(
                "const s = document.getElementById('fleet-search'); "
                "s.value = ''; s.dispatchEvent(new Event('input'))"
            )
            for name, size in SIZES.items():
                browser.shot(SHOTS / f"fleet-{size[0]}x{size[1]}.png", size)
                assert name
            browser.find("#fleet-problems").click()
            browser.shot(SHOTS / "fleet-problems-1366x768.png", SIZES["laptop"])
            assert page_errors(browser) == []


def test_without_a_broker_the_page_says_so(console: ConsoleServer, browser: StaffAtConsole) -> None:
    signed_in(browser, "caller")
    browser.open("/fleet/")
    assert "현황 서버(브로커)가 설정되지 않아" in browser.find("#fleet-unconfigured").text
    empty = browser.wait(lambda: browser.find("#fleet-empty").text or None)
    assert empty.startswith("아직 경로당이 없습니다")
    assert browser.find("#fleet-summary").text.startswith("전체 0곳")
    assert browser.find("#fleet-link").get_attribute("hidden") is not None
    assert page_errors(browser) == []
    browser.driver.delete_all_cookies()  # signed out elsewhere, or the session ran out
    said = browser.wait(lambda: browser.find("#fleet-link").text or None)
    assert said == "로그인이 끝났습니다. 페이지를 새로 고쳐 다시 로그인해 주세요."
