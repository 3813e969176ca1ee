"""What the demo box and the demo's stand-in city hall agree on: whether city hall is
up, and where the demo box keeps its state (city hall enrols it there). Qt-free.

The demo's city hall (``python -m kiosk_demo.cityhall``, run as root) lives in a
private network namespace joined to this machine by a veth pair whose near end is
called :data:`DEMO_LINK`. Without it the demo's call server address leads nowhere
(or off the machine), so the demo box sends no packet towards it and says calmly
that calls are unavailable. A real box never asks.
"""

import os
from pathlib import Path

DEMO_LINK = "kch0o"
"""This machine's end of the demo city hall's veth pair (kiosk_demo.network, index 0)."""


def demo_city_hall_up(link: str = DEMO_LINK) -> bool:
    """The demo city hall's link exists and is up."""
    try:
        state = Path(f"/sys/class/net/{link}/operstate").read_text().strip()
    except OSError:
        return False
    return state in ("up", "unknown")


def demo_state_dir() -> Path:
    """Where ``kiosk run --demo`` keeps its state unless told otherwise: the user's
    home, never /var/lib (``KIOSK_STATE_DIR`` wins, as for the box)."""
    if chosen := os.environ.get("KIOSK_STATE_DIR"):
        return Path(chosen)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kiosk-demo"
