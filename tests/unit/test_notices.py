"""Today's notices: which are today's, what is read aloud, and the badge (no Qt)."""

import datetime as dt
import hashlib
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from kiosk.fleet.board import AlertBoard
from kiosk.media.cache import MediaCache
from kiosk.navigation import Navigator, Screen
from kiosk.notices import NoticeScreens, TodaysNotices
from kiosk.voice import VoiceGuide
from kiosk_contract.config import KioskConfig, Voice
from kiosk_contract.config.fleet import Notice
from kiosk_contract.config.programmes import MediaFile
from kiosk_contract.fleet import Level
from tests.alerts import AlertDesk
from tests.conftest import ASSETS
from tests.unit.test_navigation import FakeClock
from tests.unit.test_voice import RecordingPlayer

SEOUL = ZoneInfo("Asia/Seoul")


class Wall:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 23, 59, tzinfo=SEOUL)

    def __call__(self) -> dt.datetime:
        return self.now


def media(folder: Path, name: str, data: bytes) -> tuple[MediaFile, Path]:
    digest = hashlib.sha256(data).hexdigest()
    source = folder / name
    source.write_bytes(data)
    return MediaFile(file=f"{digest}{source.suffix}", sha256=digest, size=len(data)), source


def notice(notice_id: str, first: str, last: str, **more: object) -> Notice:
    return Notice(
        id=notice_id,
        title=f"{notice_id} 제목",
        text=f"{notice_id} 본문",
        valid_from=first,
        valid_to=last,
        **more,  # type: ignore[arg-type]
    )


class Rig:
    def __init__(self, config: KioskConfig, tmp_path: Path, notices: list[Notice]) -> None:
        self.tmp = tmp_path
        self.config = msgspec.structs.replace(config, notices=notices)
        self.wall = Wall()
        self.board = AlertBoard(tmp_path / "alerts.json", lambda: self.wall().timestamp())
        self.cache = MediaCache(tmp_path / "media")
        self.record = tmp_path / "notices-opened.json"
        self.notices = self.make()
        self.desk = AlertDesk()

    def make(self) -> TodaysNotices:
        return TodaysNotices(self.config, self.board, self.cache, self.wall, self.record)

    def titles(self) -> list[str]:
        return [e.title or f"{e.level and e.level.value}:{e.text}" for e in self.notices.entries()]


@pytest.fixture
def rig(demo_config: KioskConfig, tmp_path: Path) -> Rig:
    notices = [
        notice("flu", "2026-11-01", "2026-11-24"),
        notice("lunch", "2026-11-24", "2026-11-24"),
        notice("winter", "2026-11-25", "2026-12-31"),
    ]
    return Rig(demo_config, tmp_path, notices)


def test_todays_notices_follow_the_centres_date(rig: Rig) -> None:
    assert rig.titles() == ["flu 제목", "lunch 제목"]
    assert rig.notices.count() == 2
    changes: list[None] = []
    rig.notices.subscribe(lambda: changes.append(None))
    rig.notices.tick()
    assert changes == []
    rig.wall.now += dt.timedelta(minutes=1)  # midnight in Seoul
    rig.notices.tick()
    assert changes == [None], "a new day is news"
    assert rig.titles() == ["winter 제목"]


def test_acknowledged_alerts_come_first_newest_first_until_they_expire(rig: Rig) -> None:
    rig.wall.now = rig.wall.now.replace(hour=12)
    now = rig.wall().timestamp()
    old = rig.desk.alert(level=Level.CAUTION, issued=now, minutes=10, text="폭우 주의")
    new = rig.desk.alert(level=Level.INFO, issued=now, minutes=60, text="단수 안내")
    for alert in (old, new):
        rig.board.offer(alert)
    assert rig.notices.count() == 2, "not while they wait to be acknowledged"
    rig.board.acknowledge(old)
    rig.board.acknowledge(new)
    assert rig.titles() == ["info:단수 안내", "caution:폭우 주의", "flu 제목", "lunch 제목"]
    entry = rig.notices.entries()[0]
    assert entry.issued_at == new.issued_at and entry.key == "alert:2"
    rig.wall.now += dt.timedelta(minutes=10)
    rig.board.tick()
    assert rig.titles()[0] == "info:단수 안내" and rig.notices.count() == 3


def test_the_badge_counts_notices_not_yet_opened_across_restarts(rig: Rig) -> None:
    assert rig.notices.unseen() == 2
    assert rig.notices.opened(1) is not None
    assert rig.notices.unseen() == 1
    rig.notices = rig.make()  # the kiosk started again
    assert rig.notices.unseen() == 1
    rig.notices.opened(0)
    assert rig.notices.unseen() == 0
    assert rig.notices.opened(5) is None


def test_an_alert_in_the_list_is_no_badge(rig: Rig) -> None:
    """It filled the screen until someone pressed 확인."""
    alert = rig.desk.alert(issued=rig.wall().timestamp())
    rig.board.offer(alert)
    rig.board.acknowledge(alert)
    rig.notices.opened(1)
    rig.notices.opened(2)
    assert rig.notices.unseen() == 0


def test_a_notice_whose_words_change_is_new_again(rig: Rig) -> None:
    rig.notices.opened(0)
    rig.notices.opened(1)
    changed = [msgspec.structs.replace(rig.config.notices[0], text="접종 장소가 바뀌었습니다")]
    rig.notices.reconfigure(msgspec.structs.replace(rig.config, notices=changed))
    assert rig.notices.unseen() == 1


@pytest.mark.allow_warnings
def test_an_unreadable_record_shows_the_badge_again(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.notices.opened(0)
    rig.record.write_text("{not json")
    assert rig.make().unseen() == 2
    assert "unreadable" in caplog.text


def test_pictures_and_recordings_come_from_the_cache_once_verified(
    demo_config: KioskConfig, tmp_path: Path
) -> None:
    picture, picture_source = media(tmp_path, "flu.png", b"\x89PNG picture")
    voice, voice_source = media(tmp_path, "flu.ogg", b"OggS recording")
    rig = Rig(
        demo_config,
        tmp_path,
        [notice("flu", "2026-01-01", "2099-12-31", picture=picture, voice=voice)],
    )
    entry = rig.notices.entries()[0]
    assert entry.picture is None and entry.voice is None, "not downloaded yet: shown without"
    rig.cache.import_file(picture, picture_source)
    rig.cache.import_file(voice, voice_source)
    entry = rig.notices.entries()[0]
    assert entry.picture == rig.cache.path(picture)
    assert isinstance(entry.voice, Path) and entry.voice.read_bytes() == b"OggS recording"


def test_opening_a_notice_reads_it_and_leaving_stops(
    demo_config: KioskConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    voice, source = media(tmp_path, "flu.ogg", b"OggS recording")
    notices = [
        notice("flu", "2026-01-01", "2099-12-31", voice=voice),
        notice("quiet", "2026-01-01", "2099-12-31"),
    ]
    rig = Rig(demo_config, tmp_path, notices)
    rig.cache.import_file(voice, source)
    navigator = Navigator(demo_config.tiles, demo_config.keys, demo_config.idle, FakeClock())
    player = RecordingPlayer()
    guide = VoiceGuide(Voice(volume=70), [ASSETS / "voice" / "ko"], tmp_path / "sounds")
    guide.attach(player)
    NoticeScreens(rig.notices, navigator, guide)
    navigator.key("6")
    assert navigator.view.screen is Screen.NOTICES
    navigator.key("1")
    assert player.played == [(voice.file, 70)]
    assert rig.notices.unseen() == 1
    navigator.key("Down")  # the next notice has no recording: silence, no error
    assert navigator.view.entry == 1 and player.stopped == 1 and len(player.played) == 1
    assert rig.notices.unseen() == 0
    navigator.key("Up")
    assert len(player.played) == 2, "read again when shown again"
    navigator.key("Escape")
    assert player.stopped == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_other_information_tiles_are_not_built_yet(rig: Rig, demo_config: KioskConfig) -> None:
    navigator = Navigator(demo_config.tiles, demo_config.keys, demo_config.idle, FakeClock())
    screens = NoticeScreens(rig.notices, navigator, VoiceGuide(Voice(), []))
    other = msgspec.structs.replace(demo_config.tiles[5], target="weather")
    assert screens.open_tile(other) is Screen.NOT_AVAILABLE
    assert screens.open_tile(demo_config.tiles[5]) is Screen.NOTICES
