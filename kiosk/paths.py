"""Where the kiosk keeps things on disk.

``/etc/kiosk`` holds the box's identity and settings, ``/var/lib/kiosk`` its
state (last good configuration, downloaded media). Both can be moved with
``--etc-dir``/``--state-dir`` or ``KIOSK_ETC_DIR``/``KIOSK_STATE_DIR`` so that
tests and the demo never need root.
"""

import os
from dataclasses import dataclass
from pathlib import Path

_SOURCE_ASSETS = Path(__file__).resolve().parent.parent / "assets"
_INSTALLED_ASSETS = Path("/usr/share/kiosk/assets")


@dataclass(frozen=True)
class Paths:
    """The kiosk's folders."""

    etc: Path
    """Identity and settings (read-only for the kiosk)."""
    state: Path
    """State the kiosk writes: last good configuration, caches."""
    assets: Path
    """Bundled icons, voice prompts and demo files (read-only)."""

    @property
    def config(self) -> Path:
        """The active configuration: written by the sync only after every check passed."""
        return self.state / "active-config.json"

    @property
    def last_good_config(self) -> Path:
        """Copy of the last configuration the kiosk ran well (see :mod:`kiosk.config.trial`)."""
        return self.state / "last-good-config.json"

    @property
    def auto_started(self) -> Path:
        """Which timetable entries already started by themselves (recent days)."""
        return self.state / "auto-started.json"

    @property
    def config_trial(self) -> Path:
        """The configuration on trial, its starts, the refused ones."""
        return self.state / "config-trial.json"

    @property
    def media(self) -> Path:
        """Verified library files (videos, lyrics)."""
        return self.state / "media" / "library"

    @property
    def leader_pin_record(self) -> Path:
        """Wrong leader PIN tries and the end of a lock-out (survives restarts)."""
        return self.state / "leader-pin.json"

    @property
    def alerts_record(self) -> Path:
        """Which alerts came and how far each got (survives restarts; see
        :mod:`kiosk.fleet.board`)."""
        return self.state / "alerts.json"

    @property
    def notices_opened(self) -> Path:
        """Which of today's notices the senior has opened (the home tile's badge)."""
        return self.state / "notices-opened.json"

    @property
    def sounds(self) -> Path:
        """Sounds the box writes to play them: an alert's recording, pauses."""
        return self.state / "sounds"

    def voice_dirs(self, language: str) -> list[Path]:
        """Folders searched for voice prompts: downloaded ones first, then bundled."""
        return [self.state / "media" / "voice", self.assets / "voice" / language]


def default_assets() -> Path:
    """Bundled assets: ``KIOSK_ASSETS_DIR``, the source tree, or the installed copy."""
    if "KIOSK_ASSETS_DIR" in os.environ:
        return Path(os.environ["KIOSK_ASSETS_DIR"])
    return _SOURCE_ASSETS if _SOURCE_ASSETS.is_dir() else _INSTALLED_ASSETS


def resolve_paths(etc_dir: str | None, state_dir: str | None) -> Paths:
    """Command-line values win over the environment, which wins over the defaults."""
    etc = etc_dir or os.environ.get("KIOSK_ETC_DIR") or "/etc/kiosk"
    state = state_dir or os.environ.get("KIOSK_STATE_DIR") or "/var/lib/kiosk"
    return Paths(Path(etc), Path(state), default_assets())
