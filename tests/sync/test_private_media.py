"""Videos come from city hall's configuration server too: the box shows its certificate
there as well (the shipped site serves nobody without one)."""

import os
from pathlib import Path

import pytest

from kiosk.identity import client_cert
from kiosk.media.cache import MediaCache
from kiosk.media.downloads import Downloader, Wanted
from tests.media.test_cache import media_of, publish
from tests.sync.conftest import Fleet, make_box


@pytest.mark.allow_warnings  # the stranger's refused download is logged
def test_downloads_present_the_box_certificate(
    fleet: Fleet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = fleet.repo.public / "targets" / "media"
    folder.mkdir(parents=True, exist_ok=True)
    data = os.urandom(200_000)
    media = media_of(data)
    publish(folder, media, data)
    paths = make_box(tmp_path, "media-box")
    fleet.enrol(paths, "namwon-001")
    base = f"{fleet.url}/targets/media"
    stranger = Downloader(MediaCache(tmp_path / "stranger"), base, 10**9)
    refused = stranger.run([Wanted("아리랑", media)])
    assert refused.items_ready == 0 and refused.errors
    assert "403" in caplog.text
    credential = client_cert(paths)
    assert credential is not None
    cache = MediaCache(tmp_path / "cache")
    got = Downloader(cache, base, 10**9, credential=credential).run([Wanted("아리랑", media)])
    assert (got.items_ready, got.errors) == (1, ())
    assert cache.path(media).read_bytes() == data
