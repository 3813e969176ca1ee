"""A centre's configuration: the typed, frozen schema and the parser. Qt-free."""

from kiosk_contract.config.model import (
    SCHEMA_VERSION,
    Centre,
    Display,
    Idle,
    Keys,
    KioskConfig,
    Sync,
    Tile,
    Voice,
)
from kiosk_contract.config.parsing import ConfigError, parse_config, read_config

__all__ = [
    "SCHEMA_VERSION",
    "Centre",
    "ConfigError",
    "Display",
    "Idle",
    "Keys",
    "KioskConfig",
    "Sync",
    "Tile",
    "Voice",
    "parse_config",
    "read_config",
]
