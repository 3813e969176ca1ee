from kiosk.doctor import library_report, render
from kiosk.media.cache import MediaCache
from kiosk.paths import Paths
from kiosk_contract.config import KioskConfig
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
