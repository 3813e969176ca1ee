"""The messages as a service of the kiosk: started before the loop runs (as the root
starts every service), the tile opens the screen, the tile's badge follows the spool."""

import asyncio
import uuid
from pathlib import Path

from kiosk.devices.policy import Choice
from kiosk.messages.desk import Stage
from kiosk.messages.service import MessageService
from kiosk.messages.spool import State
from kiosk.navigation import OFFER_MESSAGE, Navigator, Screen
from kiosk.paths import Paths
from kiosk.status import StatusBoard
from kiosk_contract.config.model import Idle, Keys, Tile
from tests.conftest import ASSETS
from tests.unit.messages.test_desk import CAMERA, MICROPHONE
from tests.unit.messages.test_spool import WHEN

TILES = [
    Tile(id="message", label="의견 남기기", icon="call", colour="#134E4A", action="message"),
    Tile(id="notices", label="안내", icon="info", colour="#7C2D12", action="info"),
]


def test_it_starts_before_the_loop_runs_and_the_tile_opens_its_screen(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    try:
        paths = Paths(tmp_path / "etc", tmp_path / "state", ASSETS)
        navigator = Navigator(TILES, Keys(), Idle(), lambda: 0.0)
        service = MessageService(paths, navigator, StatusBoard(), loop, None, lambda: None)
        badges: list[str] = []
        service.subscribe_badge(badges.append)
        service.start()  # the kiosk starts its services before its loop runs
        spool = service.spool
        recording = spool.recording_path(uuid.uuid4().hex)
        recording.write_bytes(b"webm")
        message = spool.handled(spool.delivered(spool.queue(recording, 2.0, WHEN)), "staff-kim")
        service._changed(message)
        assert service.badge == "message_handled" and badges == ["message_handled"]
        assert navigator.press_tile(0)
        assert navigator.view.screen is Screen.MESSAGE
        assert spool.in_state(State.HANDLED) == [], "said once: the tile was pressed"
        assert service.badge == "" and badges[-1] == ""
        navigator.go_home()
        loop.run_until_complete(service.close())
    finally:
        loop.close()


def test_nobody_answered_then_leave_a_message_opens_the_recording_screen(tmp_path: Path) -> None:
    """Contract C: the "nobody answered" screen's 의견 남기기 is the message tile's press."""
    loop = asyncio.new_event_loop()
    try:
        paths = Paths(tmp_path / "etc", tmp_path / "state", ASSETS)
        navigator = Navigator(TILES, Keys(), Idle(), lambda: 0.0)
        status = StatusBoard()
        status.update(choice=Choice(CAMERA, MICROPHONE, None))
        service = MessageService(paths, navigator, status, loop, None, lambda: None)
        navigator.show_not_ready(OFFER_MESSAGE)
        assert navigator.message_offer() == 0
        assert navigator.key("1")
        assert navigator.view.screen is Screen.MESSAGE
        assert service.desk.view.stage is Stage.READY
        loop.run_until_complete(service.close())
    finally:
        loop.close()
