"""Missed calls from city hall: what is kept, what the home screen says, how keys and
presses reach the notice's buttons (no Qt, a fake wall clock)."""

import datetime as dt
import json
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.i18n import Strings
from kiosk.missed import (
    KEEP,
    MissedCallButtons,
    MissedCalls,
    NoticeWords,
    notice_words,
    record_path,
    when_text,
)
from kiosk.navigation import BANNER, MISSED_CALL, MISSED_OK, Navigator, Screen
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.calls import Contact
from tests.unit.test_navigation import FakeClock, make, with_contacts

SEOUL = ZoneInfo("Asia/Seoul")
WELFARE = Contact(
    id="city-hall",
    name="cityhall-welfare",
    label="남원시청 복지과",
    label_en="Namwon City Hall, welfare office",
)
MAYOR = Contact(id="mayor", name="cityhall-mayor", label="시장실", label_en="Mayor's office")


class Wall:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 30, 15, 0, tzinfo=SEOUL)

    def __call__(self) -> dt.datetime:
        return self.now


def at(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return record_path(tmp_path / "state")


def test_when_is_said_plainly() -> None:
    ko, en = Strings("ko"), Strings("en")
    now = at(30, 15, 0)
    assert when_text(ko, at(30, 14, 15), now) == "오늘 오후 2:15"
    assert when_text(ko, at(29, 9, 5), now) == "어제 오전 9:05"
    assert when_text(ko, at(26, 12, 0), now) == "11월 26일 오후 12:00"
    assert when_text(en, at(30, 14, 15), now) == "today 2:15 PM"
    assert when_text(en, at(29, 9, 5), now) == "yesterday 9:05 AM"
    assert when_text(en, at(26, 12, 0), now) == "26 November 12:00 PM"
    # Yesterday by the centre's calendar, not 24 hours: 23:50 then 00:10 now.
    assert when_text(ko, at(29, 23, 50), at(30, 0, 10)) == "어제 오후 11:50"
    # Kept in another zone (UTC), said in the centre's.
    utc = dt.datetime(2026, 11, 30, 5, 15, tzinfo=dt.UTC)
    assert when_text(ko, utc, now) == "오늘 오후 2:15"


def test_a_missed_call_shows_who_and_when(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    assert missed.notice() is None
    missed.missed(WELFARE, at(30, 14, 15))
    notice = missed.notice()
    assert notice is not None
    assert (notice.contact, notice.count) == ("city-hall", 1)
    assert notice_words(Strings("ko"), notice, wall()) == NoticeWords(
        "시청에서 전화했었습니다", "남원시청 복지과 · 오늘 오후 2:15"
    )
    assert notice_words(Strings("en"), notice, wall()) == NoticeWords(
        "City hall called", "Namwon City Hall, welfare office · today 2:15 PM"
    )


def test_several_show_the_newest_with_how_many_times(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    missed.missed(WELFARE, at(29, 10, 0))
    missed.missed(WELFARE, at(30, 14, 15))
    notice = missed.notice()
    assert notice is not None
    words = notice_words(Strings("ko"), notice, wall())
    assert words.detail == "남원시청 복지과 · 오늘 오후 2:15 · 2번"
    words = notice_words(Strings("en"), notice, wall())
    assert words.detail == "Namwon City Hall, welfare office · today 2:15 PM · 2 times"
    # Another contact rings later: theirs shows (once), the welfare office's wait.
    missed.missed(MAYOR, at(30, 14, 40))
    notice = missed.notice()
    assert notice is not None and (notice.contact, notice.count) == ("mayor", 1)
    missed.dismiss()
    notice = missed.notice()
    assert notice is not None and (notice.contact, notice.count) == ("city-hall", 2)
    missed.clear("city-hall")
    assert missed.notice() is None


def test_a_call_that_connects_answers_the_contacts_missed_calls(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    missed.missed(WELFARE, at(30, 9, 0))
    missed.missed(MAYOR, at(30, 10, 0))
    missed.talked(WELFARE)
    assert [call.contact for call in missed.calls()] == ["mayor"]


def test_kept_across_a_restart_and_written_whole(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    missed.missed(WELFARE, at(30, 14, 15))
    missed.missed(WELFARE, at(30, 14, 20))
    assert not list(path.parent.glob("*.tmp")) and not list(path.parent.glob(".*"))
    again = MissedCalls(path, wall)
    assert again.calls() == missed.calls()
    notice = again.notice()
    assert notice is not None and notice.count == 2 and notice.at == at(30, 14, 20)
    again.dismiss()
    assert MissedCalls(path, wall).notice() is None


def test_dropped_after_seven_days(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    missed.missed(WELFARE, at(23, 14, 0))
    missed.missed(MAYOR, at(25, 9, 0))
    changes: list[None] = []
    missed.subscribe(lambda: changes.append(None))
    wall.now = at(23, 14, 0) + KEEP  # exactly a week: still shown
    missed.tick()
    assert len(missed.calls()) == 2
    wall.now += dt.timedelta(seconds=1)
    missed.tick()
    assert [call.contact for call in missed.calls()] == ["mayor"]
    assert changes, "the home screen is told"
    # Dropped on disk too, and at start: a box off for a week shows nothing old.
    assert [row["contact"] for row in json.loads(path.read_text())["calls"]] == ["mayor"]
    wall.now = at(25, 9, 0) + KEEP + dt.timedelta(minutes=1)
    assert MissedCalls(path, wall).notice() is None
    assert json.loads(path.read_text())["calls"] == []


def test_a_new_day_tells_the_home_screen(wall: Wall, path: Path) -> None:
    """ "오늘" becomes "어제" at midnight without anything else happening."""
    missed = MissedCalls(path, wall)
    missed.missed(WELFARE, at(30, 14, 15))
    changes: list[None] = []
    missed.subscribe(lambda: changes.append(None))
    missed.tick()
    assert not changes
    wall.now = at(30, 23, 59) + dt.timedelta(minutes=2)
    missed.tick()
    assert len(changes) == 1
    notice = missed.notice()
    assert notice is not None
    assert notice_words(Strings("ko"), notice, wall()).detail == "남원시청 복지과 · 어제 오후 2:15"


@pytest.mark.allow_warnings
def test_an_unreadable_record_starts_afresh(
    wall: Wall, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with caplog.at_level(logging.ERROR):
        missed = MissedCalls(path, wall)
    assert missed.notice() is None
    assert "unreadable" in caplog.text
    missed.missed(WELFARE, at(30, 14, 15))
    assert MissedCalls(path, wall).notice() is not None


@pytest.mark.allow_warnings
def test_a_full_disk_keeps_them_in_memory(
    wall: Wall, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    missed = MissedCalls(blocked / "missed-calls.json", wall)  # its folder is a file
    with caplog.at_level(logging.ERROR):
        missed.missed(WELFARE, at(30, 14, 15))
    assert "cannot record missed calls" in caplog.text
    assert missed.notice() is not None


def test_the_record_never_grows_without_end(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    start = at(30, 8, 0)
    for n in range(80):
        missed.missed(WELFARE, start + dt.timedelta(minutes=n))
    assert len(missed.calls()) == 50
    assert missed.calls()[0].at == start + dt.timedelta(minutes=30)


# --- the notice's buttons through the navigator ------------------------------------------


class Rig:
    """A navigator on the home screen, the missed calls and their buttons; calls placed
    through the contact opener are listed (it answers with the call screen, or with
    *refuse* the calm "not ready" as the call screens do when the line is down)."""

    def __init__(self, config: KioskConfig, wall: Wall, path: Path) -> None:
        config = with_contacts(config, MAYOR)
        self.clock = FakeClock()
        self.nav: Navigator = make(config, self.clock, calls=config.calls)
        self.missed = MissedCalls(path, wall)
        self.buttons = MissedCallButtons(self.missed, self.nav)
        self.called: list[str] = []
        self.refuse = False
        self.nav.set_contact_opener(self.opener)

    def opener(self, contact: Contact) -> Screen:
        self.called.append(contact.id)
        if self.refuse:
            self.nav.show_not_ready("call_no_server")
            return Screen.NOT_READY
        return Screen.CALL


def test_keys_reach_the_notice_and_enter_calls_back(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    nav = rig.nav
    assert not nav.key("Up"), "no notice: nothing above the tiles"
    rig.missed.missed(WELFARE, at(30, 14, 15))
    assert nav.key("Up") and nav.view.focus == MISSED_CALL
    assert nav.key("Right") and nav.view.focus == MISSED_OK
    assert not nav.key("Right")
    assert nav.key("Left") and nav.view.focus == MISSED_CALL
    assert not nav.key("Up"), "no schedule banner above it"
    assert nav.key("Down") and nav.view.focus == 0
    nav.key("Up")
    assert nav.key("Return")
    assert rig.called == ["city-hall"]
    assert nav.view.screen is Screen.CALL
    assert rig.missed.notice() is not None, "not yet: nobody has answered"
    rig.missed.talked(WELFARE)  # the desk: the call back connected
    assert rig.missed.notice() is None
    assert nav.on_missed is None


def test_the_notice_steps_aside_while_the_schedule_banner_is_up(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    nav = rig.nav
    rig.missed.missed(WELFARE, at(30, 14, 15))
    nav.key("Up")
    assert nav.view.focus == MISSED_CALL and nav.missed_shown
    nav.set_banner(lambda: None)  # a class starts soon
    assert not nav.missed_shown
    assert nav.view.focus == BANNER, "the ring goes where the notice was"
    nav.key("Down")
    assert nav.view.focus == 0
    nav.key("Up")
    assert nav.view.focus == BANNER, "the notice is not in the way"
    assert not nav.press_missed(MISSED_CALL) and not nav.press_missed(MISSED_OK)
    assert rig.called == [] and rig.missed.notice() is not None
    nav.set_banner(None)  # the banner went: the notice is back
    assert nav.missed_shown
    nav.key("Up")
    assert nav.view.focus == MISSED_CALL


def test_ok_puts_it_away_and_the_focus_returns_to_the_tiles(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    nav = rig.nav
    rig.missed.missed(WELFARE, at(30, 14, 15))
    nav.key("Up")
    nav.key("Right")
    assert nav.key("Return")
    assert rig.called == [] and rig.missed.notice() is None
    assert nav.view.screen is Screen.HOME and nav.view.focus == 0
    assert MissedCalls(path, wall).notice() is None


def test_a_call_back_that_cannot_start_keeps_the_notice(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    rig.refuse = True
    rig.missed.missed(WELFARE, at(30, 14, 15))
    assert rig.nav.press_missed(MISSED_CALL)
    assert rig.called == ["city-hall"]
    assert rig.nav.view.screen is Screen.NOT_READY
    assert rig.nav.view.notice == "call_no_server"
    assert rig.missed.notice() is not None, "still to call back"


def test_a_contact_no_longer_configured_cannot_be_called_back(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    gone = Contact(id="gone", name="cityhall-gone", label="없어진 부서")
    rig.missed.missed(gone, at(30, 14, 15))
    assert rig.nav.press_missed(MISSED_CALL)
    assert rig.called == []
    assert rig.nav.view.notice == "call_unavailable"
    assert rig.missed.notice() is not None
    rig.nav.go_home()
    assert rig.nav.press_missed(MISSED_OK)
    assert rig.missed.notice() is None


def test_no_press_while_busy_or_away_from_home(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    rig.missed.missed(WELFARE, at(30, 14, 15))
    rig.nav.show_call()  # a call is up
    assert not rig.nav.press_missed(MISSED_CALL)
    assert not rig.nav.press_missed(MISSED_OK)
    assert rig.called == [] and rig.missed.notice() is not None


def test_closing_the_buttons_takes_the_notice_off_the_ring(
    demo_config: KioskConfig, wall: Wall, path: Path
) -> None:
    rig = Rig(demo_config, wall, path)
    rig.missed.missed(WELFARE, at(30, 14, 15))
    rig.nav.key("Up")
    rig.buttons.close()
    assert rig.nav.on_missed is None and rig.nav.view.focus == 0
    rig.missed.missed(MAYOR, at(30, 14, 30))
    assert rig.nav.on_missed is None


def test_a_time_without_its_zone_is_taken_as_the_boxs_own(wall: Wall, path: Path) -> None:
    missed = MissedCalls(path, wall)
    missed.missed(WELFARE, dt.datetime(2026, 11, 30, 14, 15))
    missed.tick()  # compares with the zoned wall clock: no error
    [call] = MissedCalls(path, wall).calls()
    assert call.at.tzinfo is not None
