"""Signing in and out at the console: the same refusal for a wrong password and an
unknown login, lock-out after five wrong in a row with the time it ends, a new
session at each sign-in, sign-out and password changes ending every copy of the
session, a session's longest life."""

import datetime as dt
import re
import time
import zoneinfo
from pathlib import Path

import pytest

from kiosk_provisioning.console.app import create_app
from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.settings import ConsoleSettings
from tests.console.browser import SIZES, StaffAtConsole, gone, staff_browser
from tests.console.conftest import SHOTS
from tests.console.server import PASSWORD, Clerk, ConsoleServer

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
WRONG = "아이디 또는 비밀번호가 맞지 않습니다."


def problem(page: str) -> str:
    found = re.search(r'<p class="problem" role="alert">([^<]*)</p>', page)
    return found.group(1) if found else ""


def press_and_wait_for_the_next_page(browser: StaffAtConsole, css: str) -> None:
    """Press *css* (a form's button) and wait until the page it sends to is loaded."""
    html = browser.find("html")
    browser.find(css).click()
    browser.wait(lambda: gone(html))
    browser.wait(lambda: browser.driver.execute_script("return document.readyState") == "complete")


def test_staff_sign_in_and_see_their_menu(shared_console: ConsoleServer, tmp_path: Path) -> None:
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("caller")
        browser.find("nav")
        assert browser.texts("nav a") == ["경로당 현황", "전화", "의견 메시지"]
        assert "김복지" in browser.find(".who").text


def test_a_wrong_password_and_an_unknown_login_are_refused_alike(
    shared_console: ConsoleServer, tmp_path: Path
) -> None:
    clerk = Clerk(shared_console.url)
    wrong = clerk.sign_in("host", "not the password")
    unknown = clerk.sign_in("nobody", PASSWORD)
    assert (wrong.status_code, problem(wrong.text)) == (401, WRONG)
    assert (unknown.status_code, problem(unknown.text)) == (401, WRONG)
    assert not clerk.is_signed_in()
    # Both attempts are in the administrator's audit list.
    admin = Clerk.signed_in(shared_console.url, "admin")
    audit = admin.get("/staff/").text
    assert re.search(r"<td>host</td>\s*<td>127\.0\.0\.1</td>\s*<td>틀림</td>", audit)
    assert re.search(r"<td>nobody</td>\s*<td>127\.0\.0\.1</td>\s*<td>틀림</td>", audit)
    # As a person sees it, at both screen sizes.
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("host", "not the password")
        assert browser.find(".problem").text == WRONG
        assert browser.find("#login").get_attribute("value") == "host"
        assert browser.find("#password").get_attribute("value") == ""
        assert browser.driver.switch_to.active_element.get_attribute("id") == "password"
        for width, height in SIZES.values():
            browser.shot(SHOTS / f"sign-in-{width}x{height}.png", (width, height))
        # The refusal is the page's own status (401), not a script's error.
        assert [e for e in browser.console_errors() if "/login - " not in e] == []


def test_five_wrong_in_a_row_lock_the_account_and_say_until_when(
    shared_console: ConsoleServer,
) -> None:
    shared_console.add_staff("locked.out", "정잠김", Role.CALLER)
    clerk = Clerk(shared_console.url)
    for _ in range(4):
        assert problem(clerk.sign_in("locked.out", "not the password").text) == WRONG
    fifth = clerk.sign_in("locked.out", "not the password")
    # In city hall's time, whatever zone the server runs in.
    until = (dt.datetime.now(SEOUL) + dt.timedelta(minutes=15)).strftime("%H:%M")
    message = (
        f"비밀번호가 여러 번 틀려 계정이 잠겼습니다. {until}까지 기다리거나 관리자에게 문의하세요."
    )
    assert (fifth.status_code, problem(fifth.text)) == (401, message)
    # The right password does not open it now.
    assert problem(clerk.sign_in("locked.out").text) == message
    assert not clerk.is_signed_in()
    # The administrator sees it locked, and unlocks it.
    admin = Clerk.signed_in(shared_console.url, "admin")
    row = re.search(r'<tr data-login="locked.out">.*?</tr>', admin.get("/staff/").text, re.S)
    assert row and f"잠김 · {until}까지" in row.group(0)
    number = re.search(r'href="/staff/(\d+)"', row.group(0))
    assert number
    assert admin.send(f"/staff/{number.group(1)}/unlock").status_code == 302
    assert clerk.sign_in("locked.out").status_code == 302
    assert clerk.is_signed_in()


def test_signing_in_starts_a_new_session(shared_console: ConsoleServer) -> None:
    clerk = Clerk(shared_console.url)
    token = clerk.csrf()
    before = clerk.http.cookies["kiosk_console"]
    assert clerk.sign_in("alerts").headers["Location"] == "/fleet/"
    assert clerk.http.cookies["kiosk_console"] != before
    assert clerk.csrf("/password") != token  # nothing from before survives
    # Whoever held the cookie from before the sign-in holds nothing.
    other = Clerk(shared_console.url)
    other.http.cookies.set("kiosk_console", before)
    assert not other.is_signed_in()


def test_next_leads_back_only_within_the_console(shared_console: ConsoleServer) -> None:
    clerk = Clerk(shared_console.url)
    page = clerk.get("/staff/")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/staff/"
    token = clerk.csrf()
    for target, landing in [("/staff/", "/staff/"), ("//evil.example/", "/fleet/")]:
        answer = clerk.post(
            f"/login?next={target}",
            data={"csrf_token": token, "login": "caller", "password": PASSWORD},
        )
        assert answer.headers["Location"] == landing
        token = clerk.csrf()


def test_signing_out_ends_every_copy_of_the_session(shared_console: ConsoleServer) -> None:
    clerk = Clerk.signed_in(shared_console.url, "host")
    copy = Clerk(shared_console.url)
    copy.http.cookies.update(clerk.http.cookies)
    assert copy.is_signed_in()
    assert clerk.get("/logout").status_code == 405  # a link cannot sign anyone out
    assert clerk.post("/logout").status_code == 400  # nor a form from elsewhere
    out = clerk.send("/logout")
    assert (out.status_code, out.headers["Location"]) == (302, "/login")
    assert not clerk.is_signed_in()
    assert not copy.is_signed_in()


def test_signing_out_in_a_browser(shared_console: ConsoleServer, tmp_path: Path) -> None:
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("alerts")
        page = browser.find("html")
        browser.find(".who button").click()
        # The sign-out's own page first: opening another mid-way breaks the navigation.
        browser.wait(lambda: gone(page))
        browser.wait(lambda: browser.driver.current_url.endswith("/login"))
        browser.open("/fleet/")
        assert browser.driver.current_url.endswith("/login?next=/fleet/")
        assert browser.texts("nav a") == []


def test_own_password_change_signs_out_the_other_sessions(
    shared_console: ConsoleServer, tmp_path: Path
) -> None:
    shared_console.add_staff("changer", "최변경", Role.HOST)
    elsewhere = Clerk.signed_in(shared_console.url, "changer")
    new = "새로-정한-비밀번호-77"
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("changer")
        browser.find(".who a").click()

        def submit(old: str, new: str, again: str) -> list[str]:
            browser.find("#old_password").send_keys(old)
            browser.find("#new_password").send_keys(new)
            browser.find("#again").send_keys(again)
            press_and_wait_for_the_next_page(browser, "form:not(.who) button")
            return browser.texts(".field-problem")

        assert submit(PASSWORD, new, new + "x") == ["두 번 입력한 새 비밀번호가 다릅니다."]
        assert submit("not the password", new, new) == ["지금 비밀번호가 맞지 않습니다."]
        assert submit(PASSWORD, "short", "short") == ["비밀번호는 10자 이상이어야 합니다."]
        assert elsewhere.is_signed_in()
        browser.find("#old_password").send_keys(PASSWORD)
        browser.find("#new_password").send_keys(new)
        browser.find("#again").send_keys(new)
        press_and_wait_for_the_next_page(browser, "form:not(.who) button")
        assert "비밀번호를 바꿨습니다" in browser.find(".done").text
        assert browser.texts(".field-problem") == []
        browser.open("/fleet/")  # this browser goes on
        assert "최변경" in browser.find(".who").text
    assert not elsewhere.is_signed_in()
    assert problem(Clerk(shared_console.url).sign_in("changer").text) == WRONG
    assert Clerk(shared_console.url).sign_in("changer", new).status_code == 302


def test_a_session_lasts_session_hours_at_most(
    shared_console: ConsoleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In process (the clock is moved): the same application ``console serve`` runs."""
    settings = ConsoleSettings(
        repo=shared_console.repo, database_url=shared_console.database, secure_cookies=False
    )
    app = create_app(settings)
    try:
        client = app.test_client()
        page = client.get("/login")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert token
        signed = client.post(
            "/login", data={"csrf_token": token.group(1), "login": "host", "password": PASSWORD}
        )
        assert signed.status_code == 302
        assert client.get("/password").status_code == 200
        start = time.time()
        hours = settings.session_hours
        # Used all day long, the cookie is renewed at each request (Flask's own expiry
        # never comes), yet the sign-in ends session_hours after it began.
        for elapsed in (hours / 2, hours - 1 / 60):
            monkeypatch.setattr(time, "time", lambda e=elapsed: start + e * 3600)
            assert client.get("/password").status_code == 200, elapsed
        monkeypatch.setattr(time, "time", lambda: start + hours * 3600 + 60)
        assert client.get("/password", headers={"Accept": "text/html"}).status_code == 302
    finally:
        app.extensions["kiosk_console"].close()
