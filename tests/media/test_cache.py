"""Downloads against a real nginx: resume, verification, quota, clean-up."""

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.media.cache import MediaCache
from kiosk.media.downloads import Downloader, DownloadWorker, Wanted
from kiosk.media.progress import Progress
from kiosk_contract.config.programmes import MediaFile
from tests.disks import tiny_disk
from tests.webserver import access_log, nginx


def media_of(data: bytes, ext: str = "mp4") -> MediaFile:
    digest = hashlib.sha256(data).hexdigest()
    return MediaFile(file=f"{digest}.{ext}", sha256=digest, size=len(data))


def publish(root: Path, media: MediaFile, data: bytes) -> None:
    (root / f"{media.sha256}.{media.file}").write_bytes(data)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    root, work = tmp_path / "www", tmp_path / "nginx"
    root.mkdir()
    with nginx(root, work) as url:
        yield root, url, work


@pytest.fixture
def cache(tmp_path: Path) -> MediaCache:
    return MediaCache(tmp_path / "cache")


def test_downloads_verify_and_become_ready(
    server: tuple[Path, str, Path], cache: MediaCache
) -> None:
    root, url, _ = server
    data = os.urandom(3_000_000)
    media = media_of(data)
    publish(root, media, data)
    reports: list[Progress] = []
    progress = Downloader(cache, url, 10**9, reports.append).run([Wanted("고향의 봄", media)])
    assert cache.ready(media) and cache.path(media).read_bytes() == data
    assert (progress.items_ready, progress.items_left, progress.errors) == (1, 0, ())
    assert any(r.current == "고향의 봄" and 0 < r.bytes_ready < len(data) for r in reports)


def test_an_interrupted_download_resumes_where_it_stopped(
    server: tuple[Path, str, Path], cache: MediaCache
) -> None:
    root, url, work = server
    data = os.urandom(2_000_000)
    media = media_of(data)
    publish(root, media, data)
    cache.folder.mkdir(parents=True)
    (cache.folder / f"{media.file}.part").write_bytes(data[:1_500_000])
    Downloader(cache, url, 10**9).run([Wanted("t", media)])
    assert cache.ready(media)
    assert any(" 206 body=500000 " in line for line in access_log(work))


@pytest.mark.allow_warnings
def test_tampered_and_truncated_files_are_refused_then_fixed(
    server: tuple[Path, str, Path], cache: MediaCache
) -> None:
    root, url, _ = server
    data = os.urandom(1_000_000)
    media = media_of(data)
    publish(root, media, data[:600_000])  # truncated on the server
    first = Downloader(cache, url, 10**9).run([Wanted("t", media)])
    assert not cache.ready(media) and "cut short" in first.errors[0]
    publish(root, media, b"x" * 400_000 + data[:600_000])  # and now tampered
    second = Downloader(cache, url, 10**9).run([Wanted("t", media)])
    assert not cache.ready(media) and "does not match" in second.errors[0]
    assert not cache.path(media).exists()
    publish(root, media, data)
    assert Downloader(cache, url, 10**9).run([Wanted("t", media)]).errors == ()
    assert cache.ready(media)


@pytest.mark.allow_warnings
def test_quota_old_items_and_an_unreachable_server(
    server: tuple[Path, str, Path], cache: MediaCache
) -> None:
    root, url, _ = server
    small, large, old = os.urandom(1000), os.urandom(5000), os.urandom(700)
    m_small, m_large, m_old = media_of(small), media_of(large), media_of(old)
    for media, data in ((m_small, small), (m_large, large), (m_old, old)):
        publish(root, media, data)
    Downloader(cache, url, 10**9).run([Wanted("old", m_old)])
    assert cache.ready(m_old)
    progress = Downloader(cache, url, 4000).run([Wanted("s", m_small), Wanted("l", m_large)])
    assert cache.ready(m_small) and not cache.ready(m_large)
    assert not cache.path(m_old).exists()
    assert progress.errors == ("l: 저장 공간 한도 초과 / over the storage quota",)
    down = Downloader(cache, "http://127.0.0.1:9", 10**9).run([Wanted("s", m_large)])
    assert "cannot reach the server" in down.errors[0]


def test_a_file_changed_on_disk_is_not_ready_and_is_fetched_again(
    server: tuple[Path, str, Path], cache: MediaCache
) -> None:
    root, url, _ = server
    data = os.urandom(100_000)
    media = media_of(data)
    publish(root, media, data)
    done = threading.Event()
    reports: list[Progress] = []

    def report(progress: Progress) -> None:
        reports.append(progress)
        if progress.items_ready == 1 and not progress.current:
            done.set()

    worker = DownloadWorker(cache, url, 10**9, report)
    worker.start()
    try:
        worker.want([Wanted("t", media)])
        assert done.wait(30)
        cache.path(media).write_bytes(b"corrupt")
        assert not cache.ready(media)
        done.clear()
        worker.redownload(media)
        assert done.wait(30)
        assert cache.ready(media) and cache.path(media).read_bytes() == data
    finally:
        worker.close()


@pytest.mark.allow_warnings
def test_a_full_disk_is_reported_and_nothing_half_is_played(
    server: tuple[Path, str, Path], tmp_path: Path
) -> None:
    root, url, _ = server
    data = os.urandom(1_000_000)
    media = media_of(data)
    publish(root, media, data)
    with tiny_disk(tmp_path / "disk", 512) as disk:
        cache = MediaCache(disk / "media")
        progress = Downloader(cache, url, 10**9).run([Wanted("고향의 봄", media)])
        assert progress.errors == ("고향의 봄: 저장 공간 부족 / disk full",)
        assert not cache.ready(media) and not cache.path(media).exists()
