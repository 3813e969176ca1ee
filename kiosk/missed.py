"""Missed calls: city hall rang and nobody answered ("시청에서 전화했었습니다"). Qt-free;
GUI thread.

The call desk says when a ringing call ended unanswered (the caller gave up, or the
line went while it rang); a call refused with 거절 was answered by someone and is not
missed. The home screen then shows who rang (the contact's label, as the ring screen
showed it) and when, with one press to call back and one to put it away
(:class:`MissedCallButtons` connects both to the navigator).

Several missed calls show as the newest caller's, with how many times that contact
rang. A call that connects with that contact either way (calling back, or their next
call answered) or 확인 clears that contact's missed calls; another contact's then
shows. A call back nobody answers leaves the notice: they have still not talked.
Missed calls are kept in the state folder (written whole), so a restart does not
forget them; after :data:`KEEP` they are dropped.
"""

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.i18n import Strings
from kiosk.navigation import Navigator
from kiosk.records import Record
from kiosk_contract.config.calls import Contact

log = logging.getLogger(__name__)

RECORD_NAME = "missed-calls.json"
"""The record's name in the kiosk's state folder."""
KEEP = dt.timedelta(days=7)
"""How long a missed call stays on the home screen at most."""
MOST = 50
"""Missed calls kept at most (the oldest go first): the record never grows without end."""


@dataclass(frozen=True)
class MissedCall:
    """One call from city hall that rang out."""

    contact: str
    """The contact's id (what calling back calls)."""
    label: str
    """The contact's label when it rang (what the ring screen showed)."""
    label_en: str
    at: dt.datetime
    """When it began to ring (the centre's time, with its zone)."""


@dataclass(frozen=True)
class MissedNotice:
    """What the home screen shows: the newest missed call and how many its contact made."""

    contact: str
    label: str
    label_en: str
    at: dt.datetime
    count: int


def record_path(state: Path) -> Path:
    """Where the missed calls are kept, in the kiosk's state folder *state*."""
    return state / RECORD_NAME


class MissedCalls:
    """The missed calls not yet called back or put away, newest last."""

    def __init__(self, path: Path, wall: Callable[[], dt.datetime]) -> None:
        """*path*: the record (see :func:`record_path`); *wall*: now, in the centre's time."""
        self._wall = wall
        self._record = Record(path, "missed calls", "keeping them in memory")
        self._calls = self._load(path)
        self._day = wall().date()
        self._listeners: list[Callable[[], None]] = []
        if self._expire():
            self._save()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* whenever what the home screen shows may have changed;
        returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- what the call desk says ---------------------------------------------------

    def missed(self, contact: Contact, at: dt.datetime) -> None:
        """*contact* rang from *at* and nobody answered."""
        if at.tzinfo is None:  # a wall clock without its zone: the box's own
            at = at.astimezone()
        log.info("missed a call from %s at %s", contact.id, at.isoformat(timespec="seconds"))
        self._calls.append(MissedCall(contact.id, contact.label, contact.label_en, at))
        self._calls.sort(key=lambda call: call.at)
        del self._calls[:-MOST]
        self._save()
        self._changed()

    def talked(self, contact: Contact) -> None:
        """A call with *contact* connected (either way): their missed calls are answered."""
        self.clear(contact.id)

    # --- what the senior does --------------------------------------------------------

    def clear(self, contact_id: str) -> None:
        """*contact_id*'s missed calls are dealt with (called back, put away)."""
        kept = [call for call in self._calls if call.contact != contact_id]
        if len(kept) == len(self._calls):
            return
        log.info("missed calls from %s cleared", contact_id)
        self._calls = kept
        self._save()
        self._changed()

    def dismiss(self) -> None:
        """확인 on the notice: the shown contact's missed calls are put away."""
        notice = self.notice()
        if notice is not None:
            self.clear(notice.contact)

    # --- what the home screen reads --------------------------------------------------

    def notice(self) -> MissedNotice | None:
        """The newest missed call and how many times its contact rang; ``None``: none."""
        if not self._calls:
            return None
        newest = self._calls[-1]
        count = sum(1 for call in self._calls if call.contact == newest.contact)
        return MissedNotice(newest.contact, newest.label, newest.label_en, newest.at, count)

    def calls(self) -> list[MissedCall]:
        """Every missed call kept, oldest first."""
        return list(self._calls)

    def now(self) -> dt.datetime:
        return self._wall()

    def tick(self) -> None:
        """About once a second: a missed call older than :data:`KEEP` goes; a new day
        changes "오늘" to "어제"."""
        day = self._wall().date()
        expired = self._expire()
        if expired:
            self._save()
        if expired or day != self._day:
            self._day = day
            self._changed()

    # --- internals -------------------------------------------------------------------

    def _expire(self) -> bool:
        oldest = self._wall() - KEEP
        kept = [call for call in self._calls if call.at >= oldest]
        if len(kept) == len(self._calls):
            return False
        log.info(
            "%d missed call(s) older than %d days dropped", len(self._calls) - len(kept), KEEP.days
        )
        self._calls = kept
        return True

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _save(self) -> None:
        self._record.save(
            {
                "calls": [
                    {
                        "contact": call.contact,
                        "label": call.label,
                        "label_en": call.label_en,
                        "at": call.at.isoformat(),
                    }
                    for call in self._calls
                ]
            }
        )

    @staticmethod
    def _load(path: Path) -> list[MissedCall]:
        try:
            rows = json.loads(path.read_bytes())["calls"]
            calls = [
                MissedCall(
                    str(row["contact"]),
                    str(row["label"]),
                    str(row.get("label_en", "")),
                    dt.datetime.fromisoformat(str(row["at"])),
                )
                for row in rows
            ]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("record of missed calls %s unreadable, starting afresh: %s", path, err)
            return []
        if any(call.at.tzinfo is None for call in calls):
            log.error("record of missed calls %s has times without a zone: ignored", path)
            return []
        return sorted(calls, key=lambda call: call.at)


def when_text(strings: Strings, at: dt.datetime, now: dt.datetime) -> str:
    """When a missed call rang, plainly: ``오늘 오후 2:15``, ``어제 오전 9:05``,
    ``11월 26일 오후 3:00`` (in the centre's time zone, *now*'s)."""
    local = at.astimezone(now.tzinfo) if now.tzinfo is not None else at
    time = strings.time(local)
    days = (now.date() - local.date()).days
    if days == 0:
        return strings["missed_today"].format(time=time)
    if days == 1:
        return strings["missed_yesterday"].format(time=time)
    month_name = strings["months"].split(",")[local.month - 1]
    return strings["missed_on"].format(
        month=local.month, month_name=month_name, day=local.day, time=time
    )


@dataclass(frozen=True)
class NoticeWords:
    """The notice's words: its title, and who and when (and how many times)."""

    title: str
    detail: str


def notice_words(strings: Strings, notice: MissedNotice, now: dt.datetime) -> NoticeWords:
    """What the home screen says of *notice* at *now*."""
    who = notice.label_en if strings.language == "en" and notice.label_en else notice.label
    when = when_text(strings, notice.at, now)
    if notice.count > 1:
        detail = strings["missed_detail_many"].format(who=who, when=when, count=notice.count)
    else:
        detail = strings["missed_detail"].format(who=who, when=when)
    return NoticeWords(strings["missed_title"], detail)


class MissedCallButtons:
    """The notice's two buttons, through the navigator (which owns the focus ring and
    refuses a press while something plays or a call is up): 전화하기 calls the contact
    back exactly as the leader's list of contacts does (their missed calls go once the
    call connects: :meth:`MissedCalls.talked`); 확인 puts them away."""

    def __init__(self, missed: MissedCalls, navigator: Navigator) -> None:
        self._missed = missed
        self._navigator = navigator
        self._unsubscribe = missed.subscribe(self._changed)
        self._changed()

    def call_back(self) -> None:
        notice = self._missed.notice()
        if notice is not None:
            self._navigator.call_back(notice.contact)

    def dismiss(self) -> None:
        self._missed.dismiss()

    def close(self) -> None:
        self._unsubscribe()
        self._unsubscribe = lambda: None
        self._navigator.set_missed(None)

    def _changed(self) -> None:
        shown = self._missed.notice() is not None
        self._navigator.set_missed((self.call_back, self.dismiss) if shown else None)
