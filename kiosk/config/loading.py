"""Reading configuration documents, and falling back when one is bad.

A box must keep serving its seniors whatever arrives: a document that fails to
parse or validate is refused whole, and the last good configuration (saved by
this module whenever a document is accepted) stays in force. With no last good
one, the built-in configuration bundled with the package is used.
"""

import enum
import logging
from dataclasses import dataclass
from pathlib import Path

import msgspec

from kiosk_contract.config.model import KioskConfig
from kiosk_contract.config.parsing import ConfigError, parse_config, read_config
from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)


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


def load_with_fallback(wanted: Path, last_good: Path) -> LoadedConfig:
    """Use *wanted* if it is valid (and remember it as last good), else fall back.

    Never raises for bad input: the worst case is the built-in configuration.
    """
    try:
        config = read_config(wanted)
    except ConfigError as err:
        problem = str(err)
        log.error("configuration %s refused: %s", wanted, problem)
    else:
        _remember(config, last_good)
        return LoadedConfig(config, ConfigSource.FILE)
    try:
        config = read_config(last_good)
    except ConfigError as err:
        if last_good.exists():
            log.error("last good configuration %s unusable too: %s", last_good, err)
        log.warning("using the built-in configuration")
        return LoadedConfig(builtin_config(), ConfigSource.BUILTIN, problem)
    log.warning("keeping the last good configuration (revision %d)", config.revision)
    return LoadedConfig(config, ConfigSource.LAST_GOOD, problem)


def _remember(config: KioskConfig, last_good: Path) -> None:
    data = msgspec.json.encode(config)
    try:
        if last_good.exists() and last_good.read_bytes() == data:
            return
        write_atomically(last_good, data)
    except OSError as err:
        # Not fatal: the configuration is valid and in force; only the safety
        # copy is stale (e.g. a full disk). Say so once.
        log.error("could not save the last good configuration to %s: %s", last_good, err)
