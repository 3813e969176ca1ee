"""A box fetching its configuration from nginx: the legitimate paths."""

from pathlib import Path

from kiosk.paths import Paths
from kiosk.sync.client import Synchroniser, sync_once
from kiosk.sync.enrolment import Enrolment
from kiosk.sync.result import Outcome
from kiosk_contract.config import parse_config
from tests.sync.conftest import Fleet
from tests.webserver import access_log, logged_since


def test_first_sync_applies_the_centres_own_configuration(
    fleet: Fleet, box: tuple[Paths, Enrolment]
) -> None:
    paths, enrolment = box
    result = sync_once(paths, enrolment)
    assert result.outcome is Outcome.APPLIED, result.reason
    assert result.exit_code == 0
    active = parse_config(paths.config.read_bytes())
    assert active.centre.id == "namwon-002"
    assert active.centre.name == "향교 상촌마을 경로당"
    assert active.voice.volume == 90


def test_a_central_change_is_picked_up(fleet: Fleet, box: tuple[Paths, Enrolment]) -> None:
    paths, enrolment = box
    sync_once(paths, enrolment)
    fleet.set_default("idle", "return_home_after_s", 300)
    fleet.publish()
    result = sync_once(paths, enrolment)
    assert result.outcome is Outcome.APPLIED, result.reason
    active = parse_config(paths.config.read_bytes())
    assert active.idle.return_home_after_s == 300
    assert active.revision == 2


def test_unchanged_costs_one_small_conditional_round_trip(
    fleet: Fleet, box: tuple[Paths, Enrolment]
) -> None:
    paths, enrolment = box
    sync_once(paths, enrolment)
    before = len(access_log(fleet.server_dir))
    synchroniser = Synchroniser(paths, enrolment)
    try:
        result = synchroniser.check()
        assert result.outcome is Outcome.UNCHANGED, result.reason
        assert synchroniser.fetcher.bytes_received == 0, "no body: 404 and 304 only"
    finally:
        synchroniser.close()
    requests = logged_since(fleet.server_dir, before, 2)
    # python-tuf always asks whether a next root exists (404), then the timestamp (304).
    assert len(requests) == 2, requests
    assert '"GET /metadata/2.root.json HTTP/1.1" 404' in requests[0]
    assert '"GET /metadata/timestamp.json HTTP/1.1" 304' in requests[1]


def test_server_down_is_unreachable_and_keeps_the_last_good(
    fleet: Fleet, box: tuple[Paths, Enrolment], tmp_path: Path
) -> None:
    paths, enrolment = box
    sync_once(paths, enrolment)
    before = paths.config.read_bytes()
    gone = Enrolment("http://127.0.0.1:9", enrolment.centre_id)  # discard port: nothing listens
    result = sync_once(paths, gone)
    assert result.outcome is Outcome.UNREACHABLE, result.reason
    assert result.exit_code == 3
    assert paths.config.read_bytes() == before


def test_moving_a_box_to_another_centre_drops_the_old_centres_configuration(
    fleet: Fleet, box: tuple[Paths, Enrolment]
) -> None:
    from kiosk.sync.enrolment import enrol

    paths, enrolment = box
    sync_once(paths, enrolment)
    root = (fleet.repo.path / "root.json").read_bytes()
    enrol(paths, fleet.url, "namwon-002", root)
    assert paths.config.exists(), "same centre: keeps serving"
    moved = enrol(paths, "http://127.0.0.1:9", "namwon-001", root)
    assert not paths.config.exists()
    assert not paths.last_good_config.exists()
    assert sync_once(paths, moved).outcome is Outcome.UNREACHABLE
