"""Building one configuration per centre from fleet defaults and overrides.

A fleet folder holds ``fleet.json`` (defaults for every centre),
``districts/<district>.json`` (overrides per district) and optionally
``centres/<id>.json`` (overrides per centre); the inventory adds each centre's
identity, spreadsheet settings and PINs last (a PIN in ``fleet.json`` or a district
file is refused: PINs are per centre). Objects merge key by key; lists (tiles,
key lists) are replaced whole, except ``notices``: each layer adds its own. Every
result is validated with the kiosk's own schema, and each error is traced back to the
file (or CSV line) that set it.
"""

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_contract.config import ConfigError, KioskConfig, parse_config
from kiosk_provisioning.inventory import PIN_HASHES, CentreRow, hash_pins
from kiosk_provisioning.media import Published
from kiosk_provisioning.problems import Problem, ProvisionError
from kiosk_provisioning.references import dangling

MAX_FLEET_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Layer:
    """One source of settings and where it came from."""

    source: str
    values: dict[str, Any]
    line: int | None = None


@dataclass(frozen=True)
class Fleet:
    """The parsed fleet folder."""

    defaults: Layer
    districts: dict[str, Layer]
    centres: dict[str, Layer]


def read_fleet(folder: Path) -> Fleet:
    """Read a fleet folder; raise :class:`ProvisionError` listing every problem."""
    problems: list[Problem] = []
    defaults = _read_layer(folder / "fleet.json", folder, problems)
    districts = {
        path.stem: layer
        for path in sorted((folder / "districts").glob("*.json"))
        if (layer := _read_layer(path, folder, problems)) is not None
    }
    for shared in [defaults, *districts.values()]:
        if shared is not None:
            problems.extend(_shared_pins(shared))
    centres = {
        path.stem: layer
        for path in sorted((folder / "centres").glob("*.json"))
        if (layer := _read_layer(path, folder, problems)) is not None
    }
    if problems or defaults is None:
        raise ProvisionError(problems)
    return Fleet(defaults, districts, centres)


def _shared_pins(layer: Layer) -> list[Problem]:
    """A PIN hash in a file many centres share would open every one of their boxes
    (and one leaked configuration would give it away): PINs are per centre."""
    return [
        Problem(layer.source, "PINs are per centre: put them in the inventory", field=hashed)
        for hashed in PIN_HASHES.values()
        if _get(layer.values, hashed) is not None
    ]


def _get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _read_layer(path: Path, folder: Path, problems: list[Problem]) -> Layer | None:
    source = (
        str(path.relative_to(folder.parent)) if path.is_relative_to(folder.parent) else str(path)
    )
    try:
        with path.open("rb") as src:
            data = src.read(MAX_FLEET_FILE_BYTES + 1)
    except OSError as err:
        problems.append(Problem(source, f"cannot read: {err.strerror}"))
        return None
    if len(data) > MAX_FLEET_FILE_BYTES:
        problems.append(Problem(source, f"larger than {MAX_FLEET_FILE_BYTES} bytes"))
        return None
    try:
        values = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        problems.append(Problem(source, f"not valid JSON ({err})"))
        return None
    if not isinstance(values, dict):
        problems.append(Problem(source, "must hold a JSON object"))
        return None
    return Layer(source, values)


def build_centre(
    fleet: Fleet,
    row: CentreRow,
    inventory: str,
    previous: KioskConfig | None = None,
    alert_key: Callable[[], str] | None = None,
    media: dict[str, Published] | None = None,
) -> tuple[dict[str, Any], KioskConfig]:
    """The merged document for one inventory row and its validated configuration.

    The row's plain PINs become salted hashes (:func:`hash_pins`); *previous*, the
    centre's last build, keeps a hash that still matches its PIN. Notices of every
    layer apply (one id twice is refused, naming both files). A centre with a
    ``fleet`` section gets city hall's alert key (*alert_key*: its public half, base64)
    first in ``fleet.alert_keys``. Every tile, timetable entry and programme must point
    at something that exists, and every media file at one of *media* (the repository's
    files; ``None``: not checked): see :mod:`kiosk_provisioning.references`."""
    row = hash_pins(row, previous)
    layers = [fleet.defaults]
    district = fleet.districts.get(row.district)
    if fleet.districts and district is None:
        known = ", ".join(sorted(fleet.districts))
        raise ProvisionError(
            [
                Problem(
                    inventory,
                    f"unknown district {row.district!r} (known: {known})",
                    row.line,
                    "district",
                )
            ]
        )
    if district is not None:
        layers.append(district)
    if row.centre_id in fleet.centres:
        layers.append(fleet.centres[row.centre_id])
    layers.append(Layer(inventory, _nest(row.settings), row.line))

    document: dict[str, Any] = {}
    origin: dict[str, Layer] = {}
    for layer in layers:
        _merge(document, layer.values, layer, origin, "")
    notices, notice_layers = _notices(layers)
    if notices:
        document["notices"] = notices
    fleet_section = document.get("fleet")
    if alert_key is not None and isinstance(fleet_section, dict):
        keys = fleet_section.get("alert_keys")
        listed = keys if isinstance(keys, list) else []
        fleet_section["alert_keys"] = [alert_key(), *(k for k in listed if k != alert_key())]

    def layer_of(field: str) -> Layer:
        numbered = re.match(r"notices\[(\d+)\]", field)
        if numbered and int(numbered.group(1)) < len(notice_layers):
            return notice_layers[int(numbered.group(1))]
        return _origin_of(field, origin) or layers[0]

    def problem(field: str, message: str) -> Problem:
        layer = layer_of(field)
        column = row.columns.get(field, "") if layer.line else ""
        # A shared file's mistake breaks many centres: say which.
        centres = (row.centre_id,) if layer.line is None else ()
        return Problem(layer.source, message, layer.line, column or field, centres)

    missing = dangling(document, media)
    if missing:
        raise ProvisionError([problem(p.field, p.message) for p in missing])
    try:
        config = parse_config(json.dumps(document, ensure_ascii=False).encode())
    except ConfigError as err:
        raise ProvisionError([problem(err.field, err.reason)]) from None
    floors = [room.id for room in config.calls.rooms if room.floor]
    if floors and config.fleet is None:
        # 말하기 sends the hand on the fleet channel, and the floor comes back on it:
        # without one the screen would say the hand is up while it went nowhere.
        message = (
            f"room {floors[0]!r} has a floor (floor: true), which needs the fleet "
            "channel (a fleet section): hands and floors travel on it"
        )
        raise ProvisionError([problem("calls.rooms", message)])
    return document, config


def _notices(layers: list[Layer]) -> tuple[list[Any], list[Layer]]:
    """Every layer's notices, in order (each layer adds to those before it, unlike
    other lists), and the layer each came from; one id in two files is refused."""
    notices: list[Any] = []
    owners: list[Layer] = []
    seen: dict[str, Layer] = {}
    problems: list[Problem] = []
    for layer in layers:
        listed = layer.values.get("notices")
        if not isinstance(listed, list):
            continue
        for notice in listed:
            notice_id = notice.get("id") if isinstance(notice, dict) else None
            if isinstance(notice_id, str) and notice_id in seen:
                first = seen[notice_id]
                message = f"notice {notice_id!r} is also in {first.source}"
                if first is layer:
                    message = f"notice {notice_id!r} is listed twice"
                problems.append(Problem(layer.source, message, layer.line, "notices"))
            elif isinstance(notice_id, str):
                seen[notice_id] = layer
            notices.append(copy.deepcopy(notice))
            owners.append(layer)
    if problems:
        raise ProvisionError(problems)
    return notices, owners


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = nested
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


def _merge(
    into: dict[str, Any],
    values: dict[str, Any],
    layer: Layer,
    origin: dict[str, Layer],
    prefix: str,
) -> None:
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, layer, origin, path + ".")
        else:
            # A copy: later layers merge into it and must not reach back into this
            # layer, which every other centre shares.
            into[key] = copy.deepcopy(value)
            origin[path] = layer


def _origin_of(field: str, origin: dict[str, Layer]) -> Layer | None:
    """The layer that set *field* (``tiles[2].colour`` -> ``tiles``), a parent of
    it, or else the last layer that set anything inside it."""
    path = field.split("[")[0]
    while path:
        if path in origin:
            return origin[path]
        path = path.rpartition(".")[0]
    prefix = field.split("[")[0] + "."
    inside = [layer for key, layer in origin.items() if field and key.startswith(prefix)]
    return inside[-1] if inside else None
