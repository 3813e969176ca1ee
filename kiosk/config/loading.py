"""The configuration in force and where it came from; the built-in one.

A box must keep serving its seniors whatever arrives: a document that fails to
parse or validate is refused whole, and the last good configuration stays in
force (see :mod:`kiosk.config.trial`, which also decides when a configuration has
proved itself good). With no last good one, the built-in configuration bundled
with the package is used.
"""

import enum
from dataclasses import dataclass
from pathlib import Path

from kiosk_contract.config.model import KioskConfig
from kiosk_contract.config.parsing import parse_config


def builtin_config() -> KioskConfig:
    """The configuration shipped inside the package: used when nothing else is good."""
    return parse_config((Path(__file__).parent / "builtin.json").read_bytes())


class ConfigSource(enum.Enum):
    """Where the configuration in force came from."""

    FILE = "file"
    LAST_GOOD = "last_good"
    BUILTIN = "builtin"


@dataclass(frozen=True)
class LoadedConfig:
    """The configuration in force, where it came from, and why anything was refused."""

    config: KioskConfig
    source: ConfigSource
    problem: str | None = None
    """Plain-language reason the wanted document was refused, for technicians."""
