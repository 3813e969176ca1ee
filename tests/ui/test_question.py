"""City hall's question in a meeting, over the kiosk's whole window: in the real window
(offscreen) for its keys, sizes and colours, and on a real X server (Xvfb),
photographed into ``build/issue15-shots/`` by this module run in its own process
(``python -m tests.ui.test_question OUT``, Qt on xcb), as :mod:`tests.ui.shots` does.
"""

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.fleet.questions import Note
from kiosk.navigation import Screen
from kiosk.ui.qt import QApplication, QFontMetricsF, QImage, QKeyEvent, QPoint, QRectF, Qt
from kiosk.ui.question import COLOURS, QuestionOverlay
from kiosk.ui.theme import MIN_TEXT_PX
from kiosk_contract.config import KioskConfig
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from kiosk_contract.questions import Answer, QuestionState
from tests.questions import make_question, then
from tests.ui.conftest import BuildKiosk

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "issue15-shots"
LONGEST = (
    "내년부터 경로당 냉방비 지원을 한 달에 오만 원씩 늘리고, 대신 난방비 지원은 지금처럼 "
    "두는 안에 대해 어떻게 생각하십니까? 번호 단추로 답해 주세요."
)
"""A question as long as the console allows (120 characters)."""
FOUR = ("찬성", "반대", "잘 모르겠어요", "다음에 다시 의논")


def overlay(kiosk: Kiosk) -> QuestionOverlay:
    [found] = kiosk.window.findChildren(QuestionOverlay)
    return found


def ask(kiosk: Kiosk, **changes: object) -> list[Answer]:
    """Offer a question to *kiosk*'s board as the fleet link would; its answers go to
    the list returned."""
    sent: list[Answer] = []
    kiosk.parts.questions.attach(sent.append)
    issued = kiosk.parts.wall().timestamp()
    assert kiosk.parts.questions.offer(make_question(issued=issued, **changes)) is None  # type: ignore[arg-type]
    return sent


def test_the_keypad_answers_and_nothing_under_the_question_moves(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    window, board = kiosk.window, kiosk.parts.questions
    shown = overlay(kiosk)
    assert not shown.isVisible()
    sent = ask(kiosk, answers=FOUR)
    assert shown.isVisible() and shown.geometry() == window.rect()
    # "1" on the home screen would open the first tile: here it answers.
    focus = kiosk.navigator.view.focus
    qtbot.keyClick(window, "2")
    assert [a.choice for a in sent] == [1]
    assert kiosk.navigator.view.screen is Screen.HOME
    assert board.on_screen is not None and board.on_screen.note is Note.SENT
    qtbot.keyClick(window, "4")
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Return)  # 4 -> 3 -> 2, sent
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Enter)
    assert [a.choice for a in sent] == [1, 3, 1, 2]
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # the question stays
    assert shown.isVisible() and kiosk.navigator.view.screen is Screen.HOME
    assert kiosk.navigator.view.focus == focus, "the arrows moved the answers only"
    # A touch on a button answers too.
    shown.grab()  # painted: the buttons are where they show
    qtbot.mouseClick(shown, Qt.MouseButton.LeftButton, pos=shown.buttons[0].center().toPoint())
    assert sent[-1].choice == 0

    assert board.on_screen is not None
    board.offer(then(board.on_screen.question, QuestionState.CLOSED))
    qtbot.keyClick(window, "3")  # too late: nothing sent
    assert len(sent) == 5 and board.on_screen is not None
    assert board.on_screen.note is Note.CLOSED
    qtbot.keyClick(window, Qt.Key.Key_Return)  # 확인 puts it away
    assert not shown.isVisible()
    focus = kiosk.navigator.view.focus
    qtbot.keyClick(window, Qt.Key.Key_Right)  # the keypad is the home screen's again
    assert kiosk.navigator.view.focus != focus


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1024, 768)])
def test_the_question_is_large_whole_and_in_strong_colours(
    build: BuildKiosk, demo_config: KioskConfig, size: tuple[int, int]
) -> None:
    kiosk = build(demo_config, size)
    board = kiosk.parts.questions
    ask(kiosk, text=LONGEST, answers=FOUR)
    shown = overlay(kiosk)
    states = ["open"]
    board.answer(2)
    states.append("sent")
    question = board.on_screen.question  # type: ignore[union-attr]
    closed = then(question, QuestionState.CLOSED)
    board.offer(closed)
    states.append("closed")
    board.offer(then(closed, QuestionState.RESULT, [12, 3, 1, 0]))
    states.append("result")
    floor = MIN_TEXT_PX * size[1] / 1080 - 1
    shown.grab()
    body = QRectF(shown.rect())
    assert {t for t, *_ in shown.drawn} >= {LONGEST, "✓ 3  잘 모르겠어요", "12곳", "확인"}
    for text, font, rect, flags in shown.drawn:
        assert font.pixelSize() >= floor, (size, text, font.pixelSize())
        assert body.contains(rect), (size, text, "outside the screen")
        needed = QFontMetricsF(font).boundingRect(rect, flags, text)
        assert needed.width() <= rect.width() + 0.01, (size, text, "too wide")
        assert needed.height() <= rect.height() + 0.01, (size, text, "cut")
    # The question itself is the largest text, and large.
    question_font = next(f for t, f, *_ in shown.drawn if t == LONGEST)
    assert question_font.pixelSize() >= 1.3 * floor
    buttons = shown.buttons
    assert len(buttons) == 4 and all(b.height() >= size[1] * 0.2 for b in buttons)
    assert states == ["open", "sent", "closed", "result"]


def test_every_colour_pair_of_the_question_reaches_7_to_1() -> None:
    for fill in COLOURS.answers:
        assert contrast_ratio(COLOURS.answer_text, fill) >= AAA_CONTRAST, fill
        assert contrast_ratio(COLOURS.chosen, fill) >= 3, ("the chosen ring shows", fill)
    assert contrast_ratio(COLOURS.text, COLOURS.background) >= AAA_CONTRAST
    assert contrast_ratio(COLOURS.muted, COLOURS.background) >= AAA_CONTRAST
    assert contrast_ratio(COLOURS.background, COLOURS.text) >= AAA_CONTRAST  # 확인
    assert len(set(COLOURS.answers)) == 4


# --- on a real X server ---------------------------------------------------------------


@pytest.mark.xvfb
def test_the_question_on_a_real_x_server() -> None:
    """Photographed in its own process on Xvfb at 1920x1080; the pictures are kept in
    build/issue15-shots/ for people to look at."""
    from tests.e2e.xserver import colour_share, xvfb

    SHOTS.mkdir(parents=True, exist_ok=True)
    names = ("question-open", "question-sent", "question-closed", "question-result")
    for name in names:
        (SHOTS / f"{name}.png").unlink(missing_ok=True)
    with xvfb(1920, 1080) as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        done = subprocess.run(
            [sys.executable, "-m", "tests.ui.test_question", str(SHOTS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    images = {name: QImage(str(SHOTS / f"{name}.png")) for name in names}
    for name, image in images.items():
        assert image.size().toTuple() == (1920, 1080), name
        ground, _, _ = colour_share(image, COLOURS.background)
        assert ground > 0.3, (name, "the question covers the whole screen", ground)
        xs = [colour_share(image, fill)[1] for fill in COLOURS.answers[:3]]
        assert all(x > 0 for x in xs) and xs == sorted(xs), (name, "three buttons, 1 to 3", xs)
    ring, _, _ = colour_share(images["question-sent"], COLOURS.chosen, step=3)
    assert ring > 0.002, "the chosen answer's yellow ring"
    assert colour_share(images["question-open"], COLOURS.chosen, step=3)[0] == 0


def photograph(out: Path) -> None:
    """The question's four states on the X server in ``DISPLAY``, each saved once it
    shows (a pixel of the state's own colour read back from the server)."""
    from PySide6.QtGui import QGuiApplication

    from kiosk.app.kiosk import build_kiosk
    from kiosk.config import ConfigSource, LoadedConfig
    from kiosk.paths import Paths, default_assets
    from kiosk.ui.qt import QFont
    from kiosk.ui.theme import FONT_FAMILY
    from kiosk_contract.config import read_config
    from tests.e2e.xserver import screenshot
    from tests.ui.conftest import HEADLESS

    display = os.environ["DISPLAY"]
    app = QApplication([sys.argv[0]])
    app.setFont(QFont(FONT_FAMILY))
    wall = dt.datetime(2026, 11, 24, 15, 5, tzinfo=ZoneInfo("Asia/Seoul"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "etc").mkdir()
        paths = Paths(root / "etc", root / "state", default_assets())
        config = read_config(default_assets() / "demo" / "config.json")
        kiosk = build_kiosk(
            LoadedConfig(config, ConfigSource.FILE),
            paths,
            None,
            time.monotonic,
            wall_clock=lambda: wall,
            vlc_args=HEADLESS,
            demo=True,
        )
        window = kiosk.window
        window.setGeometry(0, 0, 1920, 1080)
        window.showFullScreen()
        app.installEventFilter(window)
        shown = overlay(kiosk)

        def shot(name: str, spot: QPoint, colour: str) -> None:
            app.processEvents()
            window.repaint()
            app.processEvents()
            QGuiApplication.sync()
            deadline = time.monotonic() + 15
            while True:
                image = screenshot(display)
                if image.pixelColor(spot).name() == colour.lower():
                    break
                if time.monotonic() > deadline:
                    image.save(str(out / f"{name}-timed-out.png"))
                    raise SystemExit(f"{name}: {colour} never showed at {spot.toTuple()}")
                app.processEvents()
            image.save(str(out / f"{name}.png"))
            print(name, flush=True)

        def inside(index: int, inset: float) -> QPoint:
            rect = shown.buttons[index]
            point = QPoint(int(rect.left() + inset), int(rect.center().y()))
            return shown.mapTo(window, point)

        try:
            board = kiosk.parts.questions
            ask(kiosk)
            shown.grab()
            ring = kiosk.window.theme.focus_width
            shot("question-open", inside(1, ring * 4), COLOURS.answers[1])
            press = QApplication.sendEvent
            # The keypad's "2", through the application's event filters as a key is.
            for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
                press(window, QKeyEvent(kind, Qt.Key.Key_2, Qt.KeyboardModifier.NoModifier, "2"))
            assert board.on_screen is not None and board.on_screen.chosen == 1
            shot("question-sent", inside(1, ring * 2.1), COLOURS.chosen)
            question = board.on_screen.question
            closed = then(question, QuestionState.CLOSED)
            board.offer(closed)
            shot("question-closed", inside(0, ring * 4), COLOURS.answers[0])
            board.offer(then(closed, QuestionState.RESULT, [7, 2, 1]))
            shot("question-result", inside(2, ring * 4), COLOURS.answers[2])
        finally:
            kiosk.close()


if __name__ == "__main__":
    photograph(Path(sys.argv[1]))
