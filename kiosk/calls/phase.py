"""Where the centre's calls stand (:class:`Phase`), what the screens show
(:class:`CallView`), which changes are allowed, and what a job (one-to-one calls,
room stays) may ask of the desk that owns all this (:class:`Desk`). Qt-free."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.calls.connection import IceServer
from kiosk_contract.config.calls import Calls

if TYPE_CHECKING:
    from aiortc.mediastreams import MediaStreamTrack


class Phase(enum.Enum):
    OFFLINE = "offline"
    """No line to city hall (not configured, or the server cannot be reached)."""
    IDLE = "idle"
    """Registered: city hall can call, the senior can call."""
    RINGING = "ringing"
    """City hall is calling the centre."""
    CALLING = "calling"
    """The centre is calling city hall."""
    JOINING = "joining"
    """The centre is joining a group session."""
    IN_CALL = "in_call"
    IN_ROOM = "in_room"
    RECONNECTING = "reconnecting"
    """A call or group session broke and is being restored."""
    ENDED = "ended"
    """A call just ended; ``notice`` says why. The desk settles to IDLE or OFFLINE."""


ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.OFFLINE: frozenset({Phase.OFFLINE, Phase.IDLE}),
    Phase.IDLE: frozenset({Phase.OFFLINE, Phase.RINGING, Phase.CALLING, Phase.JOINING}),
    Phase.RINGING: frozenset({Phase.IN_CALL, Phase.ENDED}),
    Phase.CALLING: frozenset({Phase.IN_CALL, Phase.RECONNECTING, Phase.ENDED}),
    Phase.JOINING: frozenset({Phase.IN_ROOM, Phase.RECONNECTING, Phase.ENDED}),
    Phase.IN_CALL: frozenset({Phase.IN_CALL, Phase.RECONNECTING, Phase.ENDED}),
    Phase.IN_ROOM: frozenset({Phase.IN_ROOM, Phase.RECONNECTING, Phase.ENDED}),
    Phase.RECONNECTING: frozenset({Phase.RECONNECTING, Phase.IN_CALL, Phase.IN_ROOM, Phase.ENDED}),
    Phase.ENDED: frozenset({Phase.IDLE, Phase.OFFLINE}),
}
"""Where each phase may go next. Staying in a phase is allowed where its notice can
change ("연결이 불안정합니다" in a call, "no server" while offline); every call or
session leaves through ENDED, which only settles."""

FREE = (Phase.IDLE, Phase.OFFLINE)
"""No call, no ringing, no group session: something new may start."""


def allowed(old: Phase, new: Phase) -> bool:
    return new in ALLOWED[old]


class Notice(enum.Enum):
    """Calm sentences the call screens show (keys into the strings)."""

    NONE = ""
    UNAVAILABLE = "call_unavailable"
    """City hall did not answer or declined: "지금은 통화할 수 없습니다"."""
    ENDED = "call_ended"
    CALLER_LEFT = "call_caller_left"
    UNSTEADY = "call_unsteady"
    """Media stopped: "연결이 불안정합니다. 잠시 기다려 주세요"."""
    RECONNECTING = "call_reconnecting"
    NO_SERVER = "call_no_server"
    """The line is down: "지금은 시청과 연결할 수 없습니다"."""
    ALONE = "call_alone"
    """In a room nobody else is in yet."""


class Seat(enum.Enum):
    """The centre's place in a town meeting where it speaks only when given the floor
    (a room with ``floor: true``)."""

    NONE = ""
    """Not in such a room: every centre there is seen and heard."""
    WATCHING = "watching"
    """Watching: the camera and microphone are not sent."""
    HAND_UP = "hand_up"
    """Watching, with the centre's hand raised (말하기 pressed)."""
    ON_AIR = "on_air"
    """City hall gave the centre the floor: everyone sees and hears it."""


@dataclass(frozen=True)
class CallView:
    """What the call screens show."""

    phase: Phase = Phase.OFFLINE
    who: str = ""
    """The contact's label or the room's title."""
    who_en: str = ""
    notice: Notice = Notice.NONE
    since: float = 0.0
    """The desk's ``now()`` when the call or session began (for its duration)."""
    answer_at: float | None = None
    """The desk's ``now()`` at which a ringing call answers itself."""
    seat: Seat = Seat.NONE
    """In a town meeting with a floor: watching, hand up or on air."""
    looked_at: bool = False
    """In a town meeting with a floor, off air: city hall sees the centre's camera
    (not its sound)."""


class Desk(Protocol):
    """What a job asks of the desk: the phase, the one task doing the current call
    or session, the timer, and fresh media. All on the asyncio loop."""

    @property
    def view(self) -> CallView: ...

    @property
    def calls(self) -> Calls:
        """The configuration in force."""
        ...

    @property
    def name(self) -> str:
        """The centre's name on the server."""
        ...

    @property
    def ice(self) -> list[IceServer]:
        """The STUN/TURN servers for a new connection (with the newest TURN login)."""
        ...

    async def fresh_ice(self) -> None:
        """Before a call or session: ask city hall for a TURN login where needed."""
        ...

    busy: Callable[[], bool]
    """Whether the kiosk is busy with something else (calls are then refused)."""

    def now(self) -> float:
        """The desk's clock (seconds; timers and call lengths are on it)."""
        ...

    def wall(self) -> dt.datetime:
        """The centre's date and time now (for opening hours)."""
        ...

    def move(self, view: CallView) -> bool:
        """Show *view*; refused (and logged) if its phase may not follow the current one."""
        ...

    def end(self, notice: Notice) -> None:
        """The call or session is over: ENDED with *notice*, the current task
        cancelled (unless it is the caller), everything tidied up behind it."""
        ...

    def run(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Make *work* the task doing the current call or session (the one before
        is cancelled, unless it is the caller). A failure ends the call calmly."""
        ...

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run *work* beside it (owned and cancelled by the desk)."""
        ...

    def start_timer(self, seconds: float, then: Callable[[], object]) -> None:
        """Call *then* after *seconds* (replacing the timer there was)."""
        ...

    def cancel_timer(self) -> None: ...

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        """Fresh (audio, video) tracks for one connection."""
        ...

    def picture(self) -> MediaStreamTrack:
        """A fresh camera track alone, for one connection (no microphone opened)."""
        ...

    def heard(self, source: object, kind: str, frame: object) -> None:
        """A far side's frame arrived (sound goes to the speaker)."""
        ...

    def gone(self, source: object) -> None:
        """A far side left (its sound is no longer mixed)."""
        ...

    def unsteady(self, unsteady: bool) -> None:
        """Media stopped (or came back): the screen says so."""
        ...
