"""Alerts for the window's tests: offered to the kiosk's board as the fleet link would
(already verified), issued at the kiosk's wall-clock time."""

import itertools

from kiosk.app.calls import CallService
from kiosk.app.kiosk import Kiosk
from kiosk.calls.desk import CallView, Phase
from kiosk_contract.fleet import Alert, Audience, Level
from tests.conftest import ASSETS

LONGEST = (
    "태풍 경보가 내려졌습니다. 오늘 밤부터 내일 낮까지 아주 강한 바람과 많은 비가 옵니다. "
    "밖에 나가지 마시고 창문을 꼭 닫아 주세요. 논과 밭, 바닷가, 계곡에는 가지 마세요. "
    "집이 낮은 곳에 있거나 물이 들어올 것 같으면 마을 이장님의 안내에 따라 경로당이나 "
    "초등학교 대피소로 옮겨 주세요. 전기가 끊기면 손전등을 쓰시고 촛불은 켜지 마세요. "
    "약을 드시는 분은 이틀 치 약을 챙겨 두세요. 도움이 필요하면 시청 재난안전상황실에 "
    "전화해 주세요. 이웃 어르신께도 이 소식을 꼭 전해 주세요. 고맙습니다."
)
"""An alert nearly as long as the contract allows (300 characters)."""
PICTURE = ASSETS / "demo" / "media" / "notice-flu-shot.png"

_numbers = itertools.count(1)

TEXTS = {
    Level.EMERGENCY: (
        "태풍 경보: 오늘 밤 강한 바람과 많은 비가 옵니다. 밖에 나가지 마시고 창문을 닫아 주세요."
    ),
    Level.CAUTION: "폭염 주의보: 낮 12시부터 5시까지 밖에 나가지 마시고 물을 자주 드세요.",
    Level.INFO: "내일 오전 9시부터 12시까지 수도 공사로 물이 나오지 않습니다.",
}


def make_alert(
    kiosk: Kiosk,
    level: Level = Level.EMERGENCY,
    text: str = "",
    picture: bytes | None = None,
    text_en: str = "",
    voice: bytes | None = None,
    minutes: int = 60,
) -> Alert:
    seq = next(_numbers)
    issued = int(kiosk.parts.wall().timestamp())
    return Alert(
        id=f"alert-{seq}",
        seq=seq,
        level=level,
        text=text or TEXTS[level],
        text_en=text_en,
        audience=Audience(kind="all"),
        issued_at=issued,
        expires_at=issued + minutes * 60,
        voice=voice,
        picture=picture,
    )


def send_alert(
    kiosk: Kiosk, level: Level = Level.EMERGENCY, text: str = "", **more: object
) -> Alert:
    """Offer an alert to *kiosk*'s board, as the fleet link does with a verified one."""
    alert = make_alert(kiosk, level, text, **more)  # type: ignore[arg-type]
    assert kiosk.parts.alerts.offer(alert) is None
    return alert


def ring_a_call(kiosk: Kiosk) -> None:
    """The call screen as city hall's call rings (the desk is built, not connected)."""
    if kiosk.calls is None:
        calls = CallService(
            kiosk.loaded.config,
            kiosk.navigator,
            kiosk.status,
            kiosk.voice,
            kiosk.parts.wall,
            demo=True,
            paths=kiosk.parts.paths,
        )
        kiosk.attach_calls(calls.desk)
    kiosk.navigator.show_call()
    assert kiosk.window.call is not None
    kiosk.window.call.show_call(CallView(Phase.RINGING, "남원시청 복지과", answer_at=None))
