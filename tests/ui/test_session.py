"""A new configuration replaces the running kiosk only at a safe moment."""

import errno
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, build_kiosk
from kiosk.config import ConfigSource, LoadedConfig
from kiosk.paths import Paths
from kiosk.session import Session
from kiosk.status import Level, StatusBoard
from kiosk.sync import result
from kiosk.sync.result import Outcome, SyncResult
from kiosk_contract.config import KioskConfig
from tests.ui.conftest import BuildKiosk, FakeClock


class Player:
    def __init__(self) -> None:
        self.closed = False

    def play(self, path: Path, volume: int, repeat: bool = False) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def new_config(old: KioskConfig) -> KioskConfig:
    return msgspec.structs.replace(old, revision=old.revision + 1, tiles=old.tiles[:2])


@pytest.fixture
def session(
    build: BuildKiosk, demo_config: KioskConfig, paths: Paths, clock: FakeClock, qtbot: QtBot
) -> Session:
    kiosk = build(demo_config)

    def rebuild(loaded: LoadedConfig, status: StatusBoard) -> Kiosk:
        made = build_kiosk(loaded, paths, None, clock, status=status)
        qtbot.addWidget(made.window)
        return made

    def swap(new: Kiosk, old: Kiosk) -> None:
        new.window.resize(old.window.size())
        new.window.show()
        old.window.close()

    return Session(kiosk, paths, rebuild, swap)


def ready(config: KioskConfig) -> SyncResult:
    return SyncResult(Outcome.APPLIED, "ready", config, msgspec.json.encode(config))


def test_applied_only_when_home_idle_and_quiet(
    session: Session, demo_config: KioskConfig, paths: Paths, clock: FakeClock
) -> None:
    player = Player()
    session.kiosk.voice.attach(player)
    old = session.kiosk
    old.navigator.press_tile(5)  # notices: not available yet
    session.on_sync_result(ready(new_config(demo_config)))
    clock.now += 600
    session.tick()
    assert session.kiosk is old, "not while a tile's screen is open"
    old.navigator.key("Escape")
    session.tick()
    assert session.kiosk is old, "not right after someone pressed something"
    clock.now += demo_config.sync.quiet_s
    session.tick()
    assert session.kiosk is not old
    assert [b.tile.id for b in session.kiosk.window.home.buttons] == ["singing", "exercise"]
    assert not old.window.isVisible()
    assert session.kiosk.voice.detach() is player, "the sound device moved over"
    active = result.read_active(paths)
    assert active is not None and msgspec.json.decode(active)["revision"] == 2
    assert session.pending is None


def test_outcomes_reach_the_status_strip(session: Session, demo_config: KioskConfig) -> None:
    status = session.kiosk.status
    session.on_sync_result(SyncResult(Outcome.UNREACHABLE, "server unreachable"))
    assert status.status.network is Level.MISSING
    session.on_sync_result(SyncResult(Outcome.REJECTED, "the repository has expired", expired=True))
    assert status.status.network is Level.OK
    assert status.status.config_problem == "the repository has expired"
    assert session.kiosk.window.status_strip.notice.text() == "⚠ 설정 확인 필요"
    session.on_sync_result(SyncResult(Outcome.UNCHANGED, "unchanged", demo_config))
    assert status.status.config_problem is None
    assert session.pending is None, "the same configuration needs no rebuild"


@pytest.mark.allow_warnings
def test_a_failed_write_keeps_the_running_kiosk(
    session: Session,
    demo_config: KioskConfig,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(result, "write_atomically", disk_full)
    old = session.kiosk
    session.on_sync_result(ready(new_config(demo_config)))
    clock.now += 600
    session.tick()
    assert session.kiosk is old
    assert old.window.isVisible()
    assert "No space left" in (old.status.status.config_problem or "")


def test_a_configuration_already_active_on_disk_is_shown(
    session: Session, demo_config: KioskConfig, clock: FakeClock
) -> None:
    # e.g. a technician ran `kiosk sync --once` over SSH while the kiosk ran
    newer = new_config(demo_config)
    session.on_sync_result(
        SyncResult(Outcome.UNCHANGED, "unchanged", newer, msgspec.json.encode(newer))
    )
    clock.now += 600
    session.tick()
    assert session.kiosk.loaded.config == newer
    assert session.kiosk.loaded.source is ConfigSource.FILE
