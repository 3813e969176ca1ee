"""A meeting's question (issue 15): sent by city hall -> shown on a kiosk's screen.

On this machine: city hall's fleet CA and alert key in a fresh repository; mosquitto as
city hall configures it (:class:`tests.broker.Broker`, the access list with the
centre in the town meeting's room); the kiosk built from the demo configuration with a
fleet channel (the real window on Xvfb, full screen, Qt on xcb) and its real fleet
link (:func:`kiosk.app.services.fleet_link`, the box's own certificate in
``STATE/identity``) feeding its question board and the question overlay.

Each round, in this process on one clock (``time.monotonic``), city hall does what the
console's 질문하기 does (:mod:`kiosk_provisioning.console.questions`): espeak-ng reads
the question into a small OGG, the question is signed with the alert key, a
connection to the broker's tools listener is opened and the question published
(QoS 1, retained, with its expiry); on a worker thread, so the kiosk's loop runs on.
Timed from the start of that work to the end of the first paint of the overlay with
the question's text in it (the overlay's own paint event, then a zero-delay timer).
Also reported: from the publish call alone to that paint (what the broker, the link's
verification and the screen cost without city hall's preparation). Each round's
question is closed afterwards and the overlay put away (확인), so that the next one
meets the home screen.

Needs Xvfb, mosquitto, espeak-ng and ffmpeg (as city hall's server has).

Usage: .venv/bin/python bench/questions.py [--rounds 10]
Writes bench/results/questions.json.
"""

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["QT_QPA_PLATFORM"] = "xcb"
os.environ.setdefault("QT_API", "pyside6")

import msgspec  # noqa: E402

from bench.figures import save  # noqa: E402
from kiosk_contract.questions import (  # noqa: E402
    DEFAULT_ANSWERS,
    Question,
    QuestionState,
    sign_question,
)
from kiosk_provisioning.broker.alertkey import alert_key, alert_public_key  # noqa: E402
from kiosk_provisioning.broker.alerts import speak  # noqa: E402
from kiosk_provisioning.broker.config import parse_url, write_acl  # noqa: E402
from kiosk_provisioning.broker.session import HallSession  # noqa: E402
from tests.alerts import with_fleet  # noqa: E402
from tests.broker import Broker  # noqa: E402
from tests.calls.identities import CityHallIdentity  # noqa: E402
from tests.e2e.xserver import xvfb  # noqa: E402

CENTRE, DISTRICT, ROOM = "c-1", "운봉읍", 1001
WAIT_S = 30.0
TEXT = "내년 경로당 냉방비 지원을 늘리는 데 찬성하십니까? ({n}번째 질문)"


def run(folder: Path, rounds: int) -> dict[str, Any]:
    import qasync
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QFont

    from kiosk.app.kiosk import build_kiosk
    from kiosk.app.services import fleet_link
    from kiosk.config import ConfigSource, LoadedConfig
    from kiosk.fleet.link import LinkState
    from kiosk.logs import LastError
    from kiosk.paths import Paths, default_assets
    from kiosk.ui.qt import QApplication
    from kiosk.ui.question import QuestionOverlay
    from kiosk.ui.theme import FONT_FAMILY
    from kiosk_contract.config import read_config

    repo = folder / "repo"
    identity = CityHallIdentity(repo, {CENTRE: ()})
    key = alert_key(repo)
    app = QApplication([sys.argv[0]])
    app.setFont(QFont(FONT_FAMILY))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from_start: list[float] = []
    from_publish: list[float] = []

    with Broker(folder / "broker", identity, {CENTRE: DISTRICT}) as broker:
        write_acl(broker.files.acl, {CENTRE: DISTRICT}, {CENTRE: [ROOM]})
        broker.reload()
        paths = Paths(folder / "etc", folder / "state", default_assets())
        paths.etc.mkdir(parents=True)
        identity.enrol(CENTRE, paths.state / "identity")
        demo = read_config(default_assets() / "demo" / "config.json")
        assert any(room.number == ROOM for room in demo.calls.rooms)
        config = with_fleet(demo, broker.url, [alert_public_key(repo)], CENTRE, DISTRICT)
        wall = dt.datetime.now(ZoneInfo("Asia/Seoul"))
        kiosk = build_kiosk(
            LoadedConfig(config, ConfigSource.FILE),
            paths,
            None,
            time.monotonic,
            wall_clock=lambda: dt.datetime.now(wall.tzinfo),
            demo=True,
        )
        window = kiosk.window
        window.setGeometry(0, 0, 1920, 1080)
        window.showFullScreen()
        app.installEventFilter(window)
        [overlay] = window.findChildren(QuestionOverlay)
        painted: dict[str, float] = {}

        class PaintWatch(QObject):
            """When the overlay has painted a question's text (after its paint event)."""

            def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
                if watched is overlay and event.type() == QEvent.Type.Paint:
                    QTimer.singleShot(0, self.after)
                return False

            def after(self) -> None:
                for text, *_ in overlay.drawn:
                    painted.setdefault(text, time.monotonic())

        watch = PaintWatch()
        overlay.installEventFilter(watch)
        link = fleet_link(loop, kiosk.parts, LastError(), time.monotonic())
        tools = parse_url(broker.tools_url)

        def send(question: Question, voice_text: str | None) -> tuple[float, float]:
            """As the console does: speak, sign, connect, publish. (start, publish)."""
            start = time.monotonic()
            voice = speak(voice_text) if voice_text else None
            if voice is not None:
                question = msgspec.structs.replace(question, voice=voice)
            envelope = sign_question(question, key.sign)
            with HallSession.open(tools, identity.folder, timeout_s=5.0) as hall:
                published = time.monotonic()
                lasts = question.expires_at - int(time.time())
                hall.publish(question.topic, envelope, retain=True, qos=1, lasts_s=lasts)
            return start, published

        async def until(check: Any, what: str) -> None:
            deadline = time.monotonic() + WAIT_S
            while not check():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not happen within {WAIT_S} s")
                await asyncio.sleep(0.002)

        async def scenario() -> None:
            link.start()
            await until(lambda: link.state is LinkState.CONNECTED, "the link's connection")
            await asyncio.sleep(0.5)  # its subscriptions confirmed (not timed)
            seq = int(time.time())
            for n in range(1, rounds + 1):
                now = int(time.time())
                seq += 10
                text = TEXT.format(n=n)
                question = Question(
                    id=f"q-{seq}",
                    seq=seq,
                    room=ROOM,
                    text=text,
                    answers=list(DEFAULT_ANSWERS),
                    issued_at=now,
                    expires_at=now + 3600,
                )
                start, published = await asyncio.to_thread(send, question, text)
                await until(lambda t=text: t in painted, f"question {n} on the screen")
                shown = painted[text]
                from_start.append(shown - start)
                from_publish.append(shown - published)
                print(
                    f"question {n}: shown {1000 * from_start[-1]:.0f} ms after city hall "
                    f"began, {1000 * from_publish[-1]:.0f} ms after the publish",
                    flush=True,
                )
                closed = msgspec.structs.replace(question, seq=seq + 1, state=QuestionState.CLOSED)
                await asyncio.to_thread(send, closed, None)
                await until(
                    lambda: (s := kiosk.parts.questions.on_screen) is not None and not s.is_open,
                    "the close",
                )
                kiosk.parts.questions.dismiss()
                await until(lambda: not overlay.isVisible(), "the overlay put away")
            await link.close()

        try:
            loop.run_until_complete(asyncio.wait_for(scenario(), WAIT_S * (rounds + 2)))
        finally:
            kiosk.close()
            loop.close()

    def spread(values: list[float]) -> dict[str, float]:
        return {
            "median_ms": round(1000 * statistics.median(values), 1),
            "max_ms": round(1000 * max(values), 1),
            "min_ms": round(1000 * min(values), 1),
            "n": len(values),
        }

    return {
        "sent_to_shown": spread(from_start),
        "published_to_shown": spread(from_publish),
        "goal_ms": 1000,
        "series_ms": {
            "sent_to_shown": [round(1000 * v, 1) for v in from_start],
            "published_to_shown": [round(1000 * v, 1) for v in from_publish],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="questions-bench-"))
    load = os.getloadavg()[0]  # other work on the machine shows in the figures
    try:
        with xvfb(1920, 1080) as display:
            os.environ["DISPLAY"] = display
            figures = run(folder, args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results = {
        **figures,
        "machine": f"{platform.node()} {os.cpu_count()} cores, python {platform.python_version()}",
        "load_average_at_start": round(load, 2),
    }
    path = save("questions", results, show=False)
    for what in ("sent_to_shown", "published_to_shown"):
        print(f"{what}: {results[what]}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
