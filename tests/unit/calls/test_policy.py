"""The auto-answer policy: only allow-listed contacts, only in opening hours."""

import datetime as dt

import msgspec
import pytest

from kiosk.calls.policy import is_open, on_incoming
from kiosk_contract.config.calls import AutoAnswer, Calls, Contact

WELFARE = Contact(id="welfare", name="cityhall-welfare", label="남원시청 복지과", auto_answer=True)
MAYOR = Contact(id="mayor", name="cityhall-mayor", label="시장실")
CALLS = Calls(
    server="ws://198.18.0.2:8188/",
    contacts=[WELFARE, MAYOR],
    auto_answer=AutoAnswer(after_s=8, days=["mon", "tue", "wed"], opens="09:00", closes="18:00"),
)
KST = dt.timezone(dt.timedelta(hours=9))
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=KST)


def test_allow_listed_contact_in_opening_hours_answers_by_itself() -> None:
    ringing = on_incoming(CALLS, "cityhall-welfare", TUESDAY_10)
    assert ringing.contact == WELFARE
    assert ringing.answer_after_s == 8


def test_contact_not_allow_listed_only_rings() -> None:
    ringing = on_incoming(CALLS, "cityhall-mayor", TUESDAY_10)
    assert ringing.contact == MAYOR
    assert ringing.answer_after_s is None


def test_unknown_caller_is_declined() -> None:
    assert on_incoming(CALLS, "prankster", TUESDAY_10).contact is None


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (dt.datetime(2026, 11, 24, 8, 59, tzinfo=KST), False),
        (dt.datetime(2026, 11, 24, 9, 0, tzinfo=KST), True),
        (dt.datetime(2026, 11, 24, 17, 59, tzinfo=KST), True),
        (dt.datetime(2026, 11, 24, 18, 0, tzinfo=KST), False),
        (dt.datetime(2026, 11, 26, 10, 0, tzinfo=KST), False),  # Thursday: not a listed day
        (dt.datetime(2026, 11, 29, 10, 0, tzinfo=KST), False),  # Sunday
    ],
)
def test_opening_hours(when: dt.datetime, open_: bool) -> None:
    assert is_open(CALLS.auto_answer, when) is open_
    expected = 8 if open_ else None
    assert on_incoming(CALLS, "cityhall-welfare", when).answer_after_s == expected


def test_zero_delay_means_never_by_itself() -> None:
    calls = msgspec.structs.replace(CALLS, auto_answer=AutoAnswer(after_s=0))
    assert on_incoming(calls, "cityhall-welfare", TUESDAY_10).answer_after_s is None


def test_configuration_refuses_duplicate_names_and_backward_hours() -> None:
    with pytest.raises(ValueError, match="contact names"):
        Calls(contacts=[WELFARE, Contact(id="other", name=WELFARE.name, label="x")])
    with pytest.raises(ValueError, match="opens must be before closes"):
        Calls(auto_answer=AutoAnswer(opens="18:00", closes="09:00"))
