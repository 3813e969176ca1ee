"""Texts shown to people, from translation files (Korean first, English second).

No widget holds a literal string: it asks :class:`Strings` by key. Both
catalogues carry the same keys (a test checks).
"""

import datetime as dt
import json
from pathlib import Path
from typing import Literal

Language = Literal["ko", "en"]


class Strings:
    """One language's catalogue. Unknown keys raise ``KeyError`` (a bug, caught by tests)."""

    def __init__(self, language: Language) -> None:
        self.language = language
        text = (Path(__file__).parent / f"{language}.json").read_text("utf-8")
        self._texts: dict[str, str] = json.loads(text)

    def __getitem__(self, key: str) -> str:
        return self._texts[key]

    def keys(self) -> set[str]:
        """Every key of the catalogue."""
        return set(self._texts)

    def date(self, moment: dt.datetime) -> str:
        """The date as seniors read it, e.g. ``2026년 11월 25일 수요일``."""
        return self["date_format"].format(
            year=moment.year,
            month=moment.month,
            day=moment.day,
            weekday=self["weekdays"].split(",")[moment.weekday()],
            month_name=self["months"].split(",")[moment.month - 1],
        )

    def time(self, moment: dt.datetime) -> str:
        """The time on a 12-hour clock, e.g. ``오후 4:05``."""
        hour12 = moment.hour % 12 or 12
        ampm = self["am"] if moment.hour < 12 else self["pm"]
        return self["time_format"].format(ampm=ampm, hour12=hour12, minute=moment.minute)
