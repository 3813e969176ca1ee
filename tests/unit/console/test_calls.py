"""What the console's calls page says about a missed call's time."""

import datetime as dt

from kiosk_provisioning.console.calls import KST, _clock


def test_a_missed_calls_time_reads_as_staff_say_it() -> None:
    now = dt.datetime.now(KST)
    assert _clock(now.astimezone(dt.UTC)) == now.strftime("%H:%M")
    earlier = dt.datetime(2025, 11, 9, 5, 3, tzinfo=dt.UTC)  # 14:03 in Korea
    assert _clock(earlier) == "11월 9일 14:03"
