import pytest

from kiosk_contract.pin import hash_pin, is_valid_pin, verify_pin


def test_a_hash_verifies_its_pin_only() -> None:
    encoded = hash_pin("2580")
    assert "2580" not in encoded
    assert verify_pin("2580", encoded)
    assert not verify_pin("2581", encoded)
    assert not verify_pin("", encoded)


def test_same_pin_different_salt() -> None:
    assert hash_pin("1234") != hash_pin("1234")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", " 1234", "１２３４"])
def test_only_4_to_8_ascii_digits(pin: str) -> None:
    assert not is_valid_pin(pin)
    with pytest.raises(ValueError):
        hash_pin(pin)


@pytest.mark.parametrize(
    "encoded",
    ["", "1234", "scrypt:16384:8:1:!!:!!", "md5:1:1:1:abc:def", "scrypt:99999999:8:1:AAAA:AAAA"],
)
def test_malformed_hashes_never_match(encoded: str) -> None:
    assert not verify_pin("1234", encoded)
