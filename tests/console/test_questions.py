"""A question in the town meeting, end to end: the console's host page in Chromium
(Selenium), city hall's real call gate and Janus in their network namespace with two
real kiosk desks (aiortc) of two centres in the meeting (as ``test_meeting``), the
fleet's real mosquitto with the access list the build's rooms make, and each centre's
real fleet link with its question board (Qt-free: the screen's part is
``tests/ui/test_question.py``).

The host asks; both boxes get it (signed with city hall's alert key, through the
broker); both answer; the page's chart and table show 1 / 1; the host closes it; a
late answer (a box that had not heard of the close) reaches city hall and is not
counted, and a press on a box after the close sends nothing; the result goes to both
screens. A question forged on the broker (a wrong key) never reaches a board.
"""

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.fleet.link import LinkState
from kiosk.fleet.questions import Note, QuestionBoard
from kiosk.paths import Paths, default_assets
from kiosk_contract.config import KioskConfig
from kiosk_contract.questions import Answer, QuestionState
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.broker.alertkey import alert_public_key
from kiosk_provisioning.broker.config import rooms_of, write_acl
from kiosk_provisioning.console.models import Role
from tests.alerts import with_fleet
from tests.broker import Broker
from tests.calls.conftest import ROOM, run, until
from tests.console.browser import SIZES, StaffAtConsole
from tests.console.rig import NAMES as RIG_NAMES
from tests.console.rig import ConsoleCalls, build_centres, staff_at_calls
from tests.console.server import ConsoleServer
from tests.console.test_meeting import FIRST, SECOND, MeetingServer, desk_in_room, page
from tests.fleet.box import Box
from tests.questions import forged_question, make_question

NAMESPACE = 15
"""This test's own city hall namespace (the meeting test's is 9)."""
SHOTS = Path(__file__).resolve().parents[2] / "build" / "issue15-shots"
QUESTION = "내년 경로당 냉방비 지원을 늘리는 데 찬성하십니까?"
SCENARIO_S = 240.0
NAMES = {centre: name for centre, (name, _) in RIG_NAMES.items()}
BARS = """return Array.from(document.querySelectorAll('#question-bars .question-bar')).map(
    function (bar) { return Number(bar.dataset.count); });"""
TABLE = """return Array.from(document.querySelectorAll('#question-centres tr')).map(
    function (row) { return [row.dataset.centre].concat(
        Array.from(row.children).map(function (cell) { return cell.textContent; })); });"""


class QuestionCity:
    """The meeting's city hall (Janus, gate, console) with the fleet's broker."""

    def __init__(self, rig: ConsoleCalls, broker: Broker, configs: list[KioskConfig]) -> None:
        self.rig, self.broker, self.configs = rig, broker, configs


@pytest.fixture
def city(tmp_path: Path) -> Iterator[QuestionCity]:
    with (
        PrivateNetwork(NAMESPACE) as network,
        MeetingServer(network, tmp_path / "calls") as janus,
    ):
        repo = janus.identity.repo
        configs = build_centres(repo, janus)
        districts = {c.centre.id: c.centre.district for c in configs}
        with Broker(tmp_path / "broker", janus.identity, districts) as broker:
            # The access list as the build writes it: both centres read the meeting's questions.
            write_acl(broker.files.acl, districts, rooms_of(configs))
            broker.reload()
            console = ConsoleServer(
                repo, tmp_path / "console", broker.tools_url, gate_url=janus.staff_door.url
            )
            console.add_staff("host", "이회의", Role.HOST, department="자치행정과")
            with console:
                yield QuestionCity(ConsoleCalls(janus, console), broker, configs)


@pytest.fixture
def host_browser(city: QuestionCity, tmp_path: Path) -> Iterator[StaffAtConsole]:
    with staff_at_calls(city.rig, tmp_path / "chromium") as browser:
        yield browser


def fleet_box(city: QuestionCity, centre: str, folder: Path) -> tuple[Box, QuestionBoard]:
    """*centre*'s fleet link (its own certificate, the build's configuration trusting
    city hall's alert key) with a question board behind it."""
    janus = city.rig.janus
    assert isinstance(janus, MeetingServer)
    paths = Paths(folder / "etc", folder / "state", default_assets())
    identity = paths.state / "identity"
    identity.mkdir(parents=True)
    box_files = janus.boxes[centre]
    for source, name in ((box_files.key, "key.pem"), (box_files.cert, "cert.pem")):
        shutil.copy(source, identity / name)
    shutil.copy(box_files.ca, identity / "ca.pem")
    (identity / "key.pem").chmod(0o600)
    built = next(c for c in city.configs if c.centre.id == centre)
    key = alert_public_key(janus.identity.repo)
    config = with_fleet(built, city.broker.url, [key], centre, built.centre.district)
    board = QuestionBoard()
    box = Box(config, paths, questions=board)
    board.attach(box.link.send_answer)
    return box, board


def shoot(browser: StaffAtConsole, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("1366x768", SIZES["laptop"]), ("1920x1080", SIZES["desktop"])):
        browser.shot(SHOTS / f"{name}-{label}.png", size)
    browser.driver.set_window_size(*SIZES["laptop"])


def table(browser: StaffAtConsole) -> dict[str, list[str]]:
    """The page's per-centre table: centre -> [name, answer, late answer]."""
    return {row[0]: row[1:] for row in browser.driver.execute_script(TABLE)}


@pytest.mark.allow_warnings  # the forged question's refusal is one
def test_the_host_asks_both_centres_answer_and_a_late_answer_is_not_counted(
    city: QuestionCity,
    host_browser: StaffAtConsole,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser, janus = host_browser, city.rig.janus
    assert isinstance(janus, MeetingServer)
    browser.sign_in("host")
    browser.open("/meeting/")

    async def scenario() -> None:
        await page(browser.find("button.start").click)
        await page(browser.wait, lambda: browser.find("#stage-state").text == "회의 중")
        desks = {centre: await desk_in_room(janus, centre) for centre in (FIRST, SECOND)}
        boxes = {c: fleet_box(city, c, tmp_path / "boxes" / c) for c in (FIRST, SECOND)}
        for box, _ in boxes.values():
            box.link.start()
        await until(lambda: all(b.link.state is LinkState.CONNECTED for b, _ in boxes.values()))
        boards = {centre: board for centre, (_, board) in boxes.items()}
        assert browser.find("#question").is_displayed()

        # The host asks (the default answers 찬성 / 반대 / 잘 모르겠어요).
        await page(browser.find("#question-text").send_keys, QUESTION)
        await page(browser.find("#question-ask").click)
        await until(lambda: all(b.on_screen is not None for b in boards.values()), step=0.05)
        asked = boards[FIRST].on_screen
        assert asked is not None and asked.is_open
        question = asked.question
        assert (question.text, question.room) == (QUESTION, ROOM)
        assert question.answers == ["찬성", "반대", "잘 모르겠어요"]
        assert question.voice, "city hall's espeak-ng reading, for boxes without speech"
        await page(browser.wait, lambda: browser.find("#question-live").is_displayed())
        assert browser.find("#question-members").text == "2"

        # Both answer; the first changes its mind once (the latest counts).
        assert boards[FIRST].answer(1)
        assert boards[FIRST].answer(0)
        assert boards[SECOND].answer(1)
        await page(browser.wait, lambda: browser.driver.execute_script(BARS) == [1, 1, 0])
        await page(browser.wait, lambda: browser.find("#question-answered").text == "2")
        assert table(browser) == {
            FIRST: [NAMES[FIRST], "찬성", ""],
            SECOND: [NAMES[SECOND], "반대", ""],
        }
        await page(shoot, browser, "console-question-answers")

        # 질문 끝내기: both boxes hear it; a press now sends nothing.
        await page(browser.find("#question-close").click)
        await until(
            lambda: all(
                b.on_screen is not None and not b.on_screen.is_open for b in boards.values()
            ),
            step=0.05,
        )
        assert not boards[SECOND].answer(2)
        ended = boards[SECOND].on_screen
        assert ended is not None and ended.note is Note.CLOSED
        # A late answer that did go out (a box that had not yet heard of the close)
        # reaches city hall and is listed apart, not counted.
        box, _ = boxes[FIRST]
        box.link.send_answer(Answer(question=question.id, choice=2, n=2**50, at=0))
        await page(browser.wait, lambda: table(browser).get(FIRST, [""] * 3)[2] == "잘 모르겠어요")
        assert browser.driver.execute_script(BARS) == [1, 1, 0]
        assert browser.find("#question-state").text == "끝남"

        # The result on every screen.
        await page(browser.find("#question-show").click)
        await until(
            lambda: all(
                b.on_screen is not None and b.on_screen.question.state is QuestionState.RESULT
                for b in boards.values()
            ),
            step=0.05,
        )
        result = boards[SECOND].on_screen
        assert result is not None and result.question.counts == [1, 1, 0]
        await page(browser.wait, lambda: browser.find("#question-new").is_displayed())
        await page(shoot, browser, "console-question-result")

        # A question forged on the broker (not city hall's key) is refused by the box.
        forged = make_question(room=ROOM, seq=result.question.seq + 100)
        with city.broker.city_hall().connect() as hall:
            hall.publish(forged.topic, forged_question(forged), retain=True)
        await until(lambda: any("refused" in r.getMessage() for r in caplog.records))
        still = boards[FIRST].on_screen
        assert still is not None and still.question.id == question.id

        for box, _ in boxes.values():
            await box.link.close()
        for desk in desks.values():
            await desk.close()

    with caplog.at_level(logging.WARNING):
        run(scenario(), limit=SCENARIO_S)
    fleet = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith(("kiosk.fleet", "kiosk_provisioning"))
    ]
    assert fleet and all("signature is not city hall's" in r for r in fleet), fleet
    assert browser.console_errors() == []
