"""A new configuration is put in force at a safe moment: the parts take it, a new
window shows it, the old one lets go of everything."""

import errno
import json
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from kiosk.app.kiosk import Kiosk
from kiosk.app.loop import retire
from kiosk.config import ConfigSource, ConfigTrial, LoadedConfig
from kiosk.config.trial import digest
from kiosk.navigation import Screen
from kiosk.paths import Paths
from kiosk.session import Session
from kiosk.status import Level
from kiosk.sync import result
from kiosk.sync.result import Outcome, SyncResult
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.model import Voice
from tests.ui.conftest import BuildKiosk, FakeClock


def new_config(old: KioskConfig) -> KioskConfig:
    return msgspec.structs.replace(
        old, revision=old.revision + 1, tiles=old.tiles[:2], voice=Voice(volume=35)
    )


class Shown:
    """What the run loop does with a configuration to put in force (minus services)."""

    def __init__(self, kiosk: Kiosk, qtbot: QtBot) -> None:
        self.kiosk = kiosk
        self.qtbot = qtbot
        self.old_windows: list[object] = []

    def __call__(self, loaded: LoadedConfig) -> None:
        old = self.kiosk.window
        new = self.kiosk.show(loaded)
        self.qtbot.addWidget(new)
        new.resize(old.size())
        new.show()
        retire(old)
        self.old_windows.append(old)


@pytest.fixture
def kiosk(build: BuildKiosk, demo_config: KioskConfig) -> Kiosk:
    return build(demo_config)


@pytest.fixture
def shown(kiosk: Kiosk, qtbot: QtBot) -> Shown:
    return Shown(kiosk, qtbot)


@pytest.fixture
def session(kiosk: Kiosk, shown: Shown, paths: Paths, clock: FakeClock) -> Session:
    trial = ConfigTrial(paths.config_trial, paths.last_good_config)
    return Session(
        kiosk.loaded, paths, kiosk.status, trial, kiosk.navigator.is_safe_moment, shown, clock
    )


def ready(config: KioskConfig) -> SyncResult:
    return SyncResult(Outcome.APPLIED, "ready", config, msgspec.json.encode(config))


def test_applied_only_when_home_idle_and_quiet(
    session: Session, kiosk: Kiosk, demo_config: KioskConfig, paths: Paths, clock: FakeClock
) -> None:
    first = kiosk.window
    kiosk.navigator.press_tile(5)  # notices: not available yet
    session.on_sync_result(ready(new_config(demo_config)))
    clock.now += 600
    session.tick()
    assert kiosk.window is first, "not while a tile's screen is open"
    kiosk.navigator.key("Escape")
    session.tick()
    assert kiosk.window is first, "not right after someone pressed something"
    clock.now += demo_config.sync.quiet_s
    session.tick()
    assert kiosk.window is not first and not first.isVisible()
    assert [b.tile.id for b in kiosk.window.home.buttons] == ["singing", "exercise"]
    assert kiosk.navigator.tiles == list(new_config(demo_config).tiles)
    assert kiosk.voice._voice.volume == 35, "the long-lived parts took it"
    active = result.read_active(paths)
    assert active is not None and msgspec.json.decode(active)["revision"] == 2
    assert session.pending is None and session.in_force.config.revision == 2
    # The old window follows nothing any more: views change only the new one.
    kiosk.navigator.open_leader()
    assert first.stack.currentWidget() is first.home
    assert kiosk.window.stack.currentWidget() is kiosk.window.pin


def test_outcomes_reach_the_status_strip(
    session: Session, kiosk: Kiosk, demo_config: KioskConfig
) -> None:
    status = kiosk.status
    session.on_sync_result(SyncResult(Outcome.UNREACHABLE, "server unreachable"))
    assert status.status.network is Level.MISSING
    session.on_sync_result(SyncResult(Outcome.REJECTED, "the repository has expired", expired=True))
    assert status.status.network is Level.OK
    assert status.status.config_problem == "the repository has expired"
    assert kiosk.window.status_strip.notice.text() == "⚠ 설정 확인 필요"
    session.on_sync_result(SyncResult(Outcome.UNCHANGED, "unchanged", demo_config))
    assert status.status.config_problem is None
    assert session.pending is None, "the same configuration needs no rebuild"


@pytest.mark.allow_warnings
def test_a_failed_write_keeps_the_running_kiosk(
    session: Session,
    kiosk: Kiosk,
    demo_config: KioskConfig,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(result, "write_atomically", disk_full)
    first = kiosk.window
    session.on_sync_result(ready(new_config(demo_config)))
    clock.now += 600
    session.tick()
    assert kiosk.window is first and first.isVisible()
    assert kiosk.loaded.config.revision == demo_config.revision
    assert "No space left" in (kiosk.status.status.config_problem or "")


def test_a_configuration_already_active_on_disk_is_shown(
    session: Session, kiosk: Kiosk, demo_config: KioskConfig, clock: FakeClock
) -> None:
    # e.g. a technician ran `kiosk sync --once` over SSH while the kiosk ran
    newer = new_config(demo_config)
    session.on_sync_result(
        SyncResult(Outcome.UNCHANGED, "unchanged", newer, msgspec.json.encode(newer))
    )
    clock.now += 600
    session.tick()
    assert kiosk.loaded.config == newer
    assert kiosk.loaded.source is ConfigSource.FILE


def test_a_new_configuration_runs_on_trial_and_a_refused_one_never_comes_back(
    session: Session, kiosk: Kiosk, demo_config: KioskConfig, paths: Paths, clock: FakeClock
) -> None:
    newer = new_config(demo_config)
    session.on_sync_result(ready(newer))
    clock.now += 600
    session.tick()
    assert kiosk.loaded.config == newer
    assert not paths.last_good_config.exists(), "on trial: not yet the last good one"
    clock.now += 600
    session.tick()
    assert paths.last_good_config.read_bytes() == msgspec.json.encode(newer)
    # A document refused on an earlier start (it kept stopping the kiosk) stays refused.
    refused = msgspec.structs.replace(newer, revision=7)
    data = msgspec.json.encode(refused)
    record = {"sha256": "", "revision": 0, "crashes": 0, "running": False}
    record["refused"] = [digest(data)]
    paths.config_trial.write_text(json.dumps(record))
    fresh = Session(
        kiosk.loaded,
        paths,
        kiosk.status,
        ConfigTrial(paths.config_trial, paths.last_good_config),
        kiosk.navigator.is_safe_moment,
        lambda loaded: pytest.fail("a refused configuration was shown"),
        clock,
    )
    fresh.on_sync_result(SyncResult(Outcome.APPLIED, "ready", refused, data))
    clock.now += 600
    fresh.tick()
    assert fresh.pending is None and kiosk.loaded.config == newer
    assert "revision 7 refused" in (kiosk.status.status.config_problem or "")
    assert kiosk.navigator.view.screen is Screen.HOME


@pytest.mark.allow_warnings
def test_a_configuration_that_cannot_be_shown_is_refused_and_the_old_one_comes_back(
    kiosk: Kiosk, shown: Shown, demo_config: KioskConfig, paths: Paths, clock: FakeClock
) -> None:
    """It parses, yet putting it in force fails: the kiosk goes on with what it had, and
    the document never becomes the last good one (nor comes back at the next check)."""
    trial = ConfigTrial(paths.config_trial, paths.last_good_config)
    newer = new_config(demo_config)

    def show(loaded: LoadedConfig) -> None:
        if loaded.config == newer:
            kiosk.parts.reconfigure(loaded)  # half-way through, then it breaks
            raise RuntimeError("a window that cannot be built")
        shown(loaded)

    session = Session(
        kiosk.loaded, paths, kiosk.status, trial, kiosk.navigator.is_safe_moment, show, clock
    )
    session.on_sync_result(ready(newer))
    clock.now += 600
    session.tick()
    assert kiosk.loaded.config == demo_config and session.in_force.config == demo_config
    assert "revision 2 refused" in (kiosk.status.status.config_problem or "")
    clock.now += 600
    session.tick()
    assert not paths.last_good_config.exists(), "the broken one never becomes last good"
    session.on_sync_result(ready(newer))
    assert session.pending is None
