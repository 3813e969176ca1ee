from kiosk.leader import HOLD_S, LeaderGesture


def test_three_key_presses_within_the_time_open() -> None:
    gesture = LeaderGesture()
    assert not gesture.key(0.0)
    assert not gesture.key(1.0)
    assert gesture.key(2.0)
    # Slow presses (a senior leaning on a key now and then) never add up.
    slow = LeaderGesture()
    assert not any(slow.key(t * HOLD_S) for t in range(10))
