"""The running kiosk's check, done by a child process."""

from kiosk.paths import Paths
from kiosk.sync.child import check_in_child
from kiosk.sync.enrolment import Enrolment
from kiosk.sync.result import Outcome, apply, read_active
from kiosk_contract.config import parse_config
from tests.sync.conftest import Fleet


def test_the_child_verifies_and_the_kiosk_applies(
    fleet: Fleet, box: tuple[Paths, Enrolment]
) -> None:
    paths, _ = box
    ready = check_in_child(paths)
    assert ready.outcome is Outcome.APPLIED, ready.reason
    assert ready.config is not None and ready.config.centre.id == "namwon-002"
    assert read_active(paths) is None, "checking does not apply"
    apply(paths, ready)
    assert parse_config(paths.config.read_bytes()) == ready.config

    same = check_in_child(paths)
    assert same.outcome is Outcome.UNCHANGED
    assert same.config == ready.config, "unchanged still tells which configuration is active"


def test_refusals_and_outages_come_back_as_outcomes(
    fleet: Fleet, box: tuple[Paths, Enrolment]
) -> None:
    paths, _ = box
    apply(paths, check_in_child(paths))
    (fleet.repo.public / "metadata" / "timestamp.json").write_text("[]")
    refused = check_in_child(paths)
    assert refused.outcome is Outcome.REJECTED
    assert refused.config is None
    (paths.state / "enrolment.json").write_text(
        '{"server": "http://127.0.0.1:9", "centre_id": "namwon-002"}'
    )
    assert check_in_child(paths).outcome is Outcome.UNREACHABLE
