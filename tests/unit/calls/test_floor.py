"""The floor board: the newest floor per room, the centre's hand."""

import msgspec
import pytest

from kiosk.calls.floor import FloorBoard
from kiosk_contract.floor import Floor, Hand
from tests.floors import floor_of

NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _floor(seq: int, *speakers: str, minutes: int = 10) -> Floor:
    """Room 7's floor, issued at :data:`NOW`."""
    return floor_of(7, seq, *speakers, at=NOW, minutes=minutes)


def test_only_a_newer_floor_changes_who_is_on_air() -> None:
    clock = Clock()
    board = FloorBoard("c-1", clock)
    told: list[int] = []
    board.subscribe(told.append)
    assert not board.on_air(7)
    assert board.offer(_floor(2, "c-1")) is None
    assert board.on_air(7) and told == [7]
    assert board.offer(_floor(1)) == "not newer (#1, have #2)"
    assert board.offer(_floor(2)) is not None
    assert board.on_air(7) and told == [7]
    assert not board.on_air(8)  # another room's floor is its own
    assert board.offer(_floor(3, "c-2")) is None
    assert not board.on_air(7)
    # An expired floor puts nobody on air.
    board.offer(_floor(4, "c-1", minutes=1))
    clock.now += 61
    assert not board.on_air(7)


def test_the_hand_goes_up_and_down_and_down_by_itself_once_on_air() -> None:
    clock = Clock()
    sent: list[Hand] = []
    board = FloorBoard("c-1", clock)
    board.attach(sent.append)
    board.raise_hand(7)
    board.raise_hand(7)  # pressed twice: raised once
    assert board.hand_up(7) and [(h.room, h.raised) for h in sent] == [(7, True)]
    board.lower_hand(7)
    board.lower_hand(7)
    assert not board.hand_up(7) and [h.raised for h in sent] == [True, False]
    board.raise_hand(7)
    board.offer(_floor(1, "c-1"))
    assert not board.hand_up(7) and [h.raised for h in sent] == [True, False, True, False]
    board.raise_hand(7)  # on air already: nothing to ask for
    assert len(sent) == 4
    # Every hand is numbered above the last, also above one sent before a restart.
    assert [h.n for h in sent] == sorted({h.n for h in sent})
    # A box started again a second later (its clock moving on) numbers above them all.
    clock.now += 1
    restarted = FloorBoard("c-1", clock)
    restarted.attach(sent.append)
    restarted.raise_hand(7)
    assert sent[-1].n > max(h.n for h in sent[:-1]) and sent[-1].at == int(NOW) + 1


def test_a_new_centre_id_is_checked_against_the_floor_it_has() -> None:
    board = FloorBoard("c-1")
    board.offer(_floor(1, "c-2"))
    told: list[int] = []
    board.subscribe(told.append)
    board.reconfigure("c-2")
    assert told == [7]


def test_a_floor_that_expires_takes_the_centre_off_the_air_and_says_so() -> None:
    clock = Clock()
    board = FloorBoard("c-1", clock)
    told: list[int] = []
    board.subscribe(told.append)
    board.offer(_floor(1, "c-1", minutes=1))
    board.tick()
    assert board.on_air(7) and told == [7]
    clock.now += 60
    board.tick()
    board.tick()  # said once
    assert not board.on_air(7) and told == [7, 7]


def test_a_floor_that_shows_the_centre_is_not_one_that_puts_it_on_air() -> None:
    clock = Clock()
    board = FloorBoard("c-1", clock)
    told: list[int] = []
    board.subscribe(told.append)
    board.raise_hand(7)
    shown = Floor(room=7, seq=1, shown=["c-1"], issued_at=int(NOW), expires_at=int(NOW) + 60)
    assert board.offer(shown) is None
    assert board.shown(7) and not board.on_air(7)
    assert board.hand_up(7), "looked at is not heard: the hand stays up"
    assert board.offer(_floor(2, "c-1")) is None
    assert board.on_air(7) and not board.shown(7) and not board.hand_up(7)
    board.offer(Floor(room=7, seq=3, shown=["c-1"], issued_at=int(NOW), expires_at=int(NOW) + 60))
    clock.now += 60
    assert not board.shown(7), "expired"


def test_a_floor_names_a_centre_once_and_says_what_it_is() -> None:
    with pytest.raises(ValueError, match="named twice"):
        Floor(room=7, seq=1, speakers=["c-1"], shown=["c-1"], issued_at=1, expires_at=2)
    # Its kind is in the signed text: never read as an alert's or a question's.
    assert b'"kind":"floor"' in msgspec.json.encode(_floor(1, "c-1"))
    shown = Floor(room=7, seq=2, shown=["c-2"], issued_at=1, expires_at=2)
    assert msgspec.json.decode(msgspec.json.encode(shown), type=Floor) == shown
