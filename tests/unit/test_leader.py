from kiosk.leader import HOLD_S, LeaderGesture


def test_holding_the_corner_long_enough_opens_once() -> None:
    gesture = LeaderGesture()
    gesture.corner_down(10.0)
    assert not gesture.held(10.0 + HOLD_S - 0.1)
    assert gesture.held(10.0 + HOLD_S)
    assert not gesture.held(10.0 + HOLD_S + 1)


def test_letting_go_early_cancels() -> None:
    gesture = LeaderGesture()
    gesture.corner_down(0.0)
    gesture.corner_up()
    assert not gesture.held(HOLD_S * 2)


def test_three_key_presses_within_the_time_open() -> None:
    gesture = LeaderGesture()
    assert not gesture.key(0.0)
    assert not gesture.key(1.0)
    assert gesture.key(2.0)
    # Slow presses (a senior leaning on a key now and then) never add up.
    slow = LeaderGesture()
    assert not any(slow.key(t * HOLD_S) for t in range(10))
