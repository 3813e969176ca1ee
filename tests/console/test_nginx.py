"""The console behind city hall's nginx as shipped (provisioning/nginx/kiosk-console.conf,
rendered with only its certificate, addresses and ports changed): HTTPS only, HSTS,
cookies only over HTTPS, and the client's address as nginx saw it."""

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from kiosk_demo.webserver import nginx_conf
from tests.console.conftest import console_with_accounts
from tests.console.server import PASSWORD, Clerk, ConsoleServer
from tests.webserver import free_port

SITE = Path(__file__).resolve().parents[2] / "provisioning" / "nginx" / "kiosk-console.conf"
NAME = "console.test"


@dataclass(frozen=True)
class CityHallNginx:
    https: str
    """``https://127.0.0.1:PORT``"""
    http: str
    ca: Path
    """What the staff's browsers trust (a test CA, which signed nginx's certificate)."""
    console: ConsoleServer


def console_site(console_port: int, https: int, http: int, cert: Path, key: Path) -> str:
    """The shipped site with only its certificate, listening addresses, upstream port
    and Host (with the port: here not 443) changed, so the test exercises the very
    rules a city installs."""
    text = "\n".join(line.split("#", 1)[0] for line in SITE.read_text().splitlines())
    replaced = {
        r"server_name\s+[^;]*;": f"server_name {NAME};",
        r"ssl_certificate\s+[^;]*;": f"ssl_certificate {cert};",
        r"ssl_certificate_key\s+[^;]*;": f"ssl_certificate_key {key};",
        r"proxy_ssl_trusted_certificate\s+[^;]*;": f"proxy_ssl_trusted_certificate {cert};",
        r"proxy_pass http://127\.0\.0\.1:8070;": f"proxy_pass http://127.0.0.1:{console_port};",
        r"listen 80;": f"listen 127.0.0.1:{http};",
        r"listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
        r"listen \[::\]:\d+( ssl)?;": "",
        # Browsers put the port in Host and Referer when it is not 443, as here.
        r"proxy_set_header (Host|X-Forwarded-Host) \$host;": r"proxy_set_header \1 $http_host;",
    }
    for pattern, value in replaced.items():
        text, count = re.subn(pattern, value, text)
        assert count >= 1, f"{SITE.name}: no {pattern}"
    return text


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA (what the staff's browsers trust) and the console's certificate from
    it: (ca, certificate, key)."""
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key, request = folder / "console.pem", folder / "console.key", folder / "console.csr"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for argv in (
        ["req", "-x509", *ec, "-days", "2", "-subj", "/CN=City hall test CA",
         "-keyout", ca_key, "-out", ca],
        ["req", "-new", *ec, "-subj", f"/CN={NAME}", "-keyout", key, "-out", request],
        ["x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-days", "2",
         "-out", cert, "-extfile", "/dev/stdin"],
    ):  # fmt: skip
        subprocess.run(
            ["openssl", *map(str, argv)],
            input=f"subjectAltName=DNS:{NAME},IP:127.0.0.1\n",
            text=True, check=True, capture_output=True, timeout=30,
        )  # fmt: skip
    return ca, cert, key


@pytest.fixture(scope="module")
def city_hall(
    tmp_path_factory: pytest.TempPathFactory, accounts_made: Path
) -> Iterator[CityHallNginx]:
    folder = tmp_path_factory.mktemp("nginx")
    ca, cert, key = make_certificate(folder)
    https, http = free_port(), free_port()
    with console_with_accounts(folder, accounts_made, secure_cookies=True) as console:
        site = console_site(console.port, https, http, cert, key)
        (folder / "nginx.conf").write_text(nginx_conf(folder, site))
        with (folder / "stderr.log").open("wb") as stderr:
            nginx = subprocess.Popen(
                ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)], stderr=stderr
            )
        try:
            base = f"https://127.0.0.1:{https}"
            deadline = time.monotonic() + 15
            while True:
                try:
                    requests.get(base + "/login", verify=str(ca), timeout=5)
                    break
                except requests.ConnectionError:
                    if nginx.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError((folder / "stderr.log").read_text()) from None
                time.sleep(0.05)  # polling nginx's port, with a deadline
            yield CityHallNginx(base, f"http://127.0.0.1:{http}", ca, console)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def clerk_at(city_hall: CityHallNginx) -> Clerk:
    """A browser-like client over HTTPS (it sends a Referer, as browsers do)."""
    clerk = Clerk(city_hall.https)
    clerk.http.trust_env = False  # else REQUESTS_CA_BUNDLE wins over verify
    clerk.http.verify = str(city_hall.ca)
    clerk.http.headers["Referer"] = city_hall.https + "/login"
    return clerk


def test_the_console_is_served_over_https_with_hsts(city_hall: CityHallNginx) -> None:
    page = clerk_at(city_hall).get("/login")
    assert page.status_code == 200 and "<h1>로그인</h1>" in page.text
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Server"] == "nginx"  # no version told


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_plain_http_only_sends_the_browser_to_https(city_hall: CityHallNginx, method: str) -> None:
    answer = requests.request(
        method, city_hall.http + "/login?next=/staff/", allow_redirects=False, timeout=10,
        data={"login": "admin", "password": PASSWORD},
    )  # fmt: skip
    assert answer.status_code == 301
    assert answer.headers["Location"] == "https://127.0.0.1/login?next=/staff/"
    assert "Set-Cookie" not in answer.headers
    assert "로그인" not in answer.text


def test_signing_in_over_https_sets_a_secure_cookie(city_hall: CityHallNginx) -> None:
    clerk = clerk_at(city_hall)
    signed = clerk.sign_in("admin")
    assert signed.status_code == 302 and signed.headers["Location"] == "/fleet/"
    cookie = signed.headers["Set-Cookie"]
    assert cookie.startswith("kiosk_console=")
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {p.strip() for p in cookie.split(";")}
    assert clerk.get("/staff/").status_code == 200


def test_a_form_from_another_site_is_refused_over_https(city_hall: CityHallNginx) -> None:
    clerk = clerk_at(city_hall)
    token = clerk.csrf()
    clerk.http.headers["Referer"] = "https://elsewhere.example/"
    answer = clerk.post(
        "/login", data={"csrf_token": token, "login": "admin", "password": PASSWORD}
    )
    assert answer.status_code == 400


class FromAddress(HTTPAdapter):
    """Connections made from *address* (any of 127/8 on Linux): a client nginx can tell
    apart from itself."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **options: Any) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **options)


def test_the_audit_keeps_the_address_nginx_saw(city_hall: CityHallNginx) -> None:
    stranger = clerk_at(city_hall)
    stranger.http.mount("https://", FromAddress("127.0.0.77"))
    stranger.http.headers["X-Forwarded-For"] = "203.0.113.9"
    stranger.sign_in("alerts", "claimed from elsewhere")
    admin = clerk_at(city_hall)
    admin.sign_in("admin")
    audit = admin.get("/staff/").text
    assert re.search(r"<td>alerts</td>\s*<td>127\.0\.0\.77</td>\s*<td>틀림</td>", audit)
    assert "203.0.113.9" not in audit


def test_the_console_itself_never_sends_its_cookie_over_plain_http(
    city_hall: CityHallNginx,
) -> None:
    """Reached around nginx (on its loopback port), the cookie is still Secure: a
    browser keeps it to HTTPS, so a sign-in over plain HTTP goes nowhere."""
    direct = Clerk(city_hall.console.url)
    signed = direct.sign_in("admin")
    assert "Secure" in {p.strip() for p in signed.headers.get("Set-Cookie", "").split(";")}
    assert not direct.is_signed_in()


def test_sign_in_forms_are_slowed_per_address(city_hall: CityHallNginx) -> None:
    """Eleven forms at once from one address pass (refused by the console for want of
    a token, cheaply); then nginx refuses. Pages and other addresses pass."""

    def from_address(address: str) -> Clerk:
        clerk = clerk_at(city_hall)
        clerk.http.mount("https://", FromAddress(address))
        return clerk

    guesser = from_address("127.0.0.99")
    answers: list[int] = []
    while 429 not in answers and len(answers) < 20:  # one more passes every 6 s
        answers.append(guesser.post("/login", data={"login": "admin"}).status_code)
    assert answers[:11] == [400] * 11 and answers[-1] == 429, answers
    refused = guesser.post("/login", data={"login": "admin"})
    assert refused.status_code == 429
    assert refused.text == "로그인 시도가 너무 잦습니다. 1분 뒤에 다시 해 주세요.\n"
    assert guesser.get("/login").status_code == 200
    assert from_address("127.0.0.98").post("/login", data={"login": "admin"}).status_code == 400
