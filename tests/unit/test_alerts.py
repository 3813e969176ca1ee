"""City hall's alerts on the screen and in the speaker: the board, the navigator and the
voice wired together as the kiosk wires them (no Qt)."""

from pathlib import Path

import pytest

from kiosk.alerts import AlertScreens, alert_key
from kiosk.fleet.board import AlertBoard, AlertPhase
from kiosk.navigation import ALERT_SETTLE_S, Activity, Navigator, Screen
from kiosk.voice import CHIME, VoiceGuide, level_prompt
from kiosk_contract.config import KioskConfig, Voice
from kiosk_contract.fleet import Level
from tests.alerts import AlertDesk
from tests.conftest import ASSETS
from tests.unit.test_navigation import FakeClock
from tests.unit.test_voice import RecordingPlayer

NOW = 1_800_000_000.0


class Wall:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, config: KioskConfig, tmp_path: Path) -> None:
        self.wall = Wall()
        self.clock = FakeClock()
        self.board = AlertBoard(tmp_path / "alerts.json", self.wall)
        self.navigator = Navigator(
            config.tiles,
            config.keys,
            config.idle,
            self.clock,
            openers={"programme": lambda tile: Screen.PLAYING, "call": lambda t: Screen.CALL},
        )
        self.player = RecordingPlayer()
        self.voice = VoiceGuide(Voice(), [ASSETS / "voice" / "ko"], tmp_path / "sounds")
        self.voice.attach(self.player)
        self.screens = AlertScreens(self.board, self.navigator, self.voice)
        self.desk = AlertDesk()

    def send(
        self, level: Level = Level.EMERGENCY, minutes: float = 60, voice: bytes | None = None
    ) -> str:
        alert = self.desk.alert(level=level, minutes=minutes, issued=self.wall.now, voice=voice)
        assert self.board.offer(alert) is None
        return alert_key(alert)

    def read_and_press(self) -> None:
        """확인, once the alert has been on the screen long enough to be read."""
        self.clock.now += ALERT_SETTLE_S
        self.navigator.key("Return")

    def phase(self, key: str) -> AlertPhase:
        return next(k.phase for k in self.board.receipts() if f"{k.alert}#{k.seq}" == key)

    def sounding(self) -> list[str]:
        return [path.name for path in self.player.rows[-1][0]] if self.player.rows else []


@pytest.fixture
def rig(demo_config: KioskConfig, tmp_path: Path) -> Rig:
    return Rig(demo_config, tmp_path)


def test_an_alert_takes_over_a_programme_and_sounds_until_acknowledged(rig: Rig) -> None:
    rig.navigator.key("1")
    assert rig.navigator.view.behind is Activity.PROGRAMME
    key = rig.send()
    assert rig.navigator.view.screen is Screen.ALERT and rig.navigator.view.alert == key
    assert rig.sounding() == [CHIME, level_prompt(Level.EMERGENCY), "pause-10s.wav"]
    assert rig.player.rows[-1][2], "again and again"
    assert rig.phase(key) is AlertPhase.DELIVERED, "not shown until painted"
    rig.screens.painted(key)
    assert rig.phase(key) is AlertPhase.SHOWN
    rig.read_and_press()
    assert rig.phase(key) is AlertPhase.ACKNOWLEDGED
    assert rig.navigator.view.screen is Screen.HOME
    assert rig.player.stopped == 1, "the sound stops with 확인"


def test_the_next_alert_follows_the_first(rig: Rig) -> None:
    first = rig.send(Level.CAUTION)
    second = rig.send(Level.INFO, voice=b"OggS" + bytes(10))
    assert rig.screens.waiting_after() == 1
    rig.read_and_press()
    assert rig.phase(first) is AlertPhase.ACKNOWLEDGED
    assert rig.navigator.view.alert == second
    assert rig.sounding() == [CHIME, "alert-voice.ogg", "pause-60s.wav"]
    assert rig.screens.waiting_after() == 0
    rig.read_and_press()
    assert rig.navigator.view.screen is Screen.HOME


def test_a_more_urgent_alert_comes_first(rig: Rig) -> None:
    rig.send(Level.INFO)
    urgent = rig.send(Level.EMERGENCY)
    assert rig.navigator.view.alert == urgent


def test_over_a_call_a_banner_and_no_sound_then_the_screen(rig: Rig) -> None:
    rig.navigator.key("3")
    key = rig.send()
    assert rig.navigator.view.screen is Screen.CALL and rig.navigator.view.alert == key
    assert rig.player.rows == [], "the call is not drowned"
    rig.navigator.activity_ended(Activity.CALL)
    assert rig.navigator.view.screen is Screen.ALERT
    assert rig.sounding()[0] == CHIME


def test_an_alert_that_expires_leaves_the_screen_and_falls_silent(rig: Rig) -> None:
    key = rig.send(minutes=1)
    assert rig.navigator.view.alert == key
    rig.wall.now += 60
    rig.board.tick()
    assert rig.navigator.view.screen is Screen.HOME
    assert rig.player.stopped == 1


def test_painted_too_late_says_nothing(rig: Rig) -> None:
    key = rig.send()
    rig.read_and_press()
    rig.screens.painted(key)
    assert rig.phase(key) is AlertPhase.ACKNOWLEDGED


def test_an_alert_on_the_board_before_the_screens_are_wired_shows_at_once(
    demo_config: KioskConfig, tmp_path: Path
) -> None:
    """The link may hand an alert over before the window is built (a restart)."""
    rig = Rig(demo_config, tmp_path)
    rig.screens.close()
    key = rig.send()
    navigator = Navigator(demo_config.tiles, demo_config.keys, demo_config.idle, FakeClock())
    AlertScreens(rig.board, navigator, rig.voice)
    assert navigator.view.screen is Screen.ALERT and navigator.view.alert == key
