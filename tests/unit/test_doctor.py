import pytest

from kiosk.config import ConfigTrial
from kiosk.config.trial import MAX_CRASHES
from kiosk.doctor import config_report, library_report, problem, render
from kiosk.media.cache import MediaCache
from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
from kiosk_contract.files import write_atomically
from tests.conftest import DEMO_CONFIG
from tests.ui.conftest import seed_demo_media


def test_the_library_report_counts_verified_files(paths: Paths, demo_config: KioskConfig) -> None:
    cache = MediaCache(paths.media)
    empty = library_report(demo_config, cache)
    assert (empty["files"], empty["ready"]) == (5, 0)
    assert empty["missing"][0].startswith("고향의 봄 (")
    seed_demo_media(paths, demo_config)
    full = library_report(demo_config, cache)
    assert (full["ready"], full["missing"]) == (5, [])
    nothing: list[dict[str, object]] = []
    report = {
        "version": "0",
        "config": {},
        "media": full,
        "cameras": nothing,
        "microphones": nothing,
        "speakers": nothing,
        "network": {},
    }
    assert "media: 5/5 files downloaded and verified" in render(report)


@pytest.mark.allow_warnings
def test_a_refused_configuration_is_named_with_the_one_running_instead(paths: Paths) -> None:
    """The technician reads why the box shows an older configuration than the server's."""
    good = DEMO_CONFIG.read_bytes()
    newer = good.replace(b'"revision": 1', b'"revision": 2')
    write_atomically(paths.config, good)
    first = ConfigTrial(paths.config_trial, paths.last_good_config)
    first.load(paths.config)
    first.passed()
    write_atomically(paths.config, newer)
    for _ in range(MAX_CRASHES + 1):  # every run with revision 2 died
        ConfigTrial(paths.config_trial, paths.last_good_config).load(paths.config)
    config, running = config_report(paths, None)
    assert config["refused_revision"] == 2 and config["revision"] == 1
    assert running is not None and running.revision == 1
    assert config["trial"]["refused"] is True
    assert problem({"config": {**config, "enrolled": True}}) == (
        "configuration revision 2 refused: the kiosk stopped 3 times running it; it runs revision 1"
    )


def test_a_configuration_on_trial_says_how_its_runs_ended(paths: Paths) -> None:
    write_atomically(paths.config, DEMO_CONFIG.read_bytes())
    ConfigTrial(paths.config_trial, paths.last_good_config).load(paths.config)
    trial = config_report(paths, None)[0]["trial"]
    assert trial == {"refused": False, "on_trial": True, "crashes": 0, "proven": False}
