"""``kiosk-provision status``: the whole fleet as a technician reads it, from the
broker's retained statuses and presences and the centres of the last build."""

import datetime as dt
import json
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import msgspec

from kiosk_contract.fleet import BoxStatus, DeviceReport, Presence
from kiosk_provisioning.broker.centres import BuiltCentre
from kiosk_provisioning.broker.session import Message

log = logging.getLogger(__name__)

STATUS_FILTERS = ["fleet/+/status", "fleet/+/presence"]


@dataclass(frozen=True)
class CentreState:
    """One centre's row."""

    district: str
    centre: str
    name: str
    state: str
    """``online``, ``offline`` or ``never connected``."""
    since: int | None
    """Unix seconds the box came online or went offline, when known."""
    version: str = ""
    revision: int | None = None
    built_revision: int | None = None
    """The revision ``build`` last wrote for it (behind: the box has not taken it)."""
    camera: str = ""
    microphone: str = ""
    speaker: str = ""
    screen: str = ""
    last_error: str = ""
    problems: tuple[str, ...] = ()
    """What a technician should look at (empty: nothing)."""
    room: int = 0
    """The meeting room the box said it is in (its last status), 0 when none or when
    the box is not online."""


def device_word(report: DeviceReport) -> str:
    """``ok`` (present and chosen), ``none chosen`` or ``missing``."""
    if report.present == 0:
        return "missing"
    return "ok" if report.chosen else "none chosen"


class UnreadableReportError(ValueError):
    """A status or presence that does not decode; the message says why."""


MAX_REPORT_BYTES = 64_000
"""Largest status or presence read (a status is a few hundred bytes: every text in it is
bounded); larger is refused unread."""


def read_report(topic: str, payload: bytes) -> tuple[str, BoxStatus | Presence] | None:
    """(centre, its status or presence) from a message on ``fleet/<centre>/status`` or
    ``fleet/<centre>/presence``; ``None`` for any other topic or an empty payload (a
    retained message taken away). Raises :class:`UnreadableReportError` for a payload
    too large or that does not decode."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != "fleet" or parts[2] not in ("status", "presence"):
        return None
    if not payload:
        return None
    if len(payload) > MAX_REPORT_BYTES:
        raise UnreadableReportError(f"too large ({len(payload)} bytes)")
    kind: type[BoxStatus | Presence] = BoxStatus if parts[2] == "status" else Presence
    try:
        return parts[1], msgspec.json.decode(payload, type=kind)
    except (msgspec.DecodeError, ValueError) as err:  # ValueError: bad UTF-8
        raise UnreadableReportError(str(err)) from None


def fleet_states(
    messages: Iterable[Message],
    centres: Iterable[BuiltCentre],
    revisions: dict[str, int] | None = None,
) -> list[CentreState]:
    """The rows for the retained *messages* (statuses, presences) and the *centres*
    the fleet knows (those that never reported are ``never connected``); a box that
    reports but is not in the build is listed too. By district, then centre."""
    statuses: dict[str, BoxStatus] = {}
    presences: dict[str, Presence] = {}
    for message in messages:
        try:
            found = read_report(message.topic, message.payload)
        except UnreadableReportError as err:
            log.warning("%s: unreadable (%s)", message.topic, err)
            continue
        if found is None:
            continue
        centre, report = found
        if isinstance(report, BoxStatus):
            statuses[centre] = report
        else:
            presences[centre] = report
    return centre_states(statuses, presences, centres, revisions)


def centre_states(
    statuses: dict[str, BoxStatus],
    presences: dict[str, Presence],
    centres: Iterable[BuiltCentre],
    revisions: dict[str, int] | None = None,
) -> list[CentreState]:
    """The rows for the last *statuses* and *presences* by centre (see
    :func:`fleet_states`). By district, then centre."""
    known = {centre.id: centre for centre in centres}
    revisions = revisions or {}
    rows = [
        _row(
            known.get(cid) or BuiltCentre(cid, "", ""),
            statuses.get(cid),
            presences.get(cid),
            revisions.get(cid),
            cid in known,
        )
        for cid in sorted(set(known) | set(statuses) | set(presences))
    ]
    return sorted(rows, key=lambda row: (row.district, row.centre))


def _row(
    centre: BuiltCentre,
    status: BoxStatus | None,
    presence: Presence | None,
    built: int | None,
    in_fleet: bool,
) -> CentreState:
    problems: list[str] = [] if in_fleet else ["not in the fleet"]
    if status is None and presence is None:
        return CentreState(
            centre.district,
            centre.id,
            centre.name,
            "never connected",
            None,
            built_revision=built,
            problems=("never connected", *problems),
        )
    online = presence.online if presence is not None else True
    if online:
        since = (presence.since if presence else None) or (status.online_since if status else None)
    else:
        # A last will carries no time: the box was last heard of at its last status.
        since = (presence.since if presence else None) or (status.at if status else None)
        problems.append("offline")
    if status is None:
        return CentreState(
            centre.district,
            centre.id,
            centre.name,
            "online" if online else "offline",
            since or None,
            built_revision=built,
            problems=(*problems, "no status"),
        )
    devices = {
        "camera": device_word(status.camera),
        "microphone": device_word(status.microphone),
        "speaker": device_word(status.speaker),
    }
    problems += [f"{kind} {word}" for kind, word in devices.items() if word != "ok"]
    if built is not None and status.revision < built:
        problems.append(f"configuration {status.revision} of {built}")
    if status.config_problem:
        problems.append(f"configuration refused: {status.config_problem}")
    if status.last_error:
        problems.append("error")
    return CentreState(
        centre.district or status.district,
        centre.id,
        centre.name or status.name,
        "online" if online else "offline",
        since or None,
        status.version,
        status.revision,
        built,
        devices["camera"],
        devices["microphone"],
        devices["speaker"],
        status.screen,
        status.last_error,
        tuple(problems),
        status.room if online else 0,
    )


def select(
    rows: list[CentreState], offline: bool, problems: bool, districts: list[str]
) -> list[CentreState]:
    """The rows the filters keep (``--offline``: offline or never connected)."""
    kept = rows
    if districts:
        kept = [row for row in kept if row.district in districts]
    if offline:
        kept = [row for row in kept if row.state != "online"]
    if problems:
        kept = [row for row in kept if row.problems]
    return kept


def _when(seconds: int | None) -> str:
    if not seconds:
        return ""
    return dt.datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M")


_DEVICE_MARK = {"ok": "✓", "none chosen": "?", "missing": "✗", "": "-"}


def render_table(rows: list[CentreState]) -> str:
    """The rows as a plain-text table (devices: ✓ chosen, ? present but none chosen,
    ✗ missing; camera, microphone, speaker)."""
    header = ("읍면동", "centre", "이름", "state", "since", "version", "rev", "c m s", "screen")
    lines = [(*header, "last error")]
    for row in rows:
        revision = "" if row.revision is None else str(row.revision)
        if row.revision is not None and (row.built_revision or 0) > row.revision:
            revision += f"<{row.built_revision}"
        devices = " ".join(_DEVICE_MARK[d] for d in (row.camera, row.microphone, row.speaker))
        lines.append(
            (
                row.district,
                row.centre,
                row.name,
                row.state,
                _when(row.since),
                row.version,
                revision,
                devices,
                row.screen,
                row.last_error,
            )
        )
    widths = [max(_width(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = [
            cell + " " * (width - _width(cell)) for cell, width in zip(line, widths, strict=False)
        ]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(printable(line) for line in out)


def printable(text: str) -> str:
    """*text* with control characters (a box could send terminal escapes in what it
    reports) shown as ``?``."""
    return "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)


def _width(text: str) -> int:
    """Columns *text* takes in a terminal (Hangul takes two)."""
    return sum(2 if "\u1100" <= c <= "\u11ff" or "\uac00" <= c <= "\ud7a3" else 1 for c in text)


def summary(rows: list[CentreState]) -> str:
    online = sum(row.state == "online" for row in rows)
    never = sum(row.state == "never connected" for row in rows)
    trouble = sum(bool(row.problems) for row in rows)
    return (
        f"{len(rows)} centres: {online} online, {len(rows) - online - never} offline, "
        f"{never} never connected; {trouble} with problems"
    )


def render_json(rows: list[CentreState]) -> str:
    return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=1)
