"""The box's configuration in force: the last good one kept, the built-in one as a last
resort. The schema itself is shared with city hall (:mod:`kiosk_contract.config`)."""

from kiosk.config.loading import ConfigSource, LoadedConfig, builtin_config
from kiosk.config.trial import ConfigTrial

__all__ = ["ConfigSource", "ConfigTrial", "LoadedConfig", "builtin_config"]
