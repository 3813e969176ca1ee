"""직원 관리: an administrator adds accounts, changes roles, resets passwords,
unlocks, deactivates and reactivates; every change signs the staff member out where
it matters, is refused where it would lock city hall out, and is in the audit."""

import re
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.alert import Alert

from tests.console.browser import SIZES, StaffAtConsole, gone, staff_browser
from tests.console.conftest import SHOTS
from tests.console.server import PASSWORD, Clerk, ConsoleServer
from tests.console.test_sign_in import press_and_wait_for_the_next_page, problem


@pytest.fixture(scope="module")
def admin(shared_console: ConsoleServer) -> Clerk:
    return Clerk.signed_in(shared_console.url, "admin")


def make_account(admin: Clerk, login: str, *roles: str, name: str = "정직원") -> str:
    """A new account made through the page; its number."""
    made = admin.send(
        "/staff/new",
        login=login, name=name, department="총무과", roles=list(roles),
        password=PASSWORD, again=PASSWORD,
    )  # fmt: skip
    assert made.status_code == 302, problems_of(made.text)
    found = re.fullmatch(r"/staff/(\d+)\?done=added", made.headers["Location"])
    assert found
    return found.group(1)


def problems_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-problem" data-field="(\w+)">([^<]*)</p>', page))


def last_change(admin: Clerk) -> list[str]:
    """The newest row of 최근 계정 변경: when, who, what, detail."""
    table = re.search(
        r'<table class="changes">.*?<tbody>(.*?)</tbody>', admin.get("/staff/").text, re.S
    )
    assert table
    row = re.search(r"<tr>(.*?)</tr>", table.group(1), re.S)
    assert row
    return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]


def test_adding_an_account_in_the_browser(shared_console: ConsoleServer, tmp_path: Path) -> None:
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("admin")
        browser.find('nav a[href="/staff/"]').click()
        press_and_wait_for_the_next_page(browser, "a.button.primary")
        browser.find("#name").send_keys("<script>alert(1)</script>")
        browser.find("#department").send_keys("가" * 41)
        browser.find("#password").send_keys("short")
        browser.find("#again").send_keys("shorter")
        press_and_wait_for_the_next_page(browser, "form:not(.who) button")
        problems = {
            e.get_attribute("data-field"): e.text
            for e in browser.driver.find_elements("css selector", ".field-problem")
        }
        assert problems == {
            "login": "아이디는 영문 소문자·숫자·점·빼기·밑줄 2~40자여야 합니다.",
            "name": "이름 칸에는 < > 같은 기호를 쓸 수 없습니다.",
            "department": "부서 칸은 40자 이하로 써 주세요.",
            "roles": "역할을 하나 이상 고르세요.",
            "password": "비밀번호는 10자 이상이어야 합니다.",
            "again": "두 번 입력한 비밀번호가 다릅니다.",
        }
        # What was typed comes back as text, never as markup.
        assert (
            browser.find(".problem").text
            == "고칠 곳이 6군데 있습니다. 빨간 글씨를 보고 고쳐 주세요."
        )
        assert browser.find("#name").get_attribute("value") == "<script>alert(1)</script>"
        assert browser.driver.execute_script("return document.scripts.length") == 0
        shoot(browser, "staff-new")
        for css, text in [
            ("#login", "Park.Jumin"), ("#name", "박주민 주무관"), ("#department", "민원과"),
            ("#password", PASSWORD), ("#again", PASSWORD),
        ]:  # fmt: skip
            browser.find(css).clear()
            browser.find(css).send_keys(text)
        browser.find('input[value="caller"]').click()
        browser.find('input[value="alerts"]').click()
        press_and_wait_for_the_next_page(browser, "form:not(.who) button")
        assert browser.find(".done").text == "계정을 만들었습니다."
        assert browser.find("h1").text == "박주민 주무관 (park.jumin · 민원과)"
        shoot(browser, "staff-account")
        browser.find('a[href="/staff/"]').click()
        row = browser.find('tr[data-login="park.jumin"]')
        assert row.text.split("\n")[0].split()[:5] == [
            "park.jumin",
            "박주민",
            "주무관",
            "민원과",
            "전화",
        ]

        assert last_change_in(browser) == ["관리자", "계정 추가", "park.jumin (전화, 알림·안내)"]
        shoot(browser, "staff")
        # The form refused is the page's own status (400), not a script's error.
        assert [e for e in browser.console_errors() if "/staff/new - " not in e] == []
    assert Clerk(shared_console.url).sign_in("park.jumin").status_code == 302


def last_change_in(browser: StaffAtConsole) -> list[str]:
    return browser.texts("table.changes tbody tr:first-child td")[1:]


def shoot(browser: StaffAtConsole, page: str) -> None:
    for width, height in SIZES.values():
        browser.shot(SHOTS / f"{page}-{width}x{height}.png", (width, height))
    browser.driver.set_window_size(*SIZES["laptop"])


def test_a_role_change_holds_at_once(shared_console: ConsoleServer, admin: Clerk) -> None:
    number = make_account(admin, "role.change", "caller")
    staff = Clerk.signed_in(shared_console.url, "role.change")
    assert staff.get("/calls/").status_code == 200
    changed = admin.send(f"/staff/{number}/roles", roles=["host"])
    assert changed.headers["Location"] == f"/staff/{number}?done=roles"
    assert not staff.is_signed_in()  # signed out: the old roles are gone with the session
    staff = Clerk.signed_in(shared_console.url, "role.change")
    assert staff.get("/calls/").status_code == 403
    assert staff.get("/meeting/").status_code == 200
    assert last_change(admin)[1:] == ["관리자", "역할 변경", "role.change: 전화 → 영상 회의"]
    none = admin.send(f"/staff/{number}/roles")
    assert (none.status_code, problems_of(none.text)) == (
        400,
        {"roles": "역할을 하나 이상 고르세요."},
    )
    bogus = admin.send(f"/staff/{number}/roles", roles=["root"])
    assert bogus.status_code == 400 and "roles" in problems_of(bogus.text)


def test_a_reset_password_replaces_the_old_one(shared_console: ConsoleServer, admin: Clerk) -> None:
    number = make_account(admin, "forgot", "host")
    staff = Clerk.signed_in(shared_console.url, "forgot")
    new = "관리자가-정한-비번-1"
    mismatch = admin.send(f"/staff/{number}/password", password=new, again=new + "?")
    assert problems_of(mismatch.text) == {"again": "두 번 입력한 비밀번호가 다릅니다."}
    assert staff.is_signed_in()
    assert admin.send(f"/staff/{number}/password", password=new, again=new).status_code == 302
    assert not staff.is_signed_in()
    assert (
        problem(Clerk(shared_console.url).sign_in("forgot").text)
        == "아이디 또는 비밀번호가 맞지 않습니다."
    )
    assert Clerk(shared_console.url).sign_in("forgot", new).status_code == 302
    assert last_change(admin)[1:] == ["관리자", "비밀번호 초기화", "forgot"]


def test_deactivating_signs_out_and_keeps_out(shared_console: ConsoleServer, admin: Clerk) -> None:
    number = make_account(admin, "leaving", "caller")
    staff = Clerk.signed_in(shared_console.url, "leaving")
    assert admin.send(f"/staff/{number}/deactivate").status_code == 302
    assert not staff.is_signed_in()
    refused = Clerk(shared_console.url).sign_in("leaving")
    assert problem(refused.text) == "사용이 중지된 계정입니다. 관리자에게 문의하세요."
    row = re.search(
        r'<tr data-login="leaving" class="inactive">.*?</tr>', admin.get("/staff/").text, re.S
    )
    assert row and "사용 중지" in row.group(0)
    assert last_change(admin)[1:] == ["관리자", "사용 중지", "leaving"]
    assert admin.send(f"/staff/{number}/reactivate").status_code == 302
    assert Clerk(shared_console.url).sign_in("leaving").status_code == 302
    assert last_change(admin)[1:] == ["관리자", "다시 사용", "leaving"]


def test_administrators_cannot_lock_city_hall_out(
    shared_console: ConsoleServer, admin: Clerk
) -> None:
    me = re.search(
        r'<tr data-login="admin">.*?href="/staff/(\d+)"', admin.get("/staff/").text, re.S
    )
    assert me
    mine = me.group(1)
    page = admin.get(f"/staff/{mine}").text
    assert "자기 자신의 계정은 사용 중지할 수 없습니다." in page and "/deactivate" not in page
    demoted = admin.send(f"/staff/{mine}/roles", roles=["caller"])
    assert problems_of(demoted.text) == {"roles": "자기 자신의 관리자 역할은 뺄 수 없습니다."}
    gone = admin.send(f"/staff/{mine}/deactivate")
    assert gone.status_code == 400 and "자기 자신의 계정은 사용 중지할 수 없습니다." in gone.text
    # A second administrator may not take the role from the last other one either.
    number = make_account(admin, "second.admin", "admin")
    second = Clerk.signed_in(shared_console.url, "second.admin")
    assert second.send(f"/staff/{mine}/roles", roles=["admin", "host"]).status_code == 302
    assert admin.is_signed_in() is False  # roles changed: signed out everywhere
    admin.sign_in("admin")
    assert second.send(f"/staff/{mine}/deactivate").status_code == 302
    last = second.send(f"/staff/{number}/roles", roles=["caller"])
    assert problems_of(last.text) == {"roles": "자기 자신의 관리자 역할은 뺄 수 없습니다."}
    assert second.send(f"/staff/{mine}/reactivate").status_code == 302
    assert admin.sign_in("admin").status_code == 302
    assert admin.is_signed_in()


def test_other_roles_meet_a_plain_refusal(shared_console: ConsoleServer, tmp_path: Path) -> None:
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("alerts")
        browser.open("/staff/")
        assert browser.find("h1").text == "권한 없음"
        assert "이 페이지를 쓸 권한이 없습니다" in browser.find("main").text
        shoot(browser, "refused")
        assert "직원 관리" not in browser.texts("nav a")
        browser.open("/staff/999")
        assert browser.find("h1").text == "권한 없음"  # not even whether it exists
        browser.open("/no-such-page")
        assert browser.find("h1").text == "없는 페이지"


def test_deactivating_in_the_browser_asks_first(
    shared_console: ConsoleServer, admin: Clerk, tmp_path: Path
) -> None:
    number = make_account(admin, "asked", "caller", name="한번더")
    with staff_browser(shared_console.url, tmp_path / "browser") as browser:
        browser.sign_in("admin")
        browser.open(f"/staff/{number}")
        browser.find("button.danger").click()
        question = browser.wait(lambda: alert_of(browser))
        assert question.text == (
            "한번더(asked) 계정을 사용 중지할까요? 바로 로그아웃되고 다시 로그인할 수 없습니다."
        )
        question.dismiss()
        assert browser.find(".state").text.startswith("사용 중")
        assert Clerk(shared_console.url).sign_in("asked").status_code == 302
        html = browser.find("html")
        browser.find("button.danger").click()
        browser.wait(lambda: alert_of(browser)).accept()
        browser.wait(lambda: gone(html))
        assert browser.find(".done").text.startswith("계정을 사용 중지했습니다.")
        assert browser.console_errors() == []
    assert Clerk(shared_console.url).sign_in("asked").status_code == 401


def alert_of(browser: StaffAtConsole) -> Alert | None:
    try:
        alert = browser.driver.switch_to.alert
        alert.text  # noqa: B018  (raises while there is none)
    except NoAlertPresentException:
        return None
    return alert
