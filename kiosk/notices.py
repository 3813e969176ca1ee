"""Today's notices (오늘의 안내): what the list shows, what is read aloud, and which the
senior has not opened yet (the quiet badge on the home tile). Qt-free; GUI thread.

Today's list is the configuration's notices valid on the centre's date, after the
alerts acknowledged but still valid (newest first: they are what city hall said last).
A notice's picture and recording come from the media cache once downloaded and
verified (:mod:`kiosk.media.downloads`); until then it shows without them, and one
without a recording is shown in silence, never as an error.

"Not opened yet" counts the configuration's notices only: an alert was on the whole
screen until someone pressed 확인. Which notices were opened is kept in the state
folder, so the badge does not come back after a restart; a notice whose title or
text changes counts as new.
"""

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.fleet.board import AlertBoard
from kiosk.media.cache import MediaCache
from kiosk.navigation import Navigator, Screen, View
from kiosk.records import Record
from kiosk.voice import VoiceGuide
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.fleet import Notice
from kiosk_contract.config.model import Tile
from kiosk_contract.config.programmes import MediaFile
from kiosk_contract.fleet import Alert, Level

log = logging.getLogger(__name__)

NOTICES_TARGET = "notices"
"""The ``info`` tile target that opens today's notices."""


@dataclass(frozen=True)
class Entry:
    """One row of today's list."""

    key: str
    """What "opened" remembers: ``notice:<id>:<hash of its words>`` or ``alert:<seq>``."""
    title: str
    """A notice's title; empty for an alert (the screen names it by level and time)."""
    text: str
    title_en: str = ""
    text_en: str = ""
    level: Level | None = None
    """An alert's level; ``None`` for a notice."""
    issued_at: int = 0
    """When an alert was issued (Unix seconds); 0 for a notice."""
    picture: Path | bytes | None = None
    """A picture file (downloaded, verified) or an alert's picture bytes."""
    voice: Path | bytes | None = None
    """A recording file (downloaded, verified) or an alert's recording bytes."""


def notice_key(notice: Notice) -> str:
    words = hashlib.sha256(f"{notice.title}\n{notice.text}".encode()).hexdigest()[:12]
    return f"notice:{notice.id}:{words}"


class TodaysNotices:
    """The list for the centre's today, and what has been opened."""

    def __init__(
        self,
        config: KioskConfig,
        board: AlertBoard,
        cache: MediaCache,
        wall: Callable[[], dt.datetime],
        record: Path,
    ) -> None:
        """*wall*: now in the centre's time; *record*: where opened notices are kept."""
        self._notices = list(config.notices)
        self._board = board
        self._cache = cache
        self._wall = wall
        self._record = Record(record, "notices opened", "remembering them in memory")
        self._seen = self._load(record)
        self._day = wall().date()
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe = board.subscribe(self._changed)

    def reconfigure(self, config: KioskConfig) -> None:
        """A new configuration: its notices from now on."""
        self._notices = list(config.notices)
        self._changed()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* whenever the list or what is unopened may have changed;
        returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def tick(self) -> None:
        """About once a second: a new day brings its own notices."""
        day = self._wall().date()
        if day != self._day:
            self._day = day
            self._changed()

    # --- what the screens read -------------------------------------------------------

    def count(self) -> int:
        """How many rows today's list has."""
        return len(self._board.recent()) + len(self._today())

    def entries(self) -> list[Entry]:
        """Today's rows: recent alerts, newest first, then the notices in their order."""
        rows = [self._alert_entry(alert) for alert in self._board.recent()]
        return rows + [self._notice_entry(notice) for notice in self._today()]

    def unseen(self) -> int:
        """How many of today's notices the senior has not opened yet (the badge)."""
        return sum(1 for notice in self._today() if notice_key(notice) not in self._seen)

    def unseen_keys(self) -> set[str]:
        """The keys of today's notices not opened yet (marked "새" in the list)."""
        return {notice_key(n) for n in self._today()} - self._seen

    def opened(self, index: int) -> Entry | None:
        """Row *index* is on screen: it counts as opened from now on. Returns it."""
        rows = self.entries()
        if not 0 <= index < len(rows):
            return None
        entry = rows[index]
        if entry.level is None and entry.key not in self._seen:
            self._seen.add(entry.key)
            self._save()
            self._changed()
        return entry

    # --- internals -------------------------------------------------------------------

    def _today(self) -> list[Notice]:
        day = self._wall().date()
        return [notice for notice in self._notices if notice.shown_on(day)]

    def _notice_entry(self, notice: Notice) -> Entry:
        return Entry(
            notice_key(notice),
            notice.title,
            notice.text,
            notice.title_en,
            notice.text_en,
            picture=self._file(notice.picture),
            voice=self._file(notice.voice),
        )

    @staticmethod
    def _alert_entry(alert: Alert) -> Entry:
        return Entry(
            f"alert:{alert.seq}",
            "",
            alert.text,
            text_en=alert.text_en,
            level=alert.level,
            issued_at=alert.issued_at,
            picture=alert.picture,
            voice=alert.voice,
        )

    def _file(self, media: MediaFile | None) -> Path | None:
        if media is None or not self._cache.ready(media):
            return None
        return self._cache.path(media)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _save(self) -> None:
        # Only notices the configuration still has: the record never grows without end.
        keys = {notice_key(notice) for notice in self._notices}
        self._record.save({"opened": sorted(self._seen & keys)})

    def _load(self, path: Path) -> set[str]:
        try:
            return {str(key) for key in json.loads(path.read_bytes())["opened"]}
        except FileNotFoundError:
            return set()
        except (OSError, ValueError, KeyError, TypeError) as err:
            # The badge shows again for notices already opened: the harmless side.
            log.error("record of notices opened %s unreadable, starting afresh: %s", path, err)
            return set()


class NoticeScreens:
    """Connects today's notices to the navigator (the tile, the list's length) and the
    voice (a notice opened is read aloud; leaving it stops the reading)."""

    def __init__(self, notices: TodaysNotices, navigator: Navigator, voice: VoiceGuide) -> None:
        self.notices = notices
        self._navigator = navigator
        self._voice = voice
        self._reading: int | None = None
        """The row being read, while one is on screen."""
        navigator.notice_count = notices.count
        navigator.set_opener("info", self.open_tile)
        self._unsubscribe = navigator.subscribe(self._on_view)

    def open_tile(self, tile: Tile) -> Screen:
        """Opener for ``info`` tiles: today's notices, or "not available yet" for pages
        not built."""
        return Screen.NOTICES if tile.target == NOTICES_TARGET else Screen.NOT_AVAILABLE

    def close(self) -> None:
        """Stop following the screen. Safe to call twice."""
        self._unsubscribe()
        self._unsubscribe = lambda: None

    def _on_view(self, view: View) -> None:
        if view.screen is Screen.NOTICE:
            if self._reading != view.entry:
                self._reading = view.entry
                entry = self.notices.opened(view.entry)
                self._voice.read(entry.voice if entry is not None else None)
        elif self._reading is not None:
            self._reading = None
            self._voice.quiet()
