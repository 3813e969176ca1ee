"""The console's call history, from the call gate's own account of the calls placed
through it (``REPO/calls/attempts.jsonl``, see :class:`kiosk_provisioning.gate.CallBook`).

Why from the gate: a centre's call that nobody answered never reaches any page, and
a browser could POST whatever it likes; the gate knows who placed each call by the
credential it checked (a box's certificate, a staff pass) and saw whether it was
answered. So no page can invent, hide or change a call: pages only read this history.

A missed call (``missed``: a centre's call nobody answered, or city hall's the centre
did not answer; ``failed``: city hall's call the server could not put through, e.g.
the centre's box offline) counts as called back by city hall's next call to that
centre, answered or not, or by that centre's next call that city hall answers
(``called_back`` names it).
"""

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_provisioning.console.database import Database
from kiosk_provisioning.console.models import CallDirection, CallOutcome, CallRecord, Staff
from kiosk_provisioning.gate import attempts_file
from kiosk_provisioning.identity.directory import identity_folder, load_directory

log = logging.getLogger(__name__)

UNANSWERED = (CallOutcome.MISSED, CallOutcome.FAILED)


@dataclass(frozen=True)
class Missed:
    """A missed call not called back yet, as the page lists it."""

    id: int
    centre_id: str
    direction: CallDirection
    outcome: CallOutcome
    started: dt.datetime
    """UTC, aware."""


def _when(unix: object) -> dt.datetime | None:
    if not isinstance(unix, int | float) or isinstance(unix, bool):
        return None
    return dt.datetime.fromtimestamp(unix, dt.UTC).replace(tzinfo=None)


class CallHistory:
    """Brings the gate's new lines into the ``call`` table (:meth:`catch_up`); one per
    console, used from any request thread."""

    def __init__(self, repo: Path, db: Database) -> None:
        self._repo = repo
        self._path = attempts_file(repo)
        self._db = db
        self._offset = 0
        self._lock = threading.Lock()
        self._failing = False

    def catch_up(self) -> None:
        """Import every complete line written since the last call (a line being written
        waits for the next). On a restart the whole file is read again: lines already
        in the table are recognised and skipped."""
        with self._lock:
            try:
                with self._path.open("rb") as source:
                    source.seek(self._offset)
                    data = source.read()
            except FileNotFoundError:
                return  # no call placed yet
            except OSError as err:
                if not self._failing:
                    log.warning("cannot read the call gate's calls at %s: %s", self._path, err)
                self._failing = True
                return
            if self._failing:
                log.info("reading the call gate's calls at %s again", self._path)
                self._failing = False
            complete = data[: data.rfind(b"\n") + 1]
            if not complete:
                return
            names = {
                e.call_name: c
                for c, e in load_directory(identity_folder(self._repo)).centres.items()
            }
            with self._db.session() as session:
                for raw in complete.splitlines():
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        log.warning("call gate's calls: unreadable line skipped")
                        continue
                    if isinstance(line, dict):
                        _import(session, line, names)
            self._offset += len(complete)

    def missed(self, limit: int = 50) -> list[Missed]:
        """Missed calls not called back, newest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(CallRecord)
                .where(CallRecord.outcome.in_(UNANSWERED), CallRecord.called_back.is_(None))
                .order_by(CallRecord.started.desc())
                .limit(limit)
            ).all()
            return [
                Missed(r.id, r.centre_id, r.direction, r.outcome, r.started.replace(tzinfo=dt.UTC))
                for r in rows
            ]


def _import(session: Session, line: dict[str, Any], centres: dict[str, str]) -> None:
    """One gate line as a call record (none for a call that does not involve a centre
    and city hall, e.g. staff calling staff)."""
    started, ended = _when(line.get("started")), _when(line.get("ended"))
    answered = _when(line.get("answered"))
    caller, caller_id = line.get("caller"), str(line.get("caller_id", ""))
    if started is None or ended is None:
        return
    if caller == "box":
        direction, centre = CallDirection.FROM_CENTRE, caller_id
        contact, staff_login = str(line.get("to", "")), _login(line.get("answered_by"))
        outcome = CallOutcome.ANSWERED if answered else CallOutcome.MISSED
    elif caller == "staff" and str(line.get("to", "")) in centres:
        direction, centre = CallDirection.TO_CENTRE, centres[str(line["to"])]
        contact, staff_login = str(line.get("from_name", "")), caller_id
        if answered:
            outcome = CallOutcome.ANSWERED
        else:
            outcome = CallOutcome.FAILED if line.get("problem") else CallOutcome.MISSED
    else:
        return
    contact = contact[:64]
    same = select(CallRecord.id).where(
        CallRecord.direction == direction,
        CallRecord.centre_id == centre,
        CallRecord.contact == contact,
        CallRecord.started == started,
    )
    if session.scalar(same) is not None:
        return  # imported before a restart
    staff_id = (
        session.scalar(select(Staff.id).where(Staff.login == staff_login)) if staff_login else None
    )
    record = CallRecord(
        direction=direction,
        centre_id=centre[:64],
        contact=contact,
        staff_id=staff_id,
        outcome=outcome,
        started=started,
        answered=answered,
        ended=ended,
    )
    session.add(record)
    session.flush()
    earlier = select(CallRecord).where(
        CallRecord.centre_id == centre,
        CallRecord.outcome.in_(UNANSWERED),
        CallRecord.called_back.is_(None),
        CallRecord.started < started,
    )
    if direction == CallDirection.FROM_CENTRE and not answered:
        return  # itself a missed call for staff to return
    # City hall's next call to the centre, or the centre getting through to city hall
    # (the kiosk's 전화하기 on "시청에서 전화했었습니다"), settles every earlier miss.
    for missed in session.scalars(earlier):
        missed.called_back = record.id


def _login(who: object) -> str:
    """The staff login in the gate's ``staff LOGIN`` (empty for anything else)."""
    kind, _, ident = str(who or "").partition(" ")
    return ident if kind == "staff" else ""
