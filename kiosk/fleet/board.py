"""The alerts a box has accepted, and how far each got: on screen, acknowledged. Qt-free;
every method runs on the GUI thread (the fleet link hands alerts over with
``call_soon_threadsafe``).

The link verifies an alert (signature, expiry, audience: :func:`kiosk_contract.fleet.open_alert`)
and offers it here; the board refuses what it has already had (a replay) and keeps the
rest until 확인 is pressed or it expires. Which sequence numbers it has had, and how far
each got, survive restarts (``STATE/alerts.json``): an alert acknowledged once is never
shown again, one not yet acknowledged is shown again when the broker sends it after a
restart. An entry is forgotten when its alert expires (at most
:data:`~kiosk_contract.fleet.MAX_ALERT_DAYS` after issue): a replay of it after that is
refused as expired (:func:`~kiosk_contract.fleet.open_alert`), and its receipt is taken
off the broker.
"""

import enum
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.records import Record
from kiosk_contract.fleet import Alert, Level

log = logging.getLogger(__name__)


class AlertPhase(enum.Enum):
    """How far an alert got on this box (the receipt city hall sees)."""

    DELIVERED = "delivered"
    """Accepted, not yet painted."""
    SHOWN = "shown"
    ACKNOWLEDGED = "acknowledged"


_URGENCY = {Level.EMERGENCY: 0, Level.CAUTION: 1, Level.INFO: 2}


@dataclass(frozen=True)
class Known:
    """What the board remembers of one sequence number."""

    alert: str
    seq: int
    expires_at: int
    phase: AlertPhase
    at: int
    """Unix seconds the phase was reached."""


Report = Callable[[Known], None]
"""Sends one receipt to city hall (the fleet link's; thread-safe, never blocks)."""


class AlertBoard:
    """Accepted alerts, the one to show, and their receipts.

    *clock*: Unix seconds (the tests' to fake). *report* may be attached later
    (:meth:`attach`): the link is started after the first frame.
    """

    def __init__(self, record: Path, clock: Callable[[], float] = time.time) -> None:
        self._record = Record(record, "alerts received", "remembering them in memory")
        self._clock = clock
        self._known: dict[int, Known] = {}
        self._alerts: dict[int, Alert] = {}
        """The alert bodies received in this run, by sequence number."""
        self._listeners: list[Callable[[], None]] = []
        self._report: Report | None = None
        self._forget: Report | None = None
        self._load(record)

    # --- the link's side --------------------------------------------------

    def attach(self, report: Report | None, forget: Report | None = None) -> None:
        """Send receipts through *report* from now on, and take an expired alert's
        receipt back through *forget* (``None``: nowhere)."""
        self._report = report
        self._forget = forget

    def receipts(self) -> list[Known]:
        """Every alert's last receipt (the link sends them again on each connect)."""
        return sorted(self._known.values(), key=lambda known: known.seq)

    def offer(self, alert: Alert) -> str | None:
        """Take *alert* (already verified: signed, unexpired, for this centre).

        Returns ``None`` when it is new and will be shown, else why not (for the link's
        one log line): a number another alert had, one acknowledged already, one on screen.
        """
        now = int(self._clock())
        self._forget_expired(now)
        known = self._known.get(alert.seq)
        if known is not None and known.alert != alert.id:
            return f"sequence #{alert.seq} was alert {known.alert}, not {alert.id}"
        if known is not None and known.phase is AlertPhase.ACKNOWLEDGED:
            self._alerts[alert.seq] = alert  # still one of today's notices
            return f"alert {alert.id} (#{alert.seq}) was acknowledged already"
        if alert.seq in self._alerts:
            return f"alert {alert.id} (#{alert.seq}) is here already"
        self._alerts[alert.seq] = alert
        if known is None:
            self._set(Known(alert.id, alert.seq, alert.expires_at, AlertPhase.DELIVERED, now))
        log.info("alert %s (#%d, %s) received", alert.id, alert.seq, alert.level.value)
        self._changed()
        return None

    # --- the screen's side ------------------------------------------------

    @property
    def current(self) -> Alert | None:
        """The alert to show now: the most urgent not acknowledged, oldest first."""
        waiting = self.waiting()
        return waiting[0] if waiting else None

    def waiting(self) -> list[Alert]:
        """Every alert not yet acknowledged, most urgent first."""
        now = self._clock()
        alerts = [
            alert
            for seq, alert in self._alerts.items()
            if self._known[seq].phase is not AlertPhase.ACKNOWLEDGED and alert.expires_at > now
        ]
        return sorted(alerts, key=lambda a: (_URGENCY[a.level], a.seq))

    def recent(self) -> list[Alert]:
        """Alerts acknowledged and still valid, newest first (listed with today's notices)."""
        now = self._clock()
        alerts = [
            alert
            for seq, alert in self._alerts.items()
            if self._known[seq].phase is AlertPhase.ACKNOWLEDGED and alert.expires_at > now
        ]
        return sorted(alerts, key=lambda a: -a.seq)

    def shown(self, alert: Alert) -> None:
        """*alert* was painted on the screen (once is enough)."""
        known = self._known.get(alert.seq)
        if known is not None and known.phase is AlertPhase.DELIVERED:
            self._set(Known(alert.id, alert.seq, alert.expires_at, AlertPhase.SHOWN, self._now()))

    def acknowledge(self, alert: Alert) -> None:
        """확인 was pressed on *alert*: it leaves the screen, and city hall hears so."""
        known = self._known.get(alert.seq)
        if known is None or known.phase is AlertPhase.ACKNOWLEDGED:
            return
        log.info("alert %s (#%d) acknowledged", alert.id, alert.seq)
        phase = AlertPhase.ACKNOWLEDGED
        self._set(Known(alert.id, alert.seq, alert.expires_at, phase, self._now()))
        self._changed()

    def tick(self) -> None:
        """About once a second: an alert that expired leaves the screen."""
        if self._forget_expired(self._now()):
            self._changed()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* whenever :meth:`current` or :meth:`recent` may have changed;
        returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- internals ----------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _set(self, known: Known) -> None:
        """The one place a phase changes: remembered on disk, and reported."""
        self._known[known.seq] = known
        self._save()
        if self._report is not None:
            self._report(known)

    def _forget_expired(self, now: int) -> bool:
        gone = [seq for seq, known in self._known.items() if known.expires_at <= now]
        for seq in gone:
            known = self._known.pop(seq)
            self._alerts.pop(seq, None)
            if self._forget is not None:
                self._forget(known)
        if gone:
            self._save()
        return bool(gone)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _save(self) -> None:
        self._record.save(
            {
                "known": [
                    [k.alert, k.seq, k.expires_at, k.phase.value, k.at]
                    for k in self._known.values()
                ],
            }
        )

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_bytes())
            for alert_id, seq, expires_at, phase, at in data["known"]:
                known = Known(str(alert_id), int(seq), int(expires_at), AlertPhase(phase), int(at))
                self._known[known.seq] = known
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as err:
            # Unreadable: forget it. Still-valid alerts come again from the broker and
            # are shown again, which is the safe side for a warning.
            log.error("alerts record %s unreadable, starting afresh: %s", path, err)
            self._known.clear()
