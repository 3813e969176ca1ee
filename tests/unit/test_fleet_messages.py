"""The fleet channel's shared messages: an alert is shown only when city hall signed it,
unchanged, and it has not expired."""

import base64

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_contract.fleet import (
    MAX_ALERT_BYTES,
    MAX_PICTURE_BYTES,
    MAX_VOICE_BYTES,
    Alert,
    AlertRefusedError,
    Audience,
    Envelope,
    Level,
    alert_subscriptions,
    open_alert,
    receipt_topic,
    sign_alert,
    status_topic,
)

NOW = 1_800_000_000
CITY_HALL = Ed25519PrivateKey.generate()
KEY = CITY_HALL.public_key().public_bytes_raw()


def alert(**changes: object) -> Alert:
    fields: dict[str, object] = {
        "id": "typhoon-1",
        "seq": 7,
        "level": Level.EMERGENCY,
        "text": "태풍이 옵니다. 밖에 나가지 마세요.",
        "audience": Audience(kind="all"),
        "issued_at": NOW,
        "expires_at": NOW + 3600,
    }
    fields.update(changes)
    return Alert(**fields)  # type: ignore[arg-type]


def test_the_largest_recording_and_picture_fit_in_one_message() -> None:
    sent = alert(voice=bytes(MAX_VOICE_BYTES), picture=bytes(MAX_PICTURE_BYTES), text="가" * 300)
    payload = sign_alert(sent, CITY_HALL.sign)
    assert len(payload) <= MAX_ALERT_BYTES
    assert open_alert(payload, [KEY], NOW) == sent


def test_a_genuine_alert_opens_as_signed() -> None:
    sent = alert(voice=b"OggS" + bytes(100), picture=b"\x89PNG" + bytes(50))
    assert open_alert(sign_alert(sent, CITY_HALL.sign), [KEY], NOW + 10) == sent


def test_any_of_the_configured_keys_will_do() -> None:
    old = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert open_alert(sign_alert(alert(), CITY_HALL.sign), [old, KEY], NOW).id == "typhoon-1"


def test_another_key_is_refused() -> None:
    forger = Ed25519PrivateKey.generate()
    with pytest.raises(AlertRefusedError, match="signature"):
        open_alert(sign_alert(alert(), forger.sign), [KEY], NOW)


def test_a_changed_alert_is_refused() -> None:
    envelope = msgspec.json.decode(sign_alert(alert(), CITY_HALL.sign), type=Envelope)
    body = envelope.alert.replace("밖에 나가지 마세요", "모두 밖으로 나가세요")
    tampered = msgspec.json.encode(Envelope(body, envelope.signature))
    with pytest.raises(AlertRefusedError, match="signature"):
        open_alert(tampered, [KEY], NOW)


def test_no_key_configured_refuses_everything() -> None:
    with pytest.raises(AlertRefusedError, match="no alert key"):
        open_alert(sign_alert(alert(), CITY_HALL.sign), [], NOW)


def test_expired_and_future_alerts_are_refused() -> None:
    payload = sign_alert(alert(), CITY_HALL.sign)
    with pytest.raises(AlertRefusedError, match="expired"):
        open_alert(payload, [KEY], NOW + 3600)
    with pytest.raises(AlertRefusedError, match="future"):
        open_alert(payload, [KEY], NOW - 3600)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"{}",
        b'{"alert": 1, "signature": 2}',
        b"[" * 10_000,
        b'{"alert": "\xff", "signature": ""}',
    ],
    ids=["empty", "text", "empty-object", "wrong-types", "deep", "bad-utf8"],
)
def test_malformed_envelopes_are_refused(payload: bytes) -> None:
    with pytest.raises(AlertRefusedError):
        open_alert(payload, [KEY], NOW)


def test_a_signed_but_malformed_alert_is_refused() -> None:
    body = '{"id": "x", "seq": 0}'
    payload = msgspec.json.encode(Envelope(body, CITY_HALL.sign(body.encode())))
    with pytest.raises(AlertRefusedError, match="malformed"):
        open_alert(payload, [KEY], NOW)


def test_an_oversized_payload_is_refused_unread() -> None:
    with pytest.raises(AlertRefusedError, match="too large"):
        open_alert(b" " * (MAX_ALERT_BYTES + 1), [KEY], NOW)


def test_an_alert_lasts_at_most_a_week() -> None:
    with pytest.raises(ValueError, match="7 days"):
        alert(expires_at=NOW + 8 * 86_400)


def test_audiences() -> None:
    assert Audience(kind="all").includes("namwon-001", "")
    district = Audience(kind="district", names=["향교동"])
    assert district.includes("namwon-001", "향교동")
    assert not district.includes("namwon-001", "금지면")
    assert not district.includes("namwon-001", "")
    centres = Audience(kind="centres", names=["namwon-002"])
    assert not centres.includes("namwon-001", "향교동")
    assert centres.includes("namwon-002", "")


def test_topics_refuse_names_mqtt_would_split() -> None:
    assert status_topic("namwon-001") == "fleet/namwon-001/status"
    assert receipt_topic("namwon-001", "typhoon-1") == "fleet/namwon-001/receipts/typhoon-1"
    assert "alerts/district/향교동/+" in alert_subscriptions("namwon-001", "향교동")
    for bad in ["a/b", "+", "#", ""]:
        with pytest.raises(ValueError):
            alert(audience=Audience(kind="district", names=[bad])).topics()


def test_signature_is_base64_in_the_wire_format() -> None:
    wire = msgspec.json.decode(sign_alert(alert(), CITY_HALL.sign))
    assert len(base64.b64decode(wire["signature"])) == 64
