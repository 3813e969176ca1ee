"""Signing in at the console in a real browser."""

from tests.console.browser import StaffAtConsole
from tests.console.server import ConsoleServer


def test_staff_sign_in_and_see_their_menu(console: ConsoleServer, browser: StaffAtConsole) -> None:
    browser.sign_in("caller")
    browser.find("nav")
    assert browser.texts("nav a") == ["경로당 현황", "전화"]
    assert "김복지" in browser.find(".who").text
