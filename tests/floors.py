"""City hall's floors for the tests of a town meeting (the box, the gate, the fleet
link): who is on air and who is looked at, from a moment for a few minutes."""

import time

from kiosk_contract.floor import Floor


def floor_of(
    room: int,
    seq: int,
    *speakers: str,
    shown: tuple[str, ...] = (),
    at: float | None = None,
    minutes: int = 10,
) -> Floor:
    """Room *room*'s floor number *seq*: *speakers* on air, *shown* looked at, issued
    at *at* (Unix seconds; now when ``None``) for *minutes*."""
    issued = int(time.time() if at is None else at)
    return Floor(
        room=room,
        seq=seq,
        speakers=list(speakers),
        shown=list(shown),
        issued_at=issued,
        expires_at=issued + minutes * 60,
    )
