"""Full-jitter backoff (kiosk/backoff.py; kept with the calls, its first user)."""

import random

import pytest

from kiosk.backoff import Backoff


class Highest(random.Random):
    """Always the top of the range: the ceilings themselves."""

    def uniform(self, a: float, b: float) -> float:
        return b


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_ceiling_doubles_from_the_first_delay_up_to_the_cap() -> None:
    backoff = Backoff(first=0.25, cap=30, rng=Highest())
    delays = [backoff.next() for _ in range(12)]
    assert delays == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30]


def test_each_delay_is_drawn_from_zero_to_the_ceiling() -> None:
    backoff = Backoff(first=0.25, cap=30, rng=random.Random(7))
    for _ in range(8):
        backoff.next()
    delays = [backoff.next() for _ in range(20_000)]
    assert min(delays) >= 0 and max(delays) <= 30
    assert min(delays) < 0.1 and max(delays) > 29.9  # the whole window, not ±20 %
    assert sum(delays) / len(delays) == pytest.approx(15, abs=0.3)


def test_the_count_starts_over_only_after_a_connection_stayed_up() -> None:
    clock = Clock()
    backoff = Backoff(first=1, cap=30, steady_s=30, rng=Highest(), clock=clock)
    assert [backoff.next() for _ in range(4)] == [1, 2, 4, 8]
    backoff.connected()
    clock.now += 29  # dropped again too soon: the count goes on
    assert backoff.next() == 16
    backoff.connected()
    clock.now += 30
    assert backoff.next() == 1
    assert backoff.next() == 2  # counted from there


def test_a_client_failing_for_weeks_stays_at_the_cap() -> None:
    backoff = Backoff(first=0.25, cap=30, rng=Highest())
    for _ in range(100_000):
        backoff.next()
    assert backoff.next() == 30 and backoff.attempt == 100_001


@pytest.mark.parametrize(
    ("first", "cap", "steady_s"), [(0, 30, 30), (5, 1, 30), (-1, 30, 30), (1, 30, -1)]
)
def test_settings_that_make_no_sense_are_refused(first: float, cap: float, steady_s: float) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(first=first, cap=cap, steady_s=steady_s)
