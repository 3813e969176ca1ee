"""The inventory: a spreadsheet of centres, exported as CSV.

Copes with what real spreadsheets produce (UTF-8 with or without BOM, CRLF,
quoted commas, Hangul everywhere, Korean column names, blank trailing rows) and
refuses what would silently go wrong (duplicate centres or columns, unknown
columns, missing values), naming the line and column of each problem.
"""

import csv
import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk_contract.config import KioskConfig
from kiosk_contract.pin import hash_pin, is_valid_pin, verify_pin
from kiosk_provisioning.problems import Problem, ProvisionError

MAX_INVENTORY_BYTES = 20_000_000


def _text(value: str) -> str:
    return value


def _int(value: str) -> int:
    try:
        return int(value.replace(",", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


_TRUE = {"1", "true", "yes", "y", "on", "예", "네", "o", "사용"}
_FALSE = {"0", "false", "no", "n", "off", "아니오", "아니요", "x", "미사용"}


def _bool(value: str) -> bool:
    folded = value.strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no (예/아니오)")


LEADER_PIN = "leader.pin"
"""Not a configuration field: the build turns it into ``leader.pin_hash``."""
TECHNICIAN_PIN = "technician.pin"
"""Not a configuration field: the build turns it into ``technician.pin_hash``."""
PIN_HASHES = {LEADER_PIN: "leader.pin_hash", TECHNICIAN_PIN: "technician.pin_hash"}
"""Each plain-PIN column and the hash the build publishes instead. PINs are per
centre: only the inventory sets them, never the fleet or a district."""


def _pin(value: str) -> str:
    if not is_valid_pin(value):
        raise ValueError("a PIN is 4 to 8 digits")
    return value


@dataclass(frozen=True)
class Column:
    """One inventory column: its names, where it goes in a configuration, its type."""

    names: tuple[str, ...]
    path: str
    """Dotted configuration path, or '' for the identity columns handled apart."""
    convert: Callable[[str], Any] = _text
    required: bool = False


COLUMNS = (
    Column(("id", "센터id", "코드"), "centre.id", required=True),
    Column(("name", "이름", "경로당", "경로당명"), "centre.name", required=True),
    Column(("district", "읍면동", "지역"), "centre.district", required=True),
    Column(("contact", "연락처"), "centre.contact"),
    Column(("timezone", "시간대"), "centre.timezone"),
    Column(("language", "언어"), "display.language"),
    Column(("show_english", "영어표시"), "display.show_english", _bool),
    Column(("voice", "음성안내"), "voice.enabled", _bool),
    Column(("volume", "음량"), "voice.volume", _int),
    Column(("idle_s", "대기시간"), "idle.return_home_after_s", _int),
    Column(("pin", "비밀번호", "리더pin", "leader_pin", "leader.pin"), LEADER_PIN, _pin),
    Column(
        ("technician_pin", "technician.pin", "기술자pin", "기술자비밀번호"), TECHNICIAN_PIN, _pin
    ),
)
"""Every column the inventory may have (case and spaces do not matter)."""

_BY_NAME = {name: column for column in COLUMNS for name in column.names}


@dataclass(frozen=True)
class CentreRow:
    """One centre of the inventory."""

    line: int
    centre_id: str
    district: str
    settings: dict[str, Any] = field(default_factory=dict)
    """Dotted configuration path -> value, from this row's non-empty cells."""
    columns: dict[str, str] = field(default_factory=dict)
    """Dotted configuration path -> the column header it came from."""


def _normalise(header: str) -> str:
    return "".join(header.split()).casefold()


def read_inventory(path: Path) -> list[CentreRow]:
    """Read *path*; raise :class:`ProvisionError` listing every problem found."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ProvisionError([Problem(str(path), f"cannot read: {err.strerror}")]) from None
    return parse_inventory(data, str(path))


def parse_inventory(data: bytes, source: str) -> list[CentreRow]:
    """Parse CSV bytes; raise :class:`ProvisionError` listing every problem found."""
    if len(data) > MAX_INVENTORY_BYTES:
        raise ProvisionError([Problem(source, f"file is larger than {MAX_INVENTORY_BYTES} bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ProvisionError(
            [Problem(source, "not UTF-8: save the sheet as 'CSV UTF-8'", line=line)]
        ) from None
    if "\0" in text:
        raise ProvisionError([Problem(source, "contains NUL characters: not a CSV file")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if header is None:
            raise ProvisionError([Problem(source, "the file is empty")])
        columns = _columns(header, source, problems)
        rows: list[CentreRow] = []
        seen: dict[str, int] = {}
        first_line = reader.line_num + 1
        for cells in reader:
            line = first_line
            first_line = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank rows that spreadsheets leave at the end
            row = _row(cells, line, columns, len(header), source, problems)
            if row is None:
                continue
            if row.centre_id in seen:
                problems.append(
                    Problem(
                        source,
                        f"centre {row.centre_id!r} is already on line {seen[row.centre_id]}",
                        line=line,
                        field="id",
                    )
                )
                continue
            seen[row.centre_id] = line
            rows.append(row)
    except csv.Error as err:
        problems.append(Problem(source, f"broken CSV: {err}", line=reader.line_num))
    if problems:
        raise ProvisionError(problems)
    if not rows:
        raise ProvisionError([Problem(source, "no centres in the file")])
    return rows


def _columns(header: list[str], source: str, problems: list[Problem]) -> list[Column | None]:
    columns: list[Column | None] = []
    seen: set[str] = set()
    for cell in header:
        column = _BY_NAME.get(_normalise(cell))
        if column is None:
            known = ", ".join(c.names[0] for c in COLUMNS)
            problems.append(Problem(source, f"unknown column (known: {known})", 1, cell))
        elif column.path in seen:
            problems.append(Problem(source, "the same column appears twice", 1, cell))
        else:
            seen.add(column.path)
        columns.append(column)
    for column in COLUMNS:
        if column.required and column.path not in seen:
            problems.append(Problem(source, f"required column {column.names[0]!r} is missing", 1))
    if problems:
        raise ProvisionError(problems)
    return columns


def _row(
    cells: list[str],
    line: int,
    columns: list[Column | None],
    width: int,
    source: str,
    problems: list[Problem],
) -> CentreRow | None:
    if len(cells) != width:
        problems.append(
            Problem(source, f"{len(cells)} cells where the header has {width}", line=line)
        )
        return None
    settings: dict[str, Any] = {}
    names: dict[str, str] = {}
    ok = True
    for column, cell in zip(columns, cells, strict=True):
        assert column is not None
        value = cell.strip()
        if not value:
            if column.required:
                problems.append(Problem(source, "is empty", line, column.names[0]))
                ok = False
            continue
        try:
            settings[column.path] = column.convert(value)
        except ValueError as err:
            problems.append(Problem(source, str(err), line, column.names[0]))
            ok = False
        names[column.path] = column.names[0]
    if ok and LEADER_PIN in settings and settings.get(TECHNICIAN_PIN) == settings[LEADER_PIN]:
        # The keypad opens the leader's screen for it: the diagnostics would be unreachable.
        problems.append(
            Problem(source, "must differ from the leader's PIN", line, names[TECHNICIAN_PIN])
        )
        ok = False
    if not ok:
        return None
    return CentreRow(line, settings["centre.id"], settings["centre.district"], settings, names)


def hash_pins(row: CentreRow, previous: KioskConfig | None) -> CentreRow:
    """*row* with its plain PINs replaced by their salted hashes (``leader.pin`` ->
    ``leader.pin_hash``, ``technician.pin`` -> ``technician.pin_hash``). A hash in
    *previous* (the centre's last build) is kept while it still matches, so an
    unchanged PIN makes no new revision."""
    settings = dict(row.settings)
    columns = dict(row.columns)
    for plain, hashed in PIN_HASHES.items():
        pin = settings.pop(plain, None)
        if pin is None:
            continue
        kept = _previous_hash(previous, hashed)
        settings[hashed] = kept if kept and verify_pin(pin, kept) else hash_pin(pin)
        columns[hashed] = columns.pop(plain)
    return dataclasses.replace(row, settings=settings, columns=columns)


def _previous_hash(previous: KioskConfig | None, hashed: str) -> str | None:
    if previous is None:
        return None
    door = previous.leader if hashed == "leader.pin_hash" else previous.technician
    return door.pin_hash
