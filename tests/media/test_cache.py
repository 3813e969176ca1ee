"""Downloads against a real nginx: resume, verification, quota, clean-up."""

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
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


class Direct:
    """Hands back on the calling thread (the reports here only record and signal)."""

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> None:
        callback(*args)


class WatchedCache(MediaCache):
    """Records which thread writes to the cache."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.writers: set[str] = set()

    def admit(self, media: MediaFile, digest: str) -> None:
        self.writers.add(threading.current_thread().name)
        super().admit(media, digest)

    def forget(self, media: MediaFile) -> None:
        self.writers.add(threading.current_thread().name)
        super().forget(media)


class Reports:
    """Progress reports, and a way to wait for one that says *n* files are ready."""

    def __init__(self) -> None:
        self.seen: list[Progress] = []
        self._changed = threading.Condition()

    def __call__(self, progress: Progress) -> None:
        with self._changed:
            self.seen.append(progress)
            self._changed.notify_all()

    def wait_ready(self, n: int, after: int = 0) -> Progress:
        return self.wait(lambda p: p.items_ready == n and not p.current, after)

    def wait(self, wanted: Callable[[Progress], bool], after: int = 0) -> Progress:
        def found() -> Progress | None:
            return next((p for p in self.seen[after:] if wanted(p)), None)

        with self._changed:
            assert self._changed.wait_for(lambda: found() is not None, 30), self.seen[-3:]
            made = found()
            assert made is not None
            return made


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
    reports = Reports()
    worker = DownloadWorker(cache, url, 10**9, reports, Direct())
    worker.start()
    try:
        worker.want([Wanted("t", media)])
        reports.wait_ready(1)
        cache.path(media).write_bytes(b"corrupt")
        assert not cache.ready(media)
        seen = len(reports.seen)
        worker.redownload(media)
        reports.wait_ready(1, after=seen + 1)
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


def test_a_file_that_failed_to_play_is_deleted_and_fetched_again_by_the_download_thread(
    server: tuple[Path, str, Path], tmp_path: Path
) -> None:
    root, url, _ = server
    data = os.urandom(200_000)
    media = media_of(data)
    publish(root, media, data)
    cache, reports = WatchedCache(tmp_path / "cache"), Reports()
    worker = DownloadWorker(cache, url, 10**9, reports, Direct())
    worker.start()
    try:
        worker.want([Wanted("t", media)])
        reports.wait_ready(1)
        mtime = cache.path(media).stat().st_mtime_ns
        seen = len(reports.seen)
        worker.redownload(media, bad=True)  # what playback does with a file it cannot play
        reports.wait_ready(1, after=seen + 1)
        assert cache.ready(media) and cache.path(media).stat().st_mtime_ns != mtime
        assert cache.writers == {"kiosk-downloads"}, "one writer: the download thread"
    finally:
        worker.close()


@pytest.mark.allow_warnings
def test_a_new_server_address_and_quota_take_effect_without_a_restart(
    tmp_path: Path, cache: MediaCache
) -> None:
    small, large = os.urandom(1_000), os.urandom(50_000)
    m_small, m_large = media_of(small), media_of(large, "mp3")
    first_root, second_root = tmp_path / "first", tmp_path / "second"
    first_root.mkdir()
    second_root.mkdir()
    publish(second_root, m_small, small)
    publish(second_root, m_large, large)
    reports = Reports()
    with (
        nginx(first_root, tmp_path / "n1") as first,
        nginx(second_root, tmp_path / "n2") as second,
    ):
        worker = DownloadWorker(cache, first, 10**9, reports, Direct(), retry_s=3600)
        worker.start()
        try:
            worker.want([Wanted("s", m_small), Wanted("l", m_large)])
            assert reports.wait(lambda p: len(p.errors) == 2), "the first has none of them"
            worker.reconfigure(second, 10_000)
            within_quota = reports.wait_ready(1, after=len(reports.seen))
            assert cache.ready(m_small) and not cache.ready(m_large)
            assert within_quota.errors == ("l: 저장 공간 한도 초과 / over the storage quota",)
            worker.reconfigure(second, 10**9)
            reports.wait_ready(2, after=len(reports.seen))
            assert cache.ready(m_large)
            assert access_log(tmp_path / "n2"), "fetched from the new address"
        finally:
            worker.close()


def test_without_a_server_the_bundled_files_are_taken_in_by_the_download_thread(
    tmp_path: Path,
) -> None:
    """The demo: no server, its videos bundled in a folder under any name."""
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    data = os.urandom(10_000)
    media = media_of(data)
    (bundled / "exercise.mp4").write_bytes(data)
    cache, reports = WatchedCache(tmp_path / "cache"), Reports()
    worker = DownloadWorker(cache, None, 10**9, reports, Direct(), seed=bundled)
    worker.start()
    try:
        missing = media_of(b"never bundled")
        worker.want([Wanted("t", media), Wanted("m", missing)])
        reports.wait_ready(1)
        assert cache.ready(media) and not cache.ready(missing)
        assert cache.writers == {"kiosk-downloads"}
    finally:
        worker.close()
