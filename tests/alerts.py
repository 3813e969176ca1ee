"""City hall's side of alerts for the box's tests: its signing key, alerts signed with
it (or forged), and a centre's configuration with a fleet channel that trusts it."""

import base64
import time

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_contract.config import KioskConfig
from kiosk_contract.config.fleet import FleetChannel
from kiosk_contract.fleet import Alert, Audience, Level, sign_alert


class AlertDesk:
    """City hall's alert key and its sequence numbers."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.seq = 0

    @property
    def public(self) -> str:
        """The key as a configuration's ``fleet.alert_keys`` names it."""
        return base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def alert(
        self,
        audience: Audience | None = None,
        level: Level = Level.EMERGENCY,
        minutes: float = 60,
        issued: float | None = None,
        **changes: object,
    ) -> Alert:
        """The next alert (a new sequence number), issued now unless *issued*."""
        self.seq += 1
        at = int(time.time() if issued is None else issued)
        fields: dict[str, object] = {
            "id": f"alert-{self.seq}",
            "seq": self.seq,
            "level": level,
            "text": f"태풍 경보 {self.seq}: 밖에 나가지 마세요.",
            "audience": audience or Audience(kind="all"),
            "issued_at": at,
            "expires_at": at + int(minutes * 60),
        }
        fields.update(changes)
        return Alert(**fields)  # type: ignore[arg-type]

    def sign(self, alert: Alert) -> bytes:
        """The envelope city hall publishes."""
        return sign_alert(alert, self.key.sign)


def forged(alert: Alert) -> bytes:
    """*alert* signed by a key that is not city hall's."""
    return sign_alert(alert, Ed25519PrivateKey.generate().sign)


def with_fleet(
    config: KioskConfig,
    broker: str,
    keys: list[str],
    centre: str = "c-1",
    district: str = "운봉읍",
    every_s: int = 120,
) -> KioskConfig:
    """*config* for *centre* in *district*, reporting to *broker* and trusting *keys*."""
    return msgspec.structs.replace(
        config,
        centre=msgspec.structs.replace(config.centre, id=centre, district=district),
        fleet=FleetChannel(broker=broker, alert_keys=keys, status_every_s=every_s),
    )
