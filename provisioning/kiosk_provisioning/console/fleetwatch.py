"""The fleet as the broker tells it, kept in memory for the console's pages.

(Skeleton: the interface the pages use. Filled in with a subscription to
``fleet/#`` on city hall's tools listener.)
"""

from pathlib import Path

from kiosk_contract.fleet import Receipt
from kiosk_provisioning.broker.config import BrokerAddress
from kiosk_provisioning.broker.status import CentreState


class FleetWatch:
    """Subscribes to ``fleet/#`` on its own thread; pages read snapshots."""

    def __init__(self, repo: Path, broker: BrokerAddress) -> None:
        self._repo = repo
        self._broker = broker

    def start(self) -> None:
        """Connect in the background (never blocks; reconnects with backoff)."""

    @property
    def connected(self) -> bool:
        return False

    def centres(self) -> list[CentreState]:
        """Every built centre with what its box last reported (offline if nothing)."""
        return []

    def receipts(self, alert_id: str) -> dict[str, Receipt]:
        """Each centre's latest receipt for *alert_id*."""
        return {}

    def close(self) -> None:
        """Stop the thread and disconnect (twice is harmless)."""
