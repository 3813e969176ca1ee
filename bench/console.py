"""City hall's console (issue 16): sign-in -> the fleet page painted, and the fleet
page's JSON with a whole fleet.

Everything real, on this machine: city hall's repository with the centres built by
``kiosk-provision build``'s own code (:func:`tests.console.fleet_city.build_city`),
mosquitto as city hall configures it (:class:`tests.broker.Broker`), each centre's
presence and status published retained by its own box, logged in with its own
certificate from the fleet CA (:func:`tests.console.fleet_city.publish_fleet`: a
realistic morning, most online, some offline or never connected, some with a
problem); the console as ``kiosk-provision console serve`` (waitress, 8 threads)
with its fleet watch subscribed to the broker's tools listener; Debian's Chromium
driven by Selenium (headless, 1366×768).

Figures:

- **sign_in_to_painted** (*--centres*, 496 by default, *--runs* times): cookies
  cleared, the sign-in page loaded, login and password typed; then from the moment
  Chromium starts the sign-in POST (the fleet page's ``performance.timeOrigin``: the
  navigation starts there and follows the redirect) to the moment the fleet table
  holds every centre's row and a frame has been drawn with them (a script injected
  into every document by CDP ``Page.addScriptToEvaluateOnNewDocument`` watches the
  table; at the row count it waits for ``requestAnimationFrame`` then a task, i.e.
  past the frame that paints them, and reads ``performance.now()``). Also its parts
  from the navigation and resource timing: ``login`` (POST, Argon2 check, redirect),
  ``page`` (the fleet page's HTML in), ``script_ready`` (DOMContentLoaded), ``json``
  (the state JSON fetched, its ``Server-Timing``), ``built`` (rows in the DOM).
- **state_json** with *--fleet* centres (2,000 by default), over *--requests*
  requests by a client on loopback (requests.Session, signed in): ``server_ms`` is
  the view's own time (its ``Server-Timing`` header, ``time.perf_counter`` around
  the view), ``round_trip_ms`` the client's (``time.perf_counter`` around the
  request, waitress and loopback included). Three cases: ``changed`` (a box just
  reported something new: the rows are made and encoded again, what a poll costs
  when the fleet moves), ``cached`` (a first load, nothing changed since the last
  encoding: the bytes are copied), ``unchanged`` (a poll with ``?have=<version>``
  and nothing new: what every open page costs every two seconds in a quiet fleet).
  Each ``changed`` request follows one status published by one box (a different
  screen each time), waited for by polling with ``?have``.
- **call_to_first_frame**: not measured here: the calls page is the calls
  engineer's; :func:`call_to_first_frame` is where it goes.

Usage: .venv/bin/python bench/console.py [--centres 496] [--runs 10] [--fleet 2000]
       [--requests 200]
Writes bench/results/console.json.
"""

import argparse
import asyncio
import math
import platform
import re
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
import requests  # noqa: E402

from bench.figures import save  # noqa: E402
from bench.mqtt_lite import open_link  # noqa: E402
from kiosk_contract.fleet import status_topic  # noqa: E402
from kiosk_provisioning.console.models import Role  # noqa: E402
from tests.broker import Broker  # noqa: E402
from tests.calls.identities import CityHallIdentity  # noqa: E402
from tests.console.browser import StaffAtConsole  # noqa: E402
from tests.console.fleet_city import (  # noqa: E402
    Centre,
    build_city,
    mixed_reports,
    namwon,
    publish_fleet,
)
from tests.console.server import PASSWORD, ConsoleServer  # noqa: E402

WATCH_TABLE = """
(() => {
  if (location.pathname !== "/fleet/") return;
  const want = %d;
  const marks = {};
  window.__fleetMarks = marks;
  function check() {
    const rows = document.querySelectorAll("#fleet-table tr.centre").length;
    if (rows < want) return false;
    marks.built = performance.now();
    requestAnimationFrame(() => setTimeout(() => { marks.painted = performance.now(); }, 0));
    return true;
  }
  document.addEventListener("DOMContentLoaded", () => {
    if (check()) return;
    const watch = new MutationObserver(() => { if (check()) watch.disconnect(); });
    watch.observe(document.getElementById("fleet-table"), { childList: true, subtree: true });
  });
})();
"""
READ_MARKS = """
const marks = window.__fleetMarks || {};
if (marks.painted === undefined) return null;
const nav = performance.getEntriesByType("navigation")[0];
const json = performance.getEntriesByType("resource").find((e) => e.name.includes("state.json"));
const server = json && json.serverTiming.find((t) => t.name === "fleet");
return {
  painted: marks.painted, built: marks.built,
  login: nav.redirectEnd, page: nav.responseEnd, script_ready: nav.domContentLoadedEventEnd,
  json_start: json ? json.startTime : null, json: json ? json.responseEnd : null,
  json_server: server ? server.duration : null, redirected: nav.redirectCount,
};
"""


class City:
    """A built city of *centres* reporting on a real broker, and its console."""

    def __init__(self, folder: Path, centres: list[Centre]) -> None:
        self.folder = folder
        self.centres = centres
        started = time.perf_counter()
        self.repo = build_city(folder, centres)
        self.build_s = time.perf_counter() - started
        self.identity = CityHallIdentity(self.repo, {})
        districts = {c.id: c.district for c in centres}
        self.broker = Broker(folder / "broker", self.identity, districts)
        self.broker.start()
        self.reports = mixed_reports(centres, int(time.time()))
        started = time.perf_counter()
        publish_fleet(
            self.broker.host,
            self.broker.port,
            self.identity.authority,
            folder / "boxes",
            self.reports,
        )
        self.publish_s = time.perf_counter() - started
        self.console = ConsoleServer(self.repo, folder / "console", self.broker.tools_url)
        self.console.add_staff("caller", "김복지", Role.CALLER, department="노인복지과")
        self.console.start()

    def close(self) -> None:
        self.console.stop()
        self.broker.stop()


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[math.ceil(len(ordered) * 0.95) - 1], 2),  # nearest rank
        "min": round(ordered[0], 2),
        "max": round(ordered[-1], 2),
        "n": len(ordered),
    }


# -- (a) sign-in -> fleet page painted --------------------------------------------------


def sign_in_to_painted(city: City, runs: int, folder: Path) -> dict[str, Any]:
    browser = StaffAtConsole(city.console.url, folder / "browser")
    try:
        driver = browser.driver
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_TABLE % len(city.centres)}
        )
        samples: list[dict[str, float]] = []
        for _ in range(runs + 1):  # the first warms Chromium's caches and is not counted
            driver.delete_all_cookies()
            browser.open("/login")
            browser.find("#login").send_keys("caller")
            browser.find("#password").send_keys(PASSWORD)
            browser.find("form button[type=submit]").click()
            marks = browser.wait(lambda: driver.execute_script(READ_MARKS), 60)
            rows = driver.execute_script(
                "return document.querySelectorAll('#fleet-table tr.centre').length"
            )
            assert rows == len(city.centres), rows
            assert marks["redirected"] == 1, marks
            samples.append(marks)
        counted = samples[1:]
        parts = ("login", "page", "script_ready", "json_start", "json", "built", "painted")
        return {
            "centres_on_page": len(city.centres),
            "runs": runs,
            "painted_ms": stats([s["painted"] for s in counted]),
            "parts_median_ms": {
                part: round(statistics.median(s[part] for s in counted), 1) for part in parts
            },
            "json_server_median_ms": round(statistics.median(s["json_server"] for s in counted), 2),
        }
    finally:
        browser.close()


# -- (b) the fleet JSON with a whole fleet ------------------------------------------------


def signed_in_session(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    answer = session.post(
        f"{url}/login",
        data={"csrf_token": token.group(1), "login": "caller", "password": PASSWORD},
        timeout=10,
    )
    assert answer.ok and "/fleet/" in answer.url, answer.url
    return session


def timed_get(session: requests.Session, url: str) -> tuple[float, float, dict[str, Any]]:
    """(server ms, round trip ms, the answer)."""
    started = time.perf_counter()
    answer = session.get(url, timeout=30)
    round_trip = (time.perf_counter() - started) * 1000
    answer.raise_for_status()
    server = float(answer.headers["Server-Timing"].split("dur=")[1])
    return server, round_trip, answer.json()


async def _changes(city: City, centre: str, count: int, go: Any) -> None:
    """One box publishing a new status each time *go* (an asyncio.Queue) says so."""
    context = ssl.create_default_context(cafile=city.identity.authority.ca_path)
    box = city.folder / "boxes" / centre
    context.load_cert_chain(box / "cert.pem", box / "key.pem")
    link = await open_link(city.broker.host, city.broker.port, context, centre)
    status = city.reports[centre].status
    screens = ["home", "programme", "call", "alert"]
    try:
        for i in range(count):
            await go.get()
            changed = msgspec.structs.replace(status, screen=screens[i % 4], at=status.at + i + 1)
            await link.publish(status_topic(centre), msgspec.json.encode(changed), retain=True)
            go.task_done()
    finally:
        link.close()
        await link.closed


def state_json(city: City, requests_n: int) -> dict[str, Any]:
    session = signed_in_session(city.console.url)
    url = f"{city.console.url}/fleet/state.json"
    _, _, first = timed_get(session, url)
    assert len(first["rows"]) == len(city.centres) and first["connected"], "fleet not in"
    cached = [timed_get(session, url)[:2] for _ in range(requests_n)]
    version = timed_get(session, url)[2]["version"]
    unchanged = [timed_get(session, f"{url}?have={version}")[:2] for _ in range(requests_n)]
    centre = next(c for c, r in city.reports.items() if r.online)
    changed: list[tuple[float, float]] = []

    async def drive() -> None:
        nonlocal version
        go: asyncio.Queue[None] = asyncio.Queue()
        publisher = asyncio.create_task(_changes(city, centre, requests_n, go))
        for _ in range(requests_n):
            go.put_nowait(None)
            await go.join()
            deadline = time.monotonic() + 10
            while True:
                server, trip, answer = await asyncio.to_thread(
                    timed_get, session, f"{url}?have={version}"
                )
                if "rows" in answer:
                    changed.append((server, trip))
                    version = answer["version"]
                    break
                assert time.monotonic() < deadline, "the change never reached the console"
        await publisher

    asyncio.run(drive())
    body = len(first["rows"])

    def figures(pairs: list[tuple[float, float]]) -> dict[str, Any]:
        return {
            "server_ms": stats([p[0] for p in pairs]),
            "round_trip_ms": stats([p[1] for p in pairs]),
        }

    return {
        "centres": body,
        "json_bytes_full": len(session.get(url, timeout=30).content),
        "changed": figures(changed),
        "cached": figures(cached),
        "unchanged": figures(unchanged),
    }


# -- (c) click call -> first remote frame ------------------------------------------------


def call_to_first_frame() -> dict[str, Any]:
    """Click 전화 on the fleet page -> the centre's first video frame in the page.
    The calls page (and the rig with a kiosk answering) is the calls engineer's; they
    fill this in."""
    return {"measured": False, "why": "the calls page is another engineer's (issue 16)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--centres", type=int, default=496)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--fleet", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "machine": f"{platform.node()} {platform.machine()}, {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        folder = Path(tmp)
        city = City(folder / "page", namwon(args.centres))
        try:
            figures["sign_in_to_painted"] = sign_in_to_painted(city, args.runs, folder)
        finally:
            city.close()
        print(f"painted: {figures['sign_in_to_painted']['painted_ms']}", flush=True)
        big = City(folder / "fleet", namwon(args.fleet))
        try:
            figures["state_json"] = state_json(big, args.requests)
            figures["state_json"]["setup_s"] = {
                "build": round(big.build_s, 1),
                "publish": round(big.publish_s, 1),
            }
        finally:
            big.close()
    figures["call_to_first_frame"] = call_to_first_frame()
    save("console", figures)


if __name__ == "__main__":
    main()
