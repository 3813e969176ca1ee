"""의견 메시지 in a real browser: centres' video messages (real WebM files made by
ffmpeg, filed in the real message store as the identity service files them) listed
with the centre's name and district, played in the page, and marked handled."""

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from kiosk_provisioning.messages import Message, MessageStore
from tests.console.browser import SIZES, StaffAtConsole, staff_browser
from tests.console.conftest import console_with_accounts
from tests.console.fleet_city import Centre, build_city
from tests.console.server import Clerk, ConsoleServer
from tests.provision.test_messages_service import webm

SHOTS = Path(__file__).resolve().parents[2] / "build" / "issue15-shots"
CENTRES = [
    Centre("namwon-001", "화정경로당", "운봉읍"),
    Centre("namwon-002", "월락경로당", "향교동"),
    Centre("namwon-003", "노암경로당", "노암동"),
]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    return {"short": webm(folder, 3, "short.webm"), "long": webm(folder, 8, "long.webm")}


def deliver(repo: Path, centre: str, data: bytes, recorded_at: str) -> Message:
    """*data* uploaded by *centre* into the store, as the identity service does it."""
    store = MessageStore.open(repo)
    message_id = uuid.uuid4().hex
    digest = hashlib.sha256(data).hexdigest()
    store.announce(centre, message_id, len(data), digest, 3.0, recorded_at)
    with store.append(centre, message_id, 0, len(data)) as piece:
        piece.write(data)
        received = piece.commit()
    assert received.state == "received"
    return received


@pytest.fixture
def city(tmp_path: Path, accounts_made: Path) -> Iterator[ConsoleServer]:
    """A built city of CENTRES and its console (one account per role, login = role)."""
    server = console_with_accounts(tmp_path, accounts_made)
    build_city(tmp_path, CENTRES)
    with server:
        yield server


def playing(staff: StaffAtConsole) -> float:
    """The page's player's position once it is playing (0 until then)."""
    script = (
        "const v = document.getElementById('player');"
        "return (v && !v.paused && v.readyState >= 3) ? v.currentTime : 0;"
    )
    return float(staff.driver.execute_script(script))


def shots(staff: StaffAtConsole, name: str) -> None:
    for size in SIZES.values():
        staff.shot(SHOTS / f"{name}-{size[0]}x{size[1]}.png", size)
    staff.driver.set_window_size(*SIZES["laptop"])


def test_staff_play_a_message_and_mark_it_handled(
    city: ConsoleServer, clips: dict[str, bytes], tmp_path: Path
) -> None:
    store = MessageStore.open(city.repo)
    older = deliver(city.repo, "namwon-002", clips["short"], "2026-11-30T00:10:00+00:00")
    store.mark_handled(older.id, "admin")
    other = deliver(city.repo, "namwon-003", clips["short"], "2026-11-30T01:20:00+00:00")
    newest = deliver(city.repo, "namwon-001", clips["long"], "2026-11-30T01:35:00+00:00")
    with staff_browser(city.url, tmp_path / "browser") as staff:
        staff.sign_in("caller")
        staff.find('nav a[href="/messages/"]').click()
        staff.find("#player")
        # Listed newest first, by centre and district, the handled one with who did it.
        rows = staff.texts(".message-list tbody tr")
        assert len(rows) == 3
        assert rows[0].startswith("화정경로당\n운봉읍\n2026-11-30 10:35") and "새 메시지" in rows[0]
        assert "8초" in rows[0] and "아직 아무도 안 봄" in rows[0]
        assert "노암경로당" in rows[1] and "3초" in rows[1]
        assert "월락경로당" in rows[2] and "확인 완료" in rows[2] and "관리자 ·" in rows[2]
        assert "확인할 메시지 2건" in staff.find("#waiting").text
        # The newest unhandled one is chosen; staff press play and it plays.
        assert staff.find("#chosen-name").text == "화정경로당 운봉읍"
        staff.driver.execute_script("document.getElementById('player').play()")
        staff.wait(lambda: playing(staff) > 0.3)
        staff.wait(lambda: store.get(newest.id).played_by == "caller")  # type: ignore[union-attr]
        staff.wait(lambda: staff.find("#played-by").text == "김복지 · 방금")
        staff.driver.execute_script("document.getElementById('player').pause()")
        shots(staff, "console-messages-playing")
        # 확인 완료: the store says handled by this login, the page says by whom.
        staff.find("#handle").click()
        assert "확인 완료로 표시했습니다" in staff.find(".done").text
        handled = store.get(newest.id)
        assert handled is not None
        assert (handled.state, handled.handled_by) == ("handled", "caller")
        assert handled.handled_at is not None
        # Shown in city hall's zone (Korea): past 15:00 UTC that is already tomorrow.
        at = dt.datetime.fromisoformat(handled.handled_at).astimezone(ZoneInfo("Asia/Seoul"))
        assert staff.find("#handled-by").text == f"확인 완료 김복지 · {at:%Y-%m-%d %H:%M}"
        assert "김복지" in staff.find("#played-by").text
        row = staff.find(f'tr[data-message="{newest.id}"]').text
        assert "확인 완료" in row and "김복지" in row
        assert "확인할 메시지 1건" in staff.find("#waiting").text
        shots(staff, "console-messages-handled")
        assert staff.console_errors() == []
    assert store.get(other.id).state == "received"  # type: ignore[union-attr]


def test_any_staff_may_watch_only_callers_mark_handled(
    city: ConsoleServer, clips: dict[str, bytes]
) -> None:
    message = deliver(city.repo, "namwon-001", clips["short"], "2026-11-30T01:35:00+00:00")
    video = f"/messages/{message.id}/video"
    # Nobody signed in: neither the page nor the file.
    stranger = Clerk(city.url)
    assert stranger.get("/messages/").status_code == 302
    assert stranger.get(video).status_code == 302
    assert requests.get(city.url + video, timeout=20, headers={"Accept": "*/*"}).status_code in (
        302,
        401,
    )
    # A meeting host watches: the file with ranges, as the player asks for it.
    host = Clerk.signed_in(city.url, "host")
    page = host.get("/messages/")
    assert page.status_code == 200 and "화정경로당" in page.text
    assert 'id="handle"' not in page.text, "no 확인 완료 button without the role"
    whole = host.get(video)
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "video/webm"
    assert whole.headers["Cache-Control"] == "private, no-store"
    assert whole.content == clips["short"]
    part = host.get(video, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(clips['short'])}"
    assert part.content == clips["short"][100:1100]
    # ...but may not mark it handled; nor may a form without its CSRF token.
    token = host.csrf("/messages/")
    assert host.post(f"/messages/{message.id}/handled", data={"csrf_token": token}).status_code == (
        403
    )
    caller = Clerk.signed_in(city.url, "caller")
    assert caller.post(f"/messages/{message.id}/handled").status_code == 400
    assert host.get(f"/messages/{uuid.uuid4().hex}/video").status_code == 404
    store = MessageStore.open(city.repo)
    assert store.get(message.id).state == "received"  # type: ignore[union-attr]
    # The caller marks it, with the token: handled by their login.
    done = caller.post(
        f"/messages/{message.id}/handled", data={"csrf_token": caller.csrf("/messages/")}
    )
    assert done.status_code == 302
    assert store.get(message.id).handled_by == "caller"  # type: ignore[union-attr]


def test_no_messages_yet_says_so(city: ConsoleServer) -> None:
    page = Clerk.signed_in(city.url, "alerts").get("/messages/")
    assert page.status_code == 200
    assert "아직 받은 의견 메시지가 없습니다" in page.text
    assert ">의견 메시지</a>" in page.text, "in every staff member's menu"
