"""The technician's diagnostics screen: devices, live camera and meter (real libvlc), speaker
test, network, and the box's facts."""

import pytest
from pytestqt.qtbot import QtBot

from kiosk.devices.model import Device, Kind, Link
from kiosk.devices.policy import Choice
from kiosk.devices.status import facts
from kiosk.media.vlc_sound import VlcSoundPlayer
from kiosk.navigation import Screen
from kiosk.status import Level
from kiosk.ui.qt import Qt
from kiosk_contract.config import KioskConfig
from tests.ui.conftest import HEADLESS, BuildKiosk, FakeClock
from tests.ui.test_leader import enter

TECHNICIAN_PIN = "4321"
WEBCAM = Device(Kind.CAMERA, "/dev/video0", "Logitech BRIO", Link.USB)
MIC = Device(Kind.MICROPHONE, "plughw:CARD=USB,DEV=0", "Jabra SPEAK 510 USB", Link.SPEAKERPHONE)
JACK = Device(Kind.MICROPHONE, "plughw:CARD=PCH,DEV=0", "ALC897 Analog", Link.ANALOG)


@pytest.mark.allow_warnings  # libvlc cannot open the made-up camera, and says so
def test_the_technician_pin_opens_diagnostics_with_every_device(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    choice = Choice(WEBCAM, MIC, None)
    kiosk.status.update(**facts([WEBCAM, JACK, MIC], choice))
    assert kiosk.window.status_strip.items["speaker"].level is Level.MISSING
    kiosk.navigator.open_leader()
    enter(qtbot, kiosk, TECHNICIAN_PIN)
    assert kiosk.navigator.view.screen is Screen.DIAGNOSTICS
    page = kiosk.window.diagnostics
    assert page.device_lists[Kind.CAMERA].text() == "★ Logitech BRIO"
    assert page.device_lists[Kind.MICROPHONE].text() == "· ALC897 Analog\n★ Jabra SPEAK 510 USB"
    assert page.device_lists[Kind.SPEAKER].text() == "없음 — 연결을 확인하세요"
    qtbot.waitUntil(lambda: "설정 서버: 등록 안 됨" in page.network.text(), timeout=10_000)
    assert "화상통화 서버: 데모 시청이 꺼져 있음" in page.network.text()
    assert "디스크 여유" in page.box.text() and "VLC 3.0" in page.box.text()


def test_the_live_camera_and_the_meter_run_while_the_screen_is_open(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    kiosk.navigator.unlocked("technician")
    page = kiosk.window.diagnostics
    assert page.monitor is not None
    # No camera or microphone here: the demo's test pattern with its tone stands in.
    qtbot.waitUntil(lambda: page.monitor.camera_state() == "playing", timeout=10_000)
    qtbot.waitUntil(lambda: page.meter.value() > 30, timeout=10_000)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Escape)
    assert kiosk.navigator.view.screen is Screen.HOME
    assert page.monitor is None, "libvlc is released when the screen closes"


def test_the_speaker_test_plays_a_tone_and_a_sentence(
    build: BuildKiosk, demo_config: KioskConfig, qtbot: QtBot
) -> None:
    kiosk = build(demo_config)
    player = VlcSoundPlayer(HEADLESS)
    kiosk.voice.attach(player)
    kiosk.navigator.unlocked("technician")
    qtbot.mouseClick(kiosk.window.diagnostics.speaker_button, Qt.MouseButton.LeftButton)
    assert player.now_playing is not None and player.now_playing.name == "speaker-test.wav"


def test_diagnostics_leave_by_themselves(
    build: BuildKiosk, demo_config: KioskConfig, clock: FakeClock
) -> None:
    kiosk = build(demo_config)
    kiosk.navigator.unlocked("technician")
    clock.now += demo_config.leader.leave_after_s
    kiosk.tick()
    assert kiosk.navigator.view.screen is Screen.HOME
    assert kiosk.window.diagnostics.monitor is None
