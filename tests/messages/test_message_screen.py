"""The message screen's page (offscreen): every stage's words come from the
catalogue, big enough and at 7:1 contrast, and its keys reach every button."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from pytestqt.qtbot import QtBot

from kiosk.devices.policy import Choice
from kiosk.i18n import Strings
from kiosk.messages.desk import MessageDesk, MessageView, Stage
from kiosk.messages.spool import Spool
from kiosk.navigation import Command
from kiosk.ui.message import COLOURS, MessageScreen
from kiosk.ui.theme import MIN_TEXT_PX, Theme
from kiosk_contract.config.model import Display
from kiosk_contract.contrast import AAA_CONTRAST, contrast_ratio
from tests.conftest import ASSETS
from tests.unit.messages.test_desk import CAMERA, MICROPHONE, FakeRecording

T = TypeVar("T")


def never(work: Callable[[], T], then: Callable[[T], object], failed: object) -> None:
    then(work())


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MessageDesk:
    monkeypatch.setattr("kiosk.messages.desk.probe_duration", lambda path: 5.0)
    spool = Spool(tmp_path / "messages")
    spool.tidy()
    return MessageDesk(
        spool,
        lambda: Choice(CAMERA, MICROPHONE, None),
        FakeRecording,
        never,
        lambda message: None,
        lambda: None,
        lambda: None,
        wall=lambda: dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize("height", [1080, 720])
def test_every_stage_is_said_large_and_clearly(
    qtbot: QtBot, desk: MessageDesk, height: int
) -> None:
    theme = Theme(Display(), height, ASSETS / "icons")
    page = MessageScreen(Strings("ko"), theme, desk)
    qtbot.addWidget(page)
    page.resize(height * 16 // 9, height)
    page.show()
    smallest = theme.px(MIN_TEXT_PX)
    for stage in Stage:
        page.show_message(MessageView(stage, left_s=42, length_s=17))
        page.grab()  # paints every button
        assert page.title.text() and page.title.font().pixelSize() >= smallest
        assert page.detail.font().pixelSize() >= smallest
        shown = [b for b in page.buttons if b.isVisible()]
        assert len(shown) == len(MessageView(stage).buttons)
        for button in shown:
            assert button.drawn, f"{stage}: {button.text()} not drawn"
            assert button.drawn[0][1].pixelSize() >= smallest, (stage, button.text())
            assert contrast_ratio(theme.display.text, button.colour) >= AAA_CONTRAST
    page.show_message(MessageView(Stage.RECORDING, left_s=42))
    assert page.countdown.text() == "42초" and page.countdown.font().pixelSize() > 3 * smallest
    accent, background = theme.display.accent, theme.display.background
    assert contrast_ratio(accent, background) >= AAA_CONTRAST
    assert all(contrast_ratio("#FFFFFF", colour) >= AAA_CONTRAST for colour in COLOURS.values())
    page.close_page()


def test_keys_reach_every_button(qtbot: QtBot, desk: MessageDesk) -> None:
    page = MessageScreen(Strings("ko"), Theme(Display(), 1080, ASSETS / "icons"), desk)
    qtbot.addWidget(page)
    desk.open()
    assert page.buttons[0].focused and page.buttons[0].text() == "1  녹화 시작"
    assert page.key(Command.RIGHT) and page.buttons[1].focused
    assert page.key(Command.LEFT) and page.buttons[0].focused
    assert page.key(Command.ACTIVATE) and desk.view.stage is Stage.RECORDING
    assert page.timer.isActive(), "the countdown ticks"
    assert page.key(4), "any number stops a recording (and opens no tile)"
    desk.tick()
    assert desk.view.stage is Stage.REVIEW
    assert [b.text() for b in page.buttons] == ["1  보내기", "2  다시 하기", "3  취소"]
    assert page.key(Command.DOWN) and page.key(Command.DOWN) and page.buttons[2].focused
    assert not page.key(Command.DOWN), "the ring stays on the last"
    assert page.key(1) and desk.view.stage is Stage.RECORDING, "key 2: 다시 하기"
    page.close_page()
