import datetime as dt

import pytest

from kiosk.i18n import Strings


def test_catalogues_have_the_same_keys() -> None:
    assert Strings("ko").keys() == Strings("en").keys()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_lists_have_seven_days_and_twelve_months(language: str) -> None:
    strings = Strings(language)  # type: ignore[arg-type]
    assert len(strings["weekdays"].split(",")) == 7
    assert len(strings["months"].split(",")) == 12


def test_korean_date_and_time_as_seniors_read_them() -> None:
    ko = Strings("ko")
    afternoon = dt.datetime(2026, 11, 25, 16, 5)
    assert ko.date(afternoon) == "2026년 11월 25일 수요일"
    assert ko.time(afternoon) == "오후 4:05"
    assert ko.time(dt.datetime(2026, 11, 25, 0, 30)) == "오전 12:30"
    assert ko.time(dt.datetime(2026, 11, 25, 12, 0)) == "오후 12:00"


def test_english_date_and_time() -> None:
    en = Strings("en")
    moment = dt.datetime(2026, 3, 1, 9, 7)
    assert en.date(moment) == "Sunday 1 March 2026"
    assert en.time(moment) == "9:07 AM"


def test_every_key_has_text() -> None:
    for strings in (Strings("ko"), Strings("en")):
        assert all(strings[key].strip() for key in sorted(strings.keys()))
