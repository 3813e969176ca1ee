"""The fleet channel's and today's notices' settings: what they accept and refuse."""

import base64
import datetime as dt
import json
from typing import Any

import pytest

from kiosk_contract.config import parse_config
from tests.unit.config.test_model import document, refuse

KEY = base64.b64encode(bytes(range(32))).decode()
SHORT_KEY = base64.b64encode(bytes(31)).decode()
NOTICE: dict[str, Any] = {
    "id": "flu-shot",
    "title": "독감 예방접종",
    "text": "보건소에서 11월 말까지 무료로 놓아 드립니다.",
    "valid_from": "2026-11-01",
    "valid_to": "2026-11-30",
}


def test_a_channel_and_notices_are_read() -> None:
    doc = document(fleet={"broker": "mqtts://fleet.namwon.go.kr", "alert_keys": [KEY]})
    doc["notices"] = [NOTICE]
    config = parse_config(json.dumps(doc).encode())
    assert config.fleet is not None
    assert (config.fleet.host, config.fleet.port) == ("fleet.namwon.go.kr", 8883)
    assert config.fleet.public_keys() == [bytes(range(32))]
    assert config.notices[0].shown_on(dt.date(2026, 11, 30))
    assert not config.notices[0].shown_on(dt.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("fleet", "field"),
    [
        ({"broker": "mqtt://fleet.example"}, "fleet.broker"),
        ({"broker": "mqtts://fleet.example/x"}, "fleet.broker"),
        ({"broker": "mqtts://fleet.example:99999"}, "fleet.broker"),
        ({"broker": "mqtts://fleet.example:abc"}, "fleet.broker"),
        ({"broker": "mqtts://:8883"}, "fleet.broker"),
        ({"broker": "mqtts://f", "alert_keys": ["short"]}, "fleet.alert_keys"),
        ({"broker": "mqtts://f", "alert_keys": [SHORT_KEY]}, "alert_keys"),
        ({"broker": "mqtts://f", "status_every_s": 5}, "fleet.status_every_s"),
    ],
    ids=[
        "plain-mqtt",
        "path",
        "big-port",
        "word-port",
        "no-host",
        "not-base64",
        "wrong-length",
        "too-often",
    ],
)
def test_a_bad_channel_is_refused_naming_it(fleet: dict[str, Any], field: str) -> None:
    assert field in str(refuse(document(fleet=fleet)))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"valid_to": "2026-10-01"}, "ends"),
        ({"valid_from": "2026-02-30"}, "not a date"),
        ({"title": ""}, "notices[0].title"),
        ({"id": "Not A Slug"}, "notices[0].id"),
    ],
)
def test_a_bad_notice_is_refused_naming_it(changes: dict[str, str], words: str) -> None:
    doc = document()
    doc["notices"] = [{**NOTICE, **changes}]
    assert words in str(refuse(doc))


def test_notice_ids_are_unique() -> None:
    doc = document()
    doc["notices"] = [NOTICE, NOTICE]
    assert "used twice" in str(refuse(doc))


def test_a_district_mqtt_would_split_is_refused() -> None:
    assert "centre.district" in str(refuse(document(**{"centre.district": "향교동/금지면"})))
