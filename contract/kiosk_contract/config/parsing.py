"""Reading a centre's configuration document: parsed and validated whole, or refused
with the field named. Both ends use it: city hall before it signs, the box before it
applies."""

from pathlib import Path

import msgspec

from kiosk_contract.config.model import SCHEMA_VERSION, KioskConfig

MAX_DOCUMENT_BYTES = 1_000_000
"""A configuration is a few kilobytes; anything this large is refused unread."""


class ConfigError(ValueError):
    """A document was refused. ``field`` names the offending setting ('' if none)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message


class _Header(msgspec.Struct):
    schema_version: int


def parse_config(data: bytes) -> KioskConfig:
    """Parse and validate one JSON document; raise :class:`ConfigError` naming the field."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ConfigError(f"document is {len(data)} bytes, more than {MAX_DOCUMENT_BYTES}")
    try:
        header = msgspec.json.decode(data, type=_Header)
    except msgspec.ValidationError as err:
        raise _named(err) from None
    except msgspec.DecodeError as err:
        raise ConfigError(f"not valid JSON ({err})") from None
    if header.schema_version != SCHEMA_VERSION:
        raise ConfigError(
            f"version {header.schema_version} is not {SCHEMA_VERSION}, "
            "the one this kiosk understands",
            "schema_version",
        )
    try:
        return msgspec.json.decode(data, type=KioskConfig)
    except msgspec.ValidationError as err:
        raise _named(err) from None


def _named(err: msgspec.ValidationError) -> ConfigError:
    # msgspec says "<reason> - at `$.tiles[0].colour`"; technicians want the
    # field first, without the JSONPath sigil.
    message, _, where = str(err).rpartition(" - at `")
    if not message:
        return ConfigError(str(err))
    return ConfigError(message, where.rstrip("`").removeprefix("$.").removeprefix("$"))


def read_document(path: Path) -> bytes:
    """The bytes of the document at *path* (no more than one byte past the limit, which
    :func:`parse_config` then refuses); ``ConfigError`` for a missing or unreadable file."""
    try:
        with path.open("rb") as src:
            return src.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}") from None


def read_config(path: Path) -> KioskConfig:
    """Read and parse *path*; ``ConfigError`` for a missing, unreadable or bad file."""
    return parse_config(read_document(path))
