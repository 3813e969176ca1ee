"""Plain text to another machine only by a setting that says what it costs."""

import msgspec
import pytest

from kiosk_contract.config import ConfigError, parse_config
from tests.conftest import ASSETS

DEMO = (ASSETS / "demo" / "config.json").read_bytes()


def with_urls(server: str, live: str, allow: bool) -> bytes:
    doc = msgspec.json.decode(DEMO)
    doc["calls"]["server"] = server
    for programme in doc["programmes"]:
        if "live_url" in programme:
            programme["live_url"] = live
    doc["transport"] = {"allow_unencrypted": allow}
    return msgspec.json.encode(doc)


@pytest.mark.parametrize(
    ("server", "live", "field"),
    [
        ("ws://198.18.0.2:8188/", "https://cityhall.example/live.m3u8", "calls.server"),
        ("wss://calls.example/janus", "http://cityhall.example/live.m3u8", "live_url"),
        ("ws://127.0.0.1.nip.io/", "https://cityhall.example/live.m3u8", "calls.server"),
        ("wss://calls.example/janus", "http://127.attacker.example/l.m3u8", "live_url"),
    ],
)
def test_plain_text_to_another_machine_is_refused_unless_allowed(
    server: str, live: str, field: str
) -> None:
    with pytest.raises(ConfigError, match=f"{field}.*not encrypted"):
        parse_config(with_urls(server, live, allow=False))
    assert parse_config(with_urls(server, live, allow=True)).transport.allow_unencrypted


def test_encrypted_or_on_the_box_itself_needs_no_setting() -> None:
    for live in (
        "https://cityhall.example/live.m3u8",
        "http://127.0.0.1:8089/live.m3u8",
        "http://localhost:8089/live.m3u8",
    ):
        config = parse_config(with_urls("wss://calls.example/janus", live, allow=False))
        assert not config.transport.allow_unencrypted


def test_a_plain_download_server_is_refused_too() -> None:
    doc = msgspec.json.decode(with_urls("wss://calls.example/janus", "https://c.example/l", False))
    doc["downloads"] = {"base_url": "http://cityhall.example/media"}
    with pytest.raises(ConfigError, match=r"downloads\.base_url.*not encrypted"):
        parse_config(msgspec.json.encode(doc))
