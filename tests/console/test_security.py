"""Every route of the console, found in its URL map (pages added later included), is
guarded: anonymous requests are refused, POSTs without the CSRF token are refused
even from an administrator, and each role reaches exactly the pages of ACCESS.

A new page module fails these tests until its blueprint is in ACCESS and every one
of its views carries ``web.role_required`` or ``web.signed_in``."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.routing import Rule

from kiosk_provisioning.console.app import create_app
from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.settings import ConsoleSettings
from tests.console.conftest import ROLE_ACCOUNTS
from tests.console.server import Clerk, ConsoleServer

EVERYONE = frozenset(Role)
ACCESS: dict[str, frozenset[Role]] = {
    "home": EVERYONE,
    "auth": EVERYONE,
    "fleet": EVERYONE,
    "calls": frozenset({Role.CALLER}),
    "meeting": frozenset({Role.HOST}),
    "questions": frozenset({Role.HOST}),
    "messages": EVERYONE,
    "messages.handled": frozenset({Role.CALLER}),
    "alerts": frozenset({Role.ALERTS}),
    "staff": frozenset({Role.ADMIN}),
}
"""Who may reach each blueprint's views (or a single endpoint, named in full, which
then wins over its blueprint). An administrator may reach everything."""
PUBLIC = frozenset({"auth.sign_in", "static"})
"""The only endpoints an anonymous visitor reaches."""
SAMPLES = {"IntegerConverter": "1", "UUIDConverter": str(uuid.UUID(int=1))}
"""A value for each URL variable, by its converter (any other gets ``x``)."""
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.endpoint})"


def _path(app: Flask, rule: Rule, method: str) -> str:
    values = {
        name: SAMPLES.get(type(converter).__name__, "x")
        for name, converter in rule._converters.items()
    }
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def routes_of(app: Flask) -> list[Route]:
    return [
        Route(rule.endpoint, method, _path(app, rule, method))
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def who_may(endpoint: str) -> frozenset[Role]:
    return ACCESS.get(endpoint, ACCESS.get(endpoint.partition(".")[0], frozenset()))


@pytest.fixture(scope="module")
def routes(shared_console: ConsoleServer) -> list[Route]:
    """The routes of the very application ``console serve`` runs (built here from the
    same settings to read its URL map)."""
    settings = ConsoleSettings(
        repo=shared_console.repo, database_url=shared_console.database, secure_cookies=False
    )
    app = create_app(settings)
    try:
        found = routes_of(app)
    finally:
        app.extensions["kiosk_console"].close()
    assert {r.endpoint for r in found} >= {"auth.sign_in", "staff.page", "staff.new"}
    return found


@pytest.fixture(scope="module")
def clerks(shared_console: ConsoleServer) -> Iterator[dict[Role, Clerk]]:
    yield {
        role: Clerk.signed_in(shared_console.url, login)
        for role, (login, *_) in ROLE_ACCOUNTS.items()
    }


def _ask(clerk: Clerk, route: Route, **options: object) -> int:
    """The status of *route* (the body is not read: a page may stream)."""
    answer = clerk.http.request(
        route.method,
        clerk.url + route.path,
        allow_redirects=False,
        stream=True,
        timeout=20,
        **options,  # type: ignore[arg-type]
    )
    answer.close()
    if answer.status_code == 302 and "/login" in answer.headers.get("Location", ""):
        return 401  # to the sign-in page: the same refusal, for a person
    return answer.status_code


def test_every_page_is_in_the_access_table(routes: list[Route]) -> None:
    missing = sorted(
        {r.endpoint for r in routes if r.endpoint not in PUBLIC and not who_may(r.endpoint)}
    )
    assert not missing, f"add these endpoints (or their blueprint) to ACCESS: {missing}"


def test_anonymous_requests_are_refused(shared_console: ConsoleServer, routes: list[Route]) -> None:
    stranger = Clerk(shared_console.url)
    token = stranger.csrf("/login")  # a stranger has a token for the sign-in form
    unguarded = []
    for route in routes:
        if route.endpoint in PUBLIC:
            continue
        data = {"csrf_token": token} if route.method in CHANGING else None
        if _ask(stranger, route, data=data) != 401:
            unguarded.append(str(route))
        # The page's own fetch() gets a 401 rather than the sign-in page.
        fetched = stranger.http.request(
            route.method, stranger.url + route.path, allow_redirects=False, timeout=20,
            headers={"Accept": "*/*", "Sec-Fetch-Mode": "cors", "X-CSRFToken": token},
        )  # fmt: skip
        if fetched.status_code != 401 or fetched.json() != {"error": "먼저 로그인하세요."}:
            unguarded.append(f"{route} by fetch(): {fetched.status_code}")
    assert not unguarded, f"anonymous requests served: {unguarded}"
    assert stranger.get("/login").status_code == 200


def test_public_pages_are_served(shared_console: ConsoleServer) -> None:
    stranger = Clerk(shared_console.url)
    assert stranger.get("/login").status_code == 200
    assert stranger.get("/static/console.css").status_code == 200


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_posts_without_the_csrf_token_are_refused(
    clerks: dict[Role, Clerk], routes: list[Route], token: str | None
) -> None:
    admin = clerks[Role.ADMIN]
    served = []
    for route in routes:
        if route.method not in CHANGING:
            continue
        data = {"csrf_token": token} if token else {}
        headers = {"X-CSRFToken": token} if token else {}
        if _ask(admin, route, data=data, headers=headers) != 400:
            served.append(str(route))
    assert not served, f"served without the CSRF token: {served}"
    assert admin.is_signed_in()  # the refusals did not sign the administrator out


def test_each_role_reaches_exactly_its_pages(
    clerks: dict[Role, Clerk], routes: list[Route]
) -> None:
    wrong = []
    for role, clerk in clerks.items():
        token = clerk.csrf("/password")
        for route in routes:
            if route.endpoint in PUBLIC:
                continue
            allowed = role is Role.ADMIN or role in who_may(route.endpoint)
            if route.method in CHANGING:
                if allowed:
                    continue  # a real change: the page's own tests make those
                status = _ask(clerk, route, data={"csrf_token": token})
            else:
                status = _ask(clerk, route)
            if allowed and status in (401, 403):
                wrong.append(f"{role}: refused {route} ({status})")
            elif not allowed and status != 403:
                wrong.append(f"{role}: served {route} ({status})")
            elif status >= 500:
                wrong.append(f"{role}: {route} failed ({status})")
    assert not wrong, "\n".join(wrong)
    for clerk in clerks.values():
        assert clerk.is_signed_in()


def test_security_headers(clerks: dict[Role, Clerk]) -> None:
    page = clerks[Role.ADMIN].get("/staff/")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = next(c for c in clerks[Role.ADMIN].http.cookies if c.name == "kiosk_console")
    assert cookie.has_nonstandard_attr("HttpOnly")
