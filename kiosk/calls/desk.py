"""The call desk: the centre's calls with city hall, and the one phase they are in.
Qt-free; everything on the asyncio loop (the GUI thread under qasync).

One :class:`CallDesk` owns the phase (:class:`Phase`, changed only by ``_set``,
which logs ``old -> new`` and refuses what :data:`kiosk.calls.phase.ALLOWED` does
not list), the one task doing the current call or session, its timer, and three jobs:

- the line (:class:`kiosk.calls.line.CallLine`): the Janus session and the centre's
  name on it, re-opened with backoff whenever it is lost;
- one-to-one calls (:class:`kiosk.calls.one_to_one.OneToOne`): ringing, dialling,
  answering; a broken call is dialled again once the line is back;
- room stays (:class:`kiosk.calls.rooms.RoomStay`): a group session rejoined after
  every break until the senior leaves.

The screen shows its :class:`CallView` and calls its methods. The server's session
and the connections are made by the factories passed in (the real Janus and aiortc
by default): the unit tests pass a fake Janus and fake connections on a virtual clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.backoff import Backoff
from kiosk.calls.connection import Connection, IceServer, NewPeer, new_connection
from kiosk.calls.floor import FloorBoard
from kiosk.calls.janus import JanusSession
from kiosk.calls.line import CallLine, LineSettings, OpenSession
from kiosk.calls.memory import give_back, limit_arenas
from kiosk.calls.one_to_one import OneToOne
from kiosk.calls.phase import FREE, CallView, Notice, Phase, allowed
from kiosk.calls.rooms import RoomStay
from kiosk.calls.videocall import CallEvent
from kiosk_contract.config.calls import Calls, Contact

if TYPE_CHECKING:
    # Loaded with the first call, not at idle (see kiosk.calls.connection).
    from aiortc.mediastreams import MediaStreamTrack
    from av import AudioFrame, VideoFrame

    from kiosk.calls.group import GroupCall
    from kiosk.calls.tracks import Mirror

__all__ = ["CallDesk", "CallView", "LocalMedia", "Notice", "Phase"]

log = logging.getLogger(__name__)

TurnLogin = Callable[[], Awaitable[tuple[str, str]]]
"""Asks city hall for a time-limited TURN login (username, credential): the box's
``GET /v1/turn``. Raises ``OSError`` (or ``ValueError`` for a reply it cannot read)
when it cannot; it may keep a login until shortly before it expires."""

FINISH = "call-finish"
"""The task tidying up behind a call: let finish even by :meth:`CallDesk.close`."""


class LocalMedia(Protocol):
    """Our camera and microphone (or stand-ins), and the speaker."""

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        """Fresh (audio, video) tracks; each connection gets its own."""
        ...

    def picture(self) -> MediaStreamTrack:
        """A fresh camera track alone (the microphone not even opened)."""
        ...

    def hear(self, source: object, frame: AudioFrame) -> None:
        """Play what *source* (a far side) said; sources are mixed."""
        ...

    def silence(self) -> None:
        """The call or session ended: stop playing, forget every source."""
        ...

    def forget(self, source: object) -> None:
        """*source* has gone (it left the room): its sound is no longer mixed."""
        ...

    def change_volume(self, delta: int) -> int:
        """Make the far sides louder (or quieter) by *delta* percent; the new volume."""
        ...


class CallDesk:
    """Owns the phase, the tasks and the jobs; see the module notes."""

    def __init__(
        self,
        calls: Calls,
        centre_id: str,
        media: LocalMedia,
        wall: Callable[[], dt.datetime],
        clock: Callable[[], float] = time.monotonic,
        *,
        open_session: OpenSession = JanusSession.open,
        new_peer: NewPeer = new_connection,
        backoff: Callable[[], Backoff] | None = None,
        turn_login: TurnLogin | None = None,
        floor: FloorBoard | None = None,
    ) -> None:
        """*clock* (seconds) times calls, auto-answer and the backoff; *backoff*
        makes the waiting of the line and of each room stay (default: full jitter
        on *clock*, capped at 30 s). *turn_login* is asked before each call or
        session for the TURN servers configured without a login (see :attr:`ice`).
        *floor*: who may speak in the rooms with ``floor: true`` (the fleet link feeds
        it city hall's signed floors)."""
        limit_arenas()  # calls are the kiosk's many-threaded part: see calls/memory.py
        self._calls = calls
        self._centre_id = centre_id
        self._media = media
        self._wall = wall
        self._clock = clock
        self._view = CallView()
        self._listeners: list[Callable[[CallView], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._activity: asyncio.Task[None] | None = None
        """The task doing the current call or session (dialling, watching, staying)."""
        self._timer: asyncio.Task[None] | None = None
        self._mirror: Mirror | None = None
        """What the current call or session sends as its picture (the self-view)."""
        self._pending: tuple[Calls, str] | None = None
        """A configuration that arrived during a call, applied once it ends."""
        self._closing = False
        self._turn_login = turn_login
        self._login: tuple[str, str] | None = None
        """City hall's newest TURN login (for servers configured without one)."""
        self._login_failing = False
        make_backoff = backoff or (lambda: Backoff(clock=clock))
        self._line = CallLine(
            self._line_settings(), self, open_session, lambda: self.reachable(), make_backoff
        )
        self._one_to_one = OneToOne(
            self,
            self._line,
            new_peer,
            missed=lambda contact, at: self.missed(contact, at),
            talked=lambda contact: self.talked(contact),
        )
        self._rooms = RoomStay(self, self._line, new_peer, make_backoff, floor, open_session)
        self.reachable: Callable[[], bool] = lambda: True
        """Whether trying the server makes sense now (the demo: its private network is up)."""
        self.busy: Callable[[], bool] = lambda: False
        """Whether the kiosk is busy with something else: calls are then refused."""
        self.missed: Callable[[Contact, dt.datetime], None] = lambda contact, at: None
        """Told of each call from city hall that rang out unanswered (since when it rang):
        the caller gave up or the line went while it rang; not one refused with 거절."""
        self.talked: Callable[[Contact], None] = lambda contact: None
        """Told of each one-to-one call that connected (either way)."""

    # --- what the screen reads ------------------------------------------------

    @property
    def view(self) -> CallView:
        return self._view

    @property
    def configured(self) -> bool:
        return self._calls.server is not None

    @property
    def calls(self) -> Calls:
        """The configuration in force."""
        return self._calls

    @property
    def name(self) -> str:
        """The centre's name on the server."""
        return self._calls.call_name or self._centre_id

    @property
    def room_number(self) -> int:
        """The number of the group session's room the centre is in now (in it, not
        joining or rejoining), 0 when none: what the fleet status reports."""
        room = self._rooms.room
        return room.number if room is not None and self._view.phase is Phase.IN_ROOM else 0

    @property
    def ice(self) -> list[IceServer]:
        """The configured servers; a ``turn:``/``turns:`` one without username and
        credential means "ask city hall": it gets city hall's newest login (and is
        left out while there is none: a TURN server refuses a connection without)."""
        servers = []
        for s in self._calls.ice_servers:
            if not _asks_city_hall(s.urls, s.username, s.credential):
                servers.append(IceServer(s.urls, s.username, s.credential))
            elif self._login is not None:
                servers.append(IceServer(s.urls, *self._login))
        return servers

    async def fresh_ice(self) -> None:
        """Ask city hall for a TURN login, if a configured server needs one. A failure
        keeps the last login (it may still be valid) and is logged once, its
        recovery once."""
        calls = self._calls
        wanted = any(_asks_city_hall(s.urls, s.username, s.credential) for s in calls.ice_servers)
        if self._turn_login is None or not wanted:
            return
        try:
            self._login = await self._turn_login()
        except (OSError, ValueError) as err:
            if not self._login_failing:
                log.warning("no TURN login from city hall (%s); calls go without a relay", err)
            self._login_failing = True
            return
        if self._login_failing:
            log.info("TURN login from city hall again")
        self._login_failing = False

    @property
    def group(self) -> GroupCall | None:
        """The current attempt at a group session (tests and benchmarks look inside)."""
        return self._rooms.group

    _group = group  # the name bench/calls.py reads

    def subscribe(self, listener: Callable[[CallView], None]) -> Callable[[], None]:
        """*listener* gets every new view; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def now(self) -> float:
        """The desk's clock (call lengths and auto-answer times are on it)."""
        return self._clock()

    def wall(self) -> dt.datetime:
        """The centre's date and time now."""
        return self._wall()

    def change_volume(self, delta: int) -> int:
        return self._media.change_volume(delta)

    def remote_frames(self) -> list[VideoFrame]:
        """The newest picture of each far side, the main one (host, caller) first."""
        peers: list[Connection] = []
        peer = self._one_to_one.peer
        group = self._rooms.group
        if peer is not None:
            peers = [peer]
        elif group is not None:
            peers = [w.peer for w in group.shown()]
        return [frame for frame in (peer.picture() for peer in peers) if frame is not None]

    def own_picture(self) -> VideoFrame | None:
        """The newest picture this centre sends (the small self-view)."""
        return self._mirror.latest if self._mirror is not None else None

    # --- the desk's life ----------------------------------------------------------

    def start(self) -> None:
        """Connect to city hall's server and stay connected (nothing without one)."""
        self._line.start()

    def reconfigure(self, calls: Calls, centre_id: str) -> None:
        """A new configuration: contacts, rooms and auto-answer rules apply at once; a
        new server, API secret, call name or ICE servers re-register the line. During
        a call or session nothing changes until it has ended."""
        if self._view.phase not in FREE:
            self._pending = (calls, centre_id)
            log.info("new call settings wait until the call ends")
            return
        self._apply(calls, centre_id)

    async def close(self) -> None:
        """Close every connection, leave the room, close the session; every task
        ends. Safe to call twice; the desk is not used again."""
        self._closing = True
        for task in list(self._tasks):
            if task.get_name() != FINISH:  # tidying up is let to finish: it closes connections
                task.cancel()
        while self._tasks:  # a failing task may still end the call: its tidying too
            await asyncio.wait(set(self._tasks))
        await self._one_to_one.close()
        await self._rooms.close()
        await self._line.close()
        self._media.silence()
        self._activity = self._timer = None

    # --- what the senior does -------------------------------------------------------

    def call(self, contact_id: str) -> bool:
        """Call city hall's *contact*; ``False`` if it cannot start (the view says why)."""
        contact = self._calls.contact(contact_id)
        if contact is None or not self._ready():
            return False
        self._one_to_one.call(contact)
        return True

    def answer(self) -> None:
        """받기: take the ringing call."""
        self._one_to_one.answer()

    def decline(self) -> None:
        """거절: refuse the ringing call."""
        self._one_to_one.decline()

    def hang_up(self) -> None:
        """The red button: end the call, cancel the dialling or leave the room."""
        self.end(Notice.NONE)

    def join(self, room_id: str) -> bool:
        """Join the group session *room_id*; ``False`` if it cannot start."""
        room = self._calls.room(room_id)
        if room is None or not self._ready():
            return False
        self._rooms.join(room)
        return True

    def press_speak(self) -> None:
        """말하기 in a town meeting with a floor: raise the centre's hand, or lower it."""
        if self._view.phase in (Phase.IN_ROOM, Phase.RECONNECTING):
            self._rooms.press_speak()

    # --- what the jobs ask (see kiosk.calls.phase.Desk) ------------------------------

    def move(self, view: CallView) -> bool:
        """Show *view*, if its phase may follow the current one."""
        return self._set(view)

    def end(self, notice: Notice) -> None:
        """The call or session is over: say so, tidy up behind it, then settle."""
        view = self._view
        if view.phase in FREE or view.phase is Phase.ENDED:
            return
        self.cancel_timer()
        self._set(CallView(Phase.ENDED, view.who, view.who_en, notice))
        task, self._activity = self._activity, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()  # now, so that it changes nothing more
        self._spawn(self._finish(task), FINISH)

    def run(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Make *work* the task doing the current call or session."""
        if self._closing or self._view.phase in FREE or self._view.phase is Phase.ENDED:
            work.close()  # nothing to do it for
            return
        old = self._activity
        if old is not None and old is not asyncio.current_task():
            old.cancel()
        self._activity = self._spawn(work, name)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        if self._closing:
            work.close()
            return
        self._spawn(work, name)

    def start_timer(self, seconds: float, then: Callable[[], object]) -> None:
        self.cancel_timer()

        async def wait() -> None:
            await asyncio.sleep(seconds)
            self._timer = None
            then()

        self._timer = self._spawn(wait(), "call-timer")

    def cancel_timer(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        """Fresh tracks for a connection; the picture goes through the self-view."""
        from kiosk.calls.tracks import Mirror  # the media stack is loaded by now

        audio, video = self._media.tracks()
        self._mirror = Mirror(video)
        return audio, self._mirror

    def picture(self) -> MediaStreamTrack:
        """A fresh camera track alone, through the self-view (the host looks at us)."""
        from kiosk.calls.tracks import Mirror  # the media stack is loaded by now

        self._mirror = Mirror(self._media.picture())
        return self._mirror

    def gone(self, source: object) -> None:
        self._media.forget(source)

    def heard(self, source: object, kind: str, frame: object) -> None:
        from av import AudioFrame  # frames arrive only once the media stack is loaded

        if kind == "audio" and isinstance(frame, AudioFrame):
            self._media.hear(source, frame)

    def unsteady(self, unsteady: bool) -> None:
        if self._view.phase in (Phase.IN_ROOM, Phase.IN_CALL):
            notice = Notice.UNSTEADY if unsteady else self._rooms.alone()
            self._set(replace(self._view, notice=notice))

    # --- what the line says (kiosk.calls.line.LineListener) ----------------------

    def line_up(self) -> None:
        if self._view.phase is Phase.OFFLINE:
            self._set(CallView(Phase.IDLE))

    def line_down(self) -> None:
        if self._closing:
            return
        if self._view.phase is Phase.IDLE:
            self._set(CallView(Phase.OFFLINE, notice=Notice.NO_SERVER))
        else:
            self._one_to_one.line_lost()  # a room stay sees its session go by itself

    def line_event(self, event: CallEvent) -> None:
        if not self._closing:
            self._one_to_one.on_event(event)

    # --- internals ----------------------------------------------------------------

    def _ready(self) -> bool:
        """Something new may start now; if only the line is missing, the view says so."""
        if self._view.phase not in FREE:
            return False
        if not self._line.up:
            self._set(CallView(Phase.OFFLINE, notice=Notice.NO_SERVER))
            return False
        return True

    def _line_settings(self) -> LineSettings | None:
        calls = self._calls
        if calls.server is None:
            return None
        configured = tuple(IceServer(s.urls, s.username, s.credential) for s in calls.ice_servers)
        return LineSettings(calls.server, calls.api_secret, self.name, configured)

    def _apply(self, calls: Calls, centre_id: str) -> None:
        self._pending = None
        self._calls, self._centre_id = calls, centre_id
        self._line.change(self._line_settings())

    async def _finish(self, task: asyncio.Task[None] | None) -> None:
        if task is not None:
            if not task.done() and not task.cancelling():
                task.cancel()  # it ended the call itself but is still busy
            await asyncio.wait({task})
        await self._one_to_one.tidy()
        await self._rooms.close()
        self._rooms.room = None
        self._media.silence()
        self._mirror = None
        give_back()
        if self._view.phase is Phase.ENDED:
            self._set(CallView(Phase.IDLE if self._line.up else Phase.OFFLINE))
            if self._pending is not None:
                self._apply(*self._pending)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """The desk's supervision of its tasks: a failure is logged and ends the call
        or session calmly (the line has its own, see kiosk.calls.line)."""
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task %s failed", task.get_name(), exc_info=task.exception())
            self.end(Notice.ENDED)

    def _set(self, view: CallView) -> bool:
        """The one place the view changes: logged ``old -> new``, listeners told once.
        A phase :data:`ALLOWED` does not list after the current one is refused."""
        old = self._view
        if view == old:
            return True
        if not allowed(old.phase, view.phase):
            log.warning(
                "call %s -> %s refused: not a move the desk allows",
                old.phase.value,
                view.phase.value,
            )
            return False
        log.info(
            "call %s -> %s%s",
            old.phase.value,
            view.phase.value,
            f" ({view.notice.value})" if view.notice.value else "",
        )
        self._view = view
        for listener in list(self._listeners):
            listener(view)
        return True


def _asks_city_hall(urls: str, username: str, credential: str) -> bool:
    """A TURN server configured without a login: city hall gives a time-limited one."""
    return urls.startswith(("turn:", "turns:")) and not username and not credential
