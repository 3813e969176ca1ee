"""City hall on one machine in one command (``scripts/cityhall``, whose Python entry is
``python -m kiosk_demo.townhall``), started as a newcomer starts it: it prints the
console's address and a login; the console answers over TLS and the login signs in; the
demo kiosk it enrolled is online on the fleet page; the call gate answers staff under
the console's own origin; Chromium at the console calls the kiosk (answered on its
screen), hosts the town meeting the kiosk joins, and sends an alert the kiosk
acknowledges; Ctrl+C leaves no process and no namespace behind."""

import asyncio
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
from selenium.common.exceptions import TimeoutException

from kiosk.navigation import ALERT_SETTLE_S
from kiosk.ui.call import BLUE as LOOKED_AT_BLUE
from kiosk.ui.call import GREEN as ANSWER_GREEN
from kiosk.ui.call import RED as ON_AIR_RED
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.townhall import CENTRE, READY
from kiosk_provisioning.console.passes import mint_pass
from tests.calls.chromium import fake_media, spki_pin
from tests.calls.signals import near
from tests.console.browser import StaffAtConsole
from tests.e2e.xserver import colour_share, screenshot, wait_for, xdotool
from tests.webserver import free_port

pytestmark = pytest.mark.xvfb

SHOTS = Path(__file__).resolve().parents[2] / "build" / "console-shots"
STAFF_COLOUR = (200, 30, 30)
"""What the staff member's (fake) camera shows."""
LINE = "cityhall-welfare-policy"
"""The example city's 시청과 화상통화 contact: the line the staff member takes."""
ROOM = 1001
"""The example city's town meeting."""
ALERT_TEXT = "오늘 오후 3시에 경로당 난방을 점검합니다"
CALL_PHASE = "return document.getElementById('calls').dataset.phase"

NETWORK = 6
"""Not the demo's 0, the console tests' 9, 12 and 13, nor ``scripts/cityhall``'s 1."""
START_S = 180.0
"""Building and publishing the example city's 496 centres is most of it."""
WAIT_S = 60.0
STOP_S = 60.0


@dataclass
class Printed:
    """What the command told the person who ran it."""

    lines: list[str]

    def value(self, pattern: str) -> str:
        for line in self.lines:
            if found := re.fullmatch(pattern, line):
                return found.group(1)
        raise AssertionError(f"not printed: {pattern}\n" + "\n".join(self.lines))

    def pids(self) -> list[int]:
        return [int(pid) for line in self.lines for pid in re.findall(r"pid (\d+)", line)]


@dataclass
class Running:
    process: subprocess.Popen[str]
    printed: Printed
    folder: Path
    output: "queue.Queue[str | None]"


def lines_of(process: subprocess.Popen[str], into: "queue.Queue[str | None]") -> None:
    """Every line *process* prints, then ``None`` at its end."""
    assert process.stdout is not None
    for line in process.stdout:
        into.put(line.rstrip("\n"))
    into.put(None)


@pytest.fixture
def city_hall(tmp_path: Path) -> Iterator[Running]:
    if os.geteuid() != 0:
        pytest.fail("city hall on one machine needs root (a network namespace)")
    folder = tmp_path / "cityhall"
    ports = [
        arg
        for flag in ("console", "repository", "identity", "broker", "tools", "console-app")
        for arg in (f"--{flag}-port", str(free_port()))
    ]
    # No display: it runs the kiosk on a virtual screen of its own, as on a server.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    argv = [sys.executable, "-m", "kiosk_demo.townhall", "--folder", str(folder)]
    process = subprocess.Popen(
        [*argv, "--network", str(NETWORK), *ports],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=lines_of, args=(process, output), daemon=True)
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + START_S
    try:
        while READY not in seen:
            try:
                line = output.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError("never ready:\n" + "\n".join(seen))
            seen.append(line)
        yield Running(process, Printed(seen), folder, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                PrivateNetwork(NETWORK).remove_leftovers()
        reader.join(WAIT_S)  # it ends with the output
        assert process.stdout is not None
        process.stdout.close()


def sign_in(url: str, ca: Path, login: str, password: str) -> tuple[requests.Session, int]:
    """Sign in as a browser does (the form's CSRF token first); the session and the
    status of the form's answer after redirects."""
    session = requests.Session()
    page = session.get(f"{url}login", verify=str(ca), timeout=10)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token is not None, page.text
    answer = session.post(
        f"{url}login",
        data={"csrf_token": token.group(1), "login": login, "password": password},
        # As a browser sends it (the console's Referrer-Policy is same-origin); the
        # console checks it against the host nginx passes on, port included.
        headers={"Referer": f"{url}login"},
        verify=str(ca),
        timeout=10,
    )
    return session, answer.status_code


def fleet_row(session: requests.Session, url: str, ca: Path) -> dict[str, Any] | None:
    state = session.get(f"{url}fleet/state.json", verify=str(ca), timeout=10).json()
    return next((row for row in state.get("rows", []) if row["id"] == CENTRE), None)


async def gate_says(url: str, ca: Path, message: dict[str, Any]) -> dict[str, Any]:
    """Send *message* to the call gate at *url* (janus.js' protocol); its answer."""
    tls = ssl.create_default_context(cafile=str(ca))
    async with websockets.connect(url, ssl=tls, subprotocols=["janus-protocol"]) as gate:  # type: ignore[list-item]
        await gate.send(json.dumps(message))
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(gate.recv(), 10))
        return answer


def kiosk_says(folder: Path, text: str, times: int = 1) -> None:
    """Wait until the demo kiosk's log has *text* (*times* times); fail with the end of
    its log."""
    log = folder / "logs" / "kiosk.log"
    deadline = time.monotonic() + WAIT_S
    while log.read_text(errors="replace").count(text) < times:
        if time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise AssertionError(f"the kiosk never said {text!r}:\n{tail}")
        time.sleep(0.1)  # polling its log, with a deadline


def kiosk_screen(folder: Path) -> str:
    """The screen the demo kiosk last said it shows."""
    log = (folder / "logs" / "kiosk.log").read_text(errors="replace")
    moves = re.findall(r"kiosk\.navigation: screen \S+ -> (\w+)", log)
    return moves[-1] if moves else "home"


def answer_shown(display: str) -> bool:
    """The ringing screen's green 받기 is painted: green low on the screen (the home
    screen's green is the 건강체조 tile, high up)."""
    image = screenshot(display)
    share, _, y = colour_share(image, ANSWER_GREEN)
    return share > 0.02 and y > image.height() * 0.6


def kiosk_sees(display: str, colour: tuple[int, int, int]) -> bool:
    """The middle of the kiosk's screen (the far side's picture in a call) is *colour*."""
    image = screenshot(display)
    middle = [
        image.pixelColor(image.width() // 2 + dx, image.height() // 3 + dy)
        for dx in range(-40, 41, 20)
        for dy in range(-40, 41, 20)
    ]
    return all(near((c.red(), c.green(), c.blue()), colour) for c in middle)


def call_the_kiosk(city_hall: Running, url: str, login: str, password: str, display: str) -> None:
    folder = city_hall.folder
    browser_folder = folder.parent / "browser"
    browser_folder.mkdir()
    video, audio = fake_media(browser_folder, STAFF_COLOUR, 440, seconds=4)
    pin = spki_pin(folder / "tls" / "console" / "server.pem")
    staff = StaffAtConsole(
        url.rstrip("/"),
        browser_folder,
        video=video,
        audio=audio,
        extra_args=(
            f"--ignore-certificate-errors-spki-list={pin}",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ),
    )
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        staff.sign_in(login, password)
        assert staff.driver.current_url == f"{url}fleet/"
        staff.find("#fleet-search").send_keys(CENTRE)
        staff.wait(lambda: "켜짐" in staff.find("main table").text, WAIT_S)
        staff.shot(SHOTS / "cityhall-fleet-1366x768.png")
        staff.open(f"/calls/?centre={CENTRE}")
        staff.find(f'input[name="line"][value="{LINE}"]').click()
        staff.wait(lambda: staff.find(f'[data-line-state="{LINE}"]').text == "받는 중")
        kiosk_says(folder, f"registered with city hall as {CENTRE}")  # at the gate
        staff.find("#chosen button.call").click()
        kiosk_says(folder, "call idle -> ringing")
        wait_for(lambda: answer_shown(display), WAIT_S, "받기 on the kiosk's screen")
        xdotool(display, "key", "Return")
        kiosk_says(folder, "call ringing -> in_call")
        staff.wait(lambda: staff.driver.execute_script(CALL_PHASE) == "in-call", WAIT_S)
        wait_for(lambda: kiosk_sees(display, STAFF_COLOUR), WAIT_S, "the kiosk sees city hall")
        grab(display, SHOTS / "cityhall-kiosk-in-call.png")
        staff.shot(SHOTS / "cityhall-calls-in-call-1366x768.png")
        staff.find("#hang-up").click()
        kiosk_says(folder, "call in_call -> ended")
        host_the_meeting(staff, folder, display)
        alert_the_kiosk(staff, folder, display)
        assert staff.console_errors() == []
    except (AssertionError, TimeoutException):
        grab(display, SHOTS / "cityhall-kiosk-failed.png")
        staff.shot(SHOTS / "cityhall-calls-failed.png")
        raise
    finally:
        staff.close()


def host_the_meeting(staff: StaffAtConsole, folder: Path, display: str) -> None:
    """마을 회의, a town meeting with a floor: the staff member starts it, the kiosk
    joins with its 마을 회의 tile and shows the host's camera, watching (nothing of it
    on the host's grid); 모습 보기 shows its picture (no sound) in the host's audience
    strip and a blue band on the kiosk says so, until 모습 보기 끝; 말하기 on the kiosk
    raises its hand on the console's panel;
    발언권 주기 puts the kiosk on the host's grid and its screen says it is on air;
    발언권 거두기 takes it off again, the kiosk still watching."""
    staff.open("/meeting/")
    staff.find(f'button.start[data-room="{ROOM}"]').click()
    staff.wait(lambda: staff.find("#stage-state").text == "회의 중", WAIT_S)
    # The call's end is said on the kiosk's screen until its line is free again.
    kiosk_says(folder, "call ended -> idle")
    xdotool(display, "key", "Escape")
    wait_for(lambda: kiosk_screen(folder) == "home", WAIT_S, "the kiosk's home screen")
    xdotool(display, "key", "4")  # 마을 회의
    kiosk_says(folder, "-> in_room")
    wait_for(lambda: shows(display, STAFF_COLOUR), WAIT_S, "the host's camera on the kiosk")
    grab(display, SHOTS / "cityhall-kiosk-watching-meeting.png")
    assert CENTRE not in tiles(staff)  # watching: it sends nothing
    # City hall looks at the audience: the kiosk sends its camera alone (the demo
    # kiosk has none: its stand-in picture), and says so.
    staff.wait(lambda: staff.find("#floor-look-page").is_enabled(), WAIT_S)
    staff.find("#floor-look-page").click()
    kiosk_says(folder, f"room {ROOM}: {CENTRE} sending camera only")
    staff.wait(lambda: pictured(staff, CENTRE), WAIT_S)
    wait_for(lambda: band(display, LOOKED_AT_BLUE), WAIT_S, "the blue band on the kiosk")
    assert CENTRE not in tiles(staff)  # a picture without sound: not on the grid
    grab(display, SHOTS / "cityhall-kiosk-looked-at.png")
    staff.shot(SHOTS / "cityhall-audience-1366x768.png")
    staff.find("#audience-end").click()
    kiosk_says(folder, f"room {ROOM}: {CENTRE} no longer sending")
    wait_for(lambda: not band(display, LOOKED_AT_BLUE), WAIT_S, "the blue band gone")
    xdotool(display, "key", "Right")  # 말하기, from the remote
    kiosk_says(folder, f"room {ROOM}: hand raised")
    staff.wait(lambda: CENTRE in listed(staff, "#floor-hands"), WAIT_S)
    grab(display, SHOTS / "cityhall-kiosk-hand-up.png")
    staff.find(f'#floor-hands li[data-centre="{CENTRE}"] .floor-give').click()
    kiosk_says(folder, f"room {ROOM}: {CENTRE} sending camera and microphone")
    staff.wait(lambda: CENTRE in tiles(staff), WAIT_S)
    wait_for(lambda: band(display, ON_AIR_RED), WAIT_S, "the red on-air band on the kiosk")
    grab(display, SHOTS / "cityhall-kiosk-in-meeting.png")
    staff.shot(SHOTS / "cityhall-meeting-1366x768.png")
    staff.find(f'#floor-speakers li[data-centre="{CENTRE}"] .floor-take').click()
    kiosk_says(folder, f"room {ROOM}: {CENTRE} no longer sending", times=2)
    staff.wait(lambda: CENTRE not in tiles(staff), WAIT_S)
    wait_for(lambda: not band(display, ON_AIR_RED), WAIT_S, "the on-air band gone")
    staff.find("#end").click()
    kiosk_says(folder, "in_room -> in_room (call_alone)")  # the host has gone
    xdotool(display, "key", "Escape")  # 끊기: the centre leaves the empty room
    kiosk_says(folder, "call ended -> idle", times=2)


def alert_the_kiosk(staff: StaffAtConsole, folder: Path, display: str) -> None:
    """알림·안내: an 안내 to namwon-001 takes over its screen; 확인 on the kiosk is seen
    at the console."""
    staff.open("/alerts/new")
    staff.find('input[name="level"][value="info"]').click()
    staff.find("#text").send_keys(ALERT_TEXT)
    staff.find('input[name="audience"][value="centres"]').click()
    staff.find('input[name="centres"][value="namwon-001"]').click()
    staff.find("button.send").click()
    kiosk_says(folder, "-> alert")
    time.sleep(ALERT_SETTLE_S)  # 확인 is not taken before the alert can have been read
    grab(display, SHOTS / "cityhall-kiosk-alert.png")
    xdotool(display, "key", "Return")
    # The alert's own page counts the receipts as they come: acknowledged, 1 of 1.
    staff.wait(lambda: "확인 누름 1/1" in staff.find("main").text, WAIT_S)
    staff.shot(SHOTS / "cityhall-alert-sent-1366x768.png")


def tiles(staff: StaffAtConsole) -> list[str]:
    """The centres on the host's grid."""
    script = "return Array.from(document.querySelectorAll('#grid .tile'), t => t.dataset.centre)"
    return list(staff.driver.execute_script(script))


def listed(staff: StaffAtConsole, where: str) -> list[str]:
    """The centres in a list of the floor panel (hands, speakers)."""
    script = (
        "return Array.from(document.querySelectorAll(arguments[0] + ' li'), l => l.dataset.centre)"
    )
    return list(staff.driver.execute_script(script, where))


def pictured(staff: StaffAtConsole, centre: str) -> bool:
    """The host's audience strip shows *centre*'s picture."""
    script = (
        "const li = document.querySelector('#audience-grid li[data-centre=\"' + arguments[0]"
        " + '\"]'); return li ? li.dataset.picture : null"
    )
    return bool(staff.driver.execute_script(script, centre) == "yes")


def band(display: str, colour: str) -> bool:
    """The kiosk's band is painted *colour* across the foot of the picture (red on air,
    blue while city hall looks; the red 끊기 button is in the column on the right,
    outside the part looked at)."""
    image = screenshot(display)
    width, height = image.width(), image.height()
    foot = image.copy(width // 20, height * 94 // 100, width * 11 // 20, height * 5 // 100)
    share, _, _ = colour_share(foot, colour, step=4)
    return share > 0.5


def shows(display: str, colour: tuple[int, int, int]) -> bool:
    """At least a twentieth of the kiosk's screen is *colour*."""
    image = screenshot(display)
    samples = [
        image.pixelColor(x, y)
        for x in range(0, image.width(), 16)
        for y in range(0, image.height(), 16)
    ]
    hits = sum(near((c.red(), c.green(), c.blue()), colour) for c in samples)
    return hits > len(samples) / 20


def grab(display: str, path: Path) -> None:
    """The kiosk's whole screen as a PNG at *path*."""
    subprocess.run(["import", "-display", display, "-window", "root", path], check=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_city_hall_in_one_command(city_hall: Running) -> None:
    printed = city_hall.printed
    url = printed.value(r"\s+console\s+(https://\S+/)")
    login = printed.value(r"\s+login\s+(\S+)")
    password = printed.value(r"\s+password\s+(\S+)")
    ca = city_hall.folder / "repo" / "identity" / "ca.pem"
    assert str(ca) in "\n".join(printed.lines), "the certificate to accept is named"

    # Over TLS, with this run's certificate: a wrong password is refused, the printed
    # one signs in and lands on the fleet page.
    _, refused = sign_in(url, ca, login, password + "x")
    assert refused == 401
    session, status = sign_in(url, ca, login, password)
    assert status == 200
    fleet = session.get(f"{url}fleet/", verify=str(ca), timeout=10)
    assert fleet.status_code == 200 and "경로당 현황" in fleet.text

    # The demo kiosk it enrolled reports to city hall's broker: online on the page.
    deadline = time.monotonic() + WAIT_S
    row = fleet_row(session, url, ca)
    while row is None or row["state"] != "online":
        assert time.monotonic() < deadline, f"the demo kiosk never came online: {row}"
        time.sleep(0.5)  # the page's own polling interval is 2 s
        row = fleet_row(session, url, ca)
    assert row["revision"] == row["built"], "it runs the configuration city hall built"

    # janus.js reaches the call gate under the console's origin: a staff pass opens a
    # session, nothing else does.
    gate = url.replace("https://", "wss://") + "gate/"
    staff = mint_pass(city_hall.folder / "repo", login, ["cityhall-welfare-policy"])
    opened = asyncio.run(
        gate_says(gate, ca, {"janus": "create", "transaction": "a", "token": staff})
    )
    assert opened["janus"] == "success", opened
    stranger = asyncio.run(gate_says(gate, ca, {"janus": "create", "transaction": "b"}))
    assert stranger["janus"] == "error", stranger

    # A newcomer's browser (Chromium, accepting this run's console certificate only)
    # signs in and calls the demo kiosk from 전화; the kiosk rings, is answered with
    # 받기 (Enter), and shows the staff member's camera.
    display = printed.value(r"\s+virtual screen \(Xvfb\)\s+DISPLAY=(:\d+)\s.*")
    call_the_kiosk(city_hall, url, login, password, display)

    # Ctrl+C: everything stops, the namespace goes.
    pids = printed.pids()
    assert len(pids) >= 8, printed.lines
    assert PrivateNetwork(NETWORK).is_up()
    stopping = time.monotonic()
    city_hall.process.send_signal(signal.SIGINT)
    assert city_hall.process.wait(STOP_S) == 0
    print(f"stopped in {time.monotonic() - stopping:.1f} s")
    assert not PrivateNetwork(NETWORK).is_up(), "the namespace's link is left"
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"kiosk-ch{NETWORK}" not in names.split(), names
    assert [pid for pid in pids if alive(pid)] == []
    left = [
        proc.name
        for proc in Path("/proc").iterdir()
        if proc.name.isdigit() and str(city_hall.folder).encode() in _cmdline(proc)
    ]
    assert left == [], "processes left behind"


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
