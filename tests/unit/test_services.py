"""The services' one shape: a new configuration reaches every one, closing goes in
reverse, one failing service never stops the others."""

import asyncio

import msgspec
import pytest

from kiosk.services import Services
from kiosk_contract.config import KioskConfig


class Told:
    def __init__(self, name: str, said: list[str], fails: bool = False) -> None:
        self.name, self.said, self.fails = name, said, fails

    def reconfigure(self, config: KioskConfig) -> None:
        if self.fails:
            raise RuntimeError(f"{self.name} cannot")
        self.said.append(f"{self.name} revision {config.revision}")

    async def close(self) -> None:
        self.said.append(f"{self.name} closed")
        if self.fails:
            raise RuntimeError(f"{self.name} stuck")


@pytest.mark.allow_warnings
def test_every_service_hears_the_new_configuration_and_closes_in_reverse(
    demo_config: KioskConfig, caplog: pytest.LogCaptureFixture
) -> None:
    said: list[str] = []
    services = Services()
    media, broken, calls = (
        services.add(Told("media", said)),
        services.add(Told("devices", said, fails=True)),
        services.add(Told("calls", said)),
    )
    assert media in services and broken in services and calls in services
    services.reconfigure(msgspec.structs.replace(demo_config, revision=9))
    assert said == ["media revision 9", "calls revision 9"]
    assert "Told could not take the new configuration" in caplog.text
    said.clear()
    asyncio.run(services.close())
    assert said == ["calls closed", "devices closed", "media closed"]
    asyncio.run(services.close())
    assert said == ["calls closed", "devices closed", "media closed"], "once"
