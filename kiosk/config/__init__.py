"""The kiosk's configuration: model and loading. Qt-free."""

from kiosk.config.loading import (
    ConfigError,
    ConfigSource,
    LoadedConfig,
    builtin_config,
    load_with_fallback,
    parse_config,
    read_config,
)
from kiosk.config.model import (
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

__all__ = [
    "SCHEMA_VERSION",
    "Centre",
    "ConfigError",
    "ConfigSource",
    "Display",
    "Idle",
    "Keys",
    "KioskConfig",
    "LoadedConfig",
    "Sync",
    "Tile",
    "Voice",
    "builtin_config",
    "load_with_fallback",
    "parse_config",
    "read_config",
]
