"""경로당 현황: every centre by district, live from the fleet channel.

The page is a frame (filters, an empty table); ``static/fleet.js`` fills it from
:func:`state` (one JSON document) and polls it every two seconds, changing only the
cells that changed. The rows are encoded once per change of the fleet
(:class:`RowsCache`): a poll costs a comparison of version numbers, or one copy of
bytes already made.
"""

import json
import threading
import time
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request

from kiosk_provisioning.broker.centres import built_centres
from kiosk_provisioning.broker.status import CentreState, centre_states
from kiosk_provisioning.console.fleetwatch import FleetSnapshot
from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.web import current_console, me, render, signed_in

blueprint = Blueprint("fleet", __name__, url_prefix="/fleet")

SCREEN_WORDS = {
    "home": "첫 화면",
    "programme": "프로그램 방송 중",
    "call": "통화 중",
    "alert": "알림 표시 중",
    "leader": "관리자 화면",
    "leader_calls": "관리자 전화 목록",
    "diagnostics": "점검 화면",
    "notices": "오늘의 안내",
    "notice": "안내 보는 중",
    "not_available": "준비 중 안내",
    "not_ready": "영상 준비 중 안내",
    "please_wait": "잠시 기다림 안내",
}
"""What a box's screen shows (its status's ``screen``), in a clerk's words."""

DEVICE_WORDS = {"camera": "카메라", "microphone": "마이크", "speaker": "스피커"}
_PROBLEM_WORDS = {
    "never connected": "연결된 적 없음",
    "offline": "꺼짐",
    "no status": "상태 보고 없음",
    "not in the fleet": "등록되지 않은 경로당",
    "error": "오류 있음",
}
_SAID_ELSEWHERE = ("never connected", "offline", "error")
"""Problems the row already says: its state, its last error's own words."""


def screen_words(screen: str) -> str:
    return SCREEN_WORDS.get(screen, screen)


def problem_words(problem: str) -> str:
    """One of :attr:`CentreState.problems` (``kiosk-provision status``'s words) in
    Korean; one it does not know is shown as it is."""
    if problem in _PROBLEM_WORDS:
        return _PROBLEM_WORDS[problem]
    device, _, word = problem.partition(" ")
    if device in DEVICE_WORDS and word in ("missing", "none chosen"):
        return f"{DEVICE_WORDS[device]} {'없음' if word == 'missing' else '선택 안 됨'}"
    if problem.startswith("configuration refused: "):
        return "설정 거부: " + problem.removeprefix("configuration refused: ")
    if problem.startswith("configuration ") and " of " in problem:
        return "새 설정 아직 안 받음"
    return problem


def row(centre: CentreState) -> dict[str, object]:
    """One centre as the page's script reads it."""
    issues = [problem_words(p) for p in centre.problems if p not in _SAID_ELSEWHERE]
    return {
        "id": centre.centre,
        "name": centre.name,
        "district": centre.district,
        "state": "never" if centre.state == "never connected" else centre.state,
        "since": centre.since,
        "screen": screen_words(centre.screen) if centre.state == "online" else "",
        "devices": [centre.camera, centre.microphone, centre.speaker],
        "version": centre.version,
        "revision": centre.revision,
        "built": centre.built_revision,
        "error": centre.last_error,
        "issues": issues,
    }


@dataclass(frozen=True)
class _Encoded:
    key: object
    version: int
    rows: bytes


class RowsCache:
    """The rows' JSON, made again only when the fleet changed, and then only the rows
    that changed (a row the fleet watch did not make again is the same object, and
    its bytes are kept). Any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._encoded: _Encoded | None = None
        self._versions = 0
        self._rows: dict[str, tuple[CentreState, bytes]] = {}

    def get(self, key: object, rows: list[CentreState] | None) -> _Encoded:
        """The encoded rows for *key* (what identifies the fleet's state: its
        snapshot's version); *rows* is called for only when *key* changed."""
        with self._lock:
            if self._encoded is None or self._encoded.key != key:
                assert rows is not None
                self._versions += 1
                kept, self._rows = self._rows, {}
                for centre in rows:
                    old = kept.get(centre.centre)
                    if old is None or old[0] is not centre:
                        text = json.dumps(row(centre), ensure_ascii=False, separators=(",", ":"))
                        old = (centre, text.encode())
                    self._rows[centre.centre] = old
                body = b"[" + b",".join(encoded for _, encoded in self._rows.values()) + b"]"
                self._encoded = _Encoded(key, self._versions, body)
            return self._encoded


def _cache() -> RowsCache:
    """This application's cache (made on first use; ``setdefault`` is atomic)."""
    cache: RowsCache = current_app.extensions.setdefault("kiosk_fleet_rows", RowsCache())
    return cache


def _snapshot() -> tuple[FleetSnapshot, bool]:
    """The fleet now, and whether the console has a fleet channel at all (without
    one: the built centres, none heard of)."""
    watch = current_console().fleet
    if watch is not None:
        return watch.snapshot(), True
    centres = built_centres(current_console().settings.repo)
    return FleetSnapshot(centre_states({}, {}, centres), False, None, 0), False


@blueprint.route("/")
@signed_in
def page() -> str:
    snapshot, configured = _snapshot()
    districts = sorted({centre.district for centre in snapshot.centres})
    return render(
        "fleet.html",
        title="경로당 현황",
        districts=districts,
        configured=configured,
        may_call=me().may(Role.CALLER),
    )


@blueprint.route("/state.json")
@signed_in
def state() -> Response:
    """``{"now", "connected", "configured", "lost_at", "version", "rows"}``; with
    ``?have=VERSION`` and nothing changed since, ``rows`` is left out. The time it took
    is in the ``Server-Timing`` header (``fleet;dur=<ms>``: the browser's resource
    timing and ``bench/console.py`` read it)."""
    started = time.perf_counter()
    snapshot, configured = _snapshot()
    watch = current_console().fleet
    key = (id(watch), snapshot.version) if configured else ("built", time.monotonic() // 10)
    encoded = _cache().get(key, snapshot.centres)
    head = {
        "now": time.time(),
        "connected": snapshot.connected,
        "configured": configured,
        "lost_at": snapshot.lost_at,
        "version": encoded.version,
    }
    body = json.dumps(head, separators=(",", ":")).encode()
    if request.args.get("have") != str(encoded.version):
        body = body[:-1] + b',"rows":' + encoded.rows + b"}"
    answer = Response(body, mimetype="application/json")
    answer.headers["Server-Timing"] = f"fleet;dur={(time.perf_counter() - started) * 1000:.2f}"
    return answer
