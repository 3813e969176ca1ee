"""The call desk: the centre's line to city hall and every call on it. Qt-free.

One :class:`CallDesk` owns the Janus session (re-opened with backoff whenever it
is lost), the VideoCall registration under the centre's name, the current
one-to-one call or group session and every timer around them. The screen shows
its :class:`CallView` and calls its methods; all of it runs on the asyncio loop
(the GUI thread under qasync).

Recovery (aiortc has no ICE restart and notices a dead path only after ~30 s):
- the session is watched through the WebSocket (pings) and Janus' answers; when
  it is lost, the line reconnects at once and then with backoff and jitter;
- a group session rejoins as soon as the line is back; media silent for
  ``no_media_s`` shows "연결이 불안정합니다" and waits (short outages heal by
  themselves), silent for five times that, it rejoins on a new connection;
- a broken one-to-one call is dialled again once the line is back, for as long
  as a call rings (``ring_s``), and then ends with a calm message.
"""

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame, VideoFrame

from kiosk.calls.backoff import Backoff
from kiosk.calls.group import WATCH_S, GroupCall
from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.memory import give_back, limit_arenas
from kiosk.calls.peer import IceServer, Peer, SilenceRule
from kiosk.calls.policy import on_incoming
from kiosk.calls.tracks import Mirror
from kiosk.calls.videocall import CallEvent, VideoCallLine, read_event
from kiosk_contract.config.calls import Calls, Contact, Room

log = logging.getLogger(__name__)

GIVE_UP_FACTOR = 5
"""Media silent for this many times ``no_media_s``: the connection is rebuilt."""
FINISH = "call-finish"
ALREADY_IN_CALL = 480
BUSY_RETRIES = 5
BUSY_PAUSE_S = 0.1
HANGUP_S = 2.0
"""How long a hang-up waits for the server to confirm it."""


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
    """A call just ended; ``notice`` says why. The screen goes home."""


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


@dataclass(frozen=True)
class CallView:
    """What the call screens show."""

    phase: Phase = Phase.OFFLINE
    who: str = ""
    """The contact's label or the room's title."""
    who_en: str = ""
    notice: Notice = Notice.NONE
    since: float = 0.0
    """``clock()`` when the call or session began (for its duration)."""
    answer_at: float | None = None
    """``clock()`` at which a ringing call answers itself."""


class LocalMedia(Protocol):
    """Our camera and microphone (or stand-ins), and the speaker."""

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        """Fresh (audio, video) tracks; each connection gets its own."""
        ...

    def hear(self, source: object, frame: AudioFrame) -> None:
        """Play what *source* (a far side) said; sources are mixed."""
        ...

    def silence(self) -> None:
        """The call or session ended: stop playing, forget every source."""
        ...

    def change_volume(self, delta: int) -> int:
        """Make the far sides louder (or quieter) by *delta* percent; the new volume."""
        ...


@dataclass
class _OneToOne:
    contact: Contact
    peer: Peer
    outgoing: bool
    offer: dict[str, str] | None = None
    since: float = 0.0
    """When the call first connected (kept across reconnections)."""


class CallDesk:
    """Owns the line, the call and the session; see the module notes."""

    def __init__(
        self,
        calls: Calls,
        centre_id: str,
        media: LocalMedia,
        wall: Callable[[], dt.datetime],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        limit_arenas()  # calls are the kiosk's many-threaded part: see calls/memory.py
        self._calls = calls
        self._name = calls.call_name or centre_id
        self._media = media
        self._wall = wall
        self._clock = clock
        self._ice = [IceServer(s.urls, s.username, s.credential) for s in calls.ice_servers]
        self._view = CallView()
        self._listeners: list[Callable[[CallView], None]] = []
        self._session: JanusSession | None = None
        self._line: VideoCallLine | None = None
        self._online = asyncio.Event()
        self._call: _OneToOne | None = None
        self._group: GroupCall | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._line_task: asyncio.Task[None] | None = None
        self._call_task: asyncio.Task[None] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._hung_up = asyncio.Event()
        """Janus closed the current call's connection (its ``hangup``): only then does
        the VideoCall plugin let go of the call."""
        self._media_up = False
        """The current call's connection came up on the server (``webrtcup``)."""
        self._mirror: Mirror | None = None
        """What the current call or session sends as its picture (the self-view)."""
        self.reachable: Callable[[], bool] = lambda: True
        """Whether trying the server makes sense now (the demo: its private network is up)."""
        self.busy: Callable[[], bool] = lambda: False
        """Whether the kiosk is busy with something else: calls are then refused."""

    # --- what the screen reads ------------------------------------------------

    @property
    def view(self) -> CallView:
        return self._view

    @property
    def configured(self) -> bool:
        return self._calls.server is not None

    def subscribe(self, listener: Callable[[CallView], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def now(self) -> float:
        """The desk's clock (call lengths and auto-answer times are on it)."""
        return self._clock()

    def change_volume(self, delta: int) -> int:
        return self._media.change_volume(delta)

    def remote_frames(self) -> list[VideoFrame]:
        """The newest picture of each far side, the main one (host, caller) first."""
        peers: list[Peer] = []
        if self._call is not None:
            peers = [self._call.peer]
        elif self._group is not None:
            peers = [w.peer for w in self._group.shown()]
        return [frame for frame in (peer.picture() for peer in peers) if frame is not None]

    def own_picture(self) -> VideoFrame | None:
        """The newest picture this centre sends (the small self-view)."""
        return self._mirror.latest if self._mirror is not None else None

    def _tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        """Fresh tracks for a connection; the picture goes through the self-view."""
        audio, video = self._media.tracks()
        self._mirror = Mirror(video)
        return audio, self._mirror

    # --- the line -------------------------------------------------------------

    def start(self) -> None:
        """Connect to city hall's server and stay connected."""
        if self._calls.server is None or self._line_task is not None:
            return
        self._line_task = self._spawn(self._keep_line(), "call-line")

    async def close(self) -> None:
        """Hang up, unregister, close the session; every task ends. Safe to call twice."""
        for task in list(self._tasks):
            if task.get_name() != FINISH:  # tidying up is let to finish: it closes connections
                task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._drop_call()
        await self._drop_group()
        await self._drop_session()
        self._media.silence()
        self._line_task = self._call_task = self._timer = None

    async def _keep_line(self) -> None:
        assert self._calls.server is not None
        backoff = Backoff()
        failing = ""
        while True:
            if not self.reachable():
                await asyncio.sleep(backoff.next())
                continue
            try:
                session = await JanusSession.open(self._calls.server, self._calls.api_secret)
                self._session = session
                self._line = await VideoCallLine.register(session, self._name)
            except JanusError as err:
                # Once per kind of failure, not every 2 s while city hall is down.
                if str(err) != failing:
                    log.warning("call server: %s (retrying quietly)", err)
                    failing = str(err)
                await self._drop_session()
                await asyncio.sleep(backoff.next())
                continue
            backoff.reset()
            failing = ""
            self._online.set()
            if self._view.phase is Phase.OFFLINE:
                self._set(CallView(Phase.IDLE))
            log.info("registered with city hall as %s", self._name)
            try:
                await self._serve_line(self._line)
            finally:
                self._online.clear()
                await self._drop_session()
            phase = self._view.phase
            if phase is Phase.IDLE:
                self._set(CallView(Phase.OFFLINE, notice=Notice.NO_SERVER))
            elif phase is Phase.RINGING:
                self._end(Notice.CALLER_LEFT)
            elif phase in (Phase.IN_CALL, Phase.CALLING) and self._call is not None:
                self._reconnect_call(self._call)
            await asyncio.sleep(backoff.next())

    async def _serve_line(self, line: VideoCallLine) -> None:
        """Read the line's events until the session is lost."""
        while True:
            event = read_event(await line.handle.events.get())
            if event.name in ("lost", "detached"):
                return
            await self._on_line_event(line, event)

    async def _on_line_event(self, line: VideoCallLine, event: CallEvent) -> None:
        phase = self._view.phase
        if event.name == "webrtcup":
            self._media_up = True
        if event.name == "incomingcall":
            await self._incoming(line, event)
        elif event.name == "accepted" and self._call and self._call.outgoing and event.jsep:
            await self._call.peer.accept(event.jsep)
            self._connected()
        elif event.name == "hangup":
            if event.media:
                self._hung_up.set()  # our connection is gone: the plugin let go of the call
            if phase is Phase.RINGING:
                self._end(Notice.CALLER_LEFT)
            elif phase is Phase.CALLING:
                self._end(Notice.UNAVAILABLE)
            elif phase is Phase.IN_CALL:
                self._end(Notice.ENDED)
        elif event.name == "error":
            log.warning("call server refused: %s", event.reason)
            if phase is Phase.CALLING:
                self._end(Notice.UNAVAILABLE)

    async def _incoming(self, line: VideoCallLine, event: CallEvent) -> None:
        ringing = on_incoming(self._calls, event.peer, self._wall())
        busy = not self._free() or self.busy()
        if ringing.contact is None or busy or event.jsep is None:
            why = "busy" if busy else "not a contact"
            log.info("declined a call from %r (%s)", event.peer, why)
            with contextlib.suppress(JanusError):
                await line.hang_up()
            return
        peer = self._peer(f"call from {ringing.contact.id}")
        self._hung_up.clear()
        self._media_up = False
        self._call = _OneToOne(ringing.contact, peer, outgoing=False, offer=event.jsep)
        answer_at = None
        if ringing.answer_after_s is not None:
            answer_at = self._clock() + ringing.answer_after_s
            self._start_timer(ringing.answer_after_s, self.answer)
        contact = ringing.contact
        self._set(CallView(Phase.RINGING, contact.label, contact.label_en, answer_at=answer_at))

    # --- what the senior does -------------------------------------------------------

    def call(self, contact_id: str) -> bool:
        """Call city hall's *contact*; ``False`` if it cannot start (says why)."""
        contact = self._calls.contact(contact_id)
        if contact is None or not self._free():
            return False
        if self._line is None or not self._online.is_set():
            self._set(CallView(Phase.ENDED, contact.label, contact.label_en, Notice.NO_SERVER))
            return False
        self._set(CallView(Phase.CALLING, contact.label, contact.label_en))
        self._call_task = self._spawn(self._dial(contact), "call-dial")
        return True

    async def _dial(self, contact: Contact, since: float = 0.0) -> None:
        self._start_timer(self._calls.ring_s, lambda: self._end(Notice.UNAVAILABLE))
        await self._online.wait()
        line = self._line
        assert line is not None
        peer = self._peer(f"call to {contact.id}")
        peer.send(*self._tracks())
        self._hung_up.clear()
        self._media_up = False
        self._call = _OneToOne(contact, peer, outgoing=True, since=since)
        offer = await peer.offer()
        for attempt in range(1, BUSY_RETRIES + 1):
            try:
                await line.call(contact.name, offer)
                return
            except JanusError as err:
                if err.code != ALREADY_IN_CALL or attempt == BUSY_RETRIES:
                    log.warning("could not call %s: %s", contact.name, err)
                    self._end(Notice.UNAVAILABLE)
                    return
            # Janus tells us our connection is gone a moment before the VideoCall
            # plugin lets go of the last call: a quick redial can land in between.
            await asyncio.sleep(BUSY_PAUSE_S * attempt)

    def answer(self) -> None:
        """받기: take the ringing call."""
        if self._view.phase is Phase.RINGING and self._call is not None:
            self._cancel_timer()
            self._call_task = self._spawn(self._answer(self._call), "call-answer")

    async def _answer(self, call: _OneToOne) -> None:
        assert self._line is not None and call.offer is not None
        call.peer.send(*self._tracks())
        try:
            await self._line.accept(await call.peer.answer(call.offer))
        except JanusError as err:
            log.warning("could not answer: %s", err)
            self._end(Notice.CALLER_LEFT)
            return
        self._connected()

    def decline(self) -> None:
        """거절: refuse the ringing call."""
        if self._view.phase is Phase.RINGING:
            self._end(Notice.NONE)

    def hang_up(self) -> None:
        """The red button: end the call, cancel the dialling or leave the room."""
        if not self._free():
            self._end(Notice.NONE)

    def join(self, room_id: str) -> bool:
        """Join the group session *room_id*; ``False`` if it cannot start."""
        room = self._calls.room(room_id)
        if room is None or not self._free():
            return False
        if not self._online.is_set():
            self._set(CallView(Phase.ENDED, room.title, notice=Notice.NO_SERVER))
            return False
        self._set(CallView(Phase.JOINING, room.title))
        self._call_task = self._spawn(self._stay_in_room(room), "call-room")
        return True

    # --- group sessions ---------------------------------------------------------

    async def _stay_in_room(self, room: Room) -> None:
        backoff = Backoff()
        since = 0.0
        while True:
            await self._online.wait()
            assert self._session is not None
            group = GroupCall(
                self._session, room.number, self._name, self._ice, room.host, self._heard
            )
            self._group = group
            try:
                await group.open(self._tracks())
                backoff.reset()
                since = since or self._clock()
                self._set(CallView(Phase.IN_ROOM, room.title, since=since, notice=self._alone()))
                group.changed = lambda: self._room_changed()
                why = await group.run(
                    self._calls.no_media_s,
                    self._calls.no_media_s * GIVE_UP_FACTOR,
                    self._unsteady,
                )
            except JanusError as err:
                why = str(err)
            finally:
                await self._drop_group()
            log.warning("group session %s broke (%s): rejoining", room.id, why)
            self._set(
                CallView(Phase.RECONNECTING, room.title, since=since, notice=Notice.RECONNECTING)
            )
            await asyncio.sleep(backoff.next())

    def _alone(self) -> Notice:
        return Notice.ALONE if self._group is not None and not self._group.watched else Notice.NONE

    def _room_changed(self) -> None:
        if self._view.phase is Phase.IN_ROOM and self._view.notice in (Notice.ALONE, Notice.NONE):
            self._set(replace(self._view, notice=self._alone()))

    def _unsteady(self, unsteady: bool) -> None:
        if self._view.phase in (Phase.IN_ROOM, Phase.IN_CALL):
            self._set(replace(self._view, notice=Notice.UNSTEADY if unsteady else self._alone()))

    # --- one-to-one calls ----------------------------------------------------------

    def _connected(self) -> None:
        self._cancel_timer()
        call = self._call
        if call is None:
            return
        call.peer.mark_start()
        call.since = call.since or self._clock()
        contact = call.contact
        self._set(CallView(Phase.IN_CALL, contact.label, contact.label_en, since=call.since))
        self._replace_call_task(self._watch_call(call), "call-watch")

    async def _watch_call(self, call: _OneToOne) -> None:
        """Media silent: say so, then rebuild the connection by dialling again."""
        no_media = self._calls.no_media_s
        rule = SilenceRule(no_media, no_media * GIVE_UP_FACTOR, self._unsteady)
        while True:
            await asyncio.sleep(WATCH_S)
            silence = call.peer.silence()
            if rule.give_up(silence):
                log.warning("no media from %s for %.0f s: calling again", call.contact.id, silence)
                self._reconnect_call(call)
                return

    def _reconnect_call(self, call: _OneToOne) -> None:
        """The call broke: dial the same contact again while the screen says so."""
        contact = call.contact
        self._set(
            CallView(
                Phase.RECONNECTING,
                contact.label,
                contact.label_en,
                since=call.since,
                notice=Notice.RECONNECTING,
            )
        )
        self._replace_call_task(self._redial(call), "call-redial")

    async def _redial(self, call: _OneToOne) -> None:
        if self._line is not None and self._online.is_set():
            await self._hang_up_line(self._line)
        await self._drop_call()
        await self._dial(call.contact, call.since)

    def _replace_call_task(self, work: "asyncio.Future[None] | object", name: str) -> None:
        old = self._call_task
        if old is not None and old is not asyncio.current_task():
            old.cancel()
        self._call_task = self._spawn(work, name)

    # --- internals ----------------------------------------------------------------

    def _free(self) -> bool:
        """No call, no ringing, no group session: something new may start."""
        return self._view.phase in (Phase.IDLE, Phase.OFFLINE)

    def _end(self, notice: Notice) -> None:
        """The call or session is over: tell the screen, tidy up behind it."""
        self._cancel_timer()
        view = self._view
        self._set(CallView(Phase.ENDED, view.who, view.who_en, notice))
        task = self._call_task
        self._call_task = None
        self._spawn(self._finish(task), FINISH)

    async def _finish(self, task: "asyncio.Task[None] | None") -> None:
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        line = self._line
        if self._call is not None and line is not None and self._online.is_set():
            await self._hang_up_line(line)
        await self._drop_call()
        await self._drop_group()
        self._media.silence()
        self._mirror = None
        give_back()
        if self._view.phase is Phase.ENDED:
            phase = Phase.IDLE if self._online.is_set() else Phase.OFFLINE
            self._set(CallView(phase))

    def _peer(self, label: str) -> Peer:
        """A one-to-one connection whose sound goes to the speaker."""
        return Peer(self._ice, lambda kind, frame: self._heard(label, kind, frame), label=label)

    def _heard(self, source: object, kind: str, frame: object) -> None:
        if kind == "audio" and isinstance(frame, AudioFrame):
            self._media.hear(source, frame)

    async def _hang_up_line(self, line: VideoCallLine) -> None:
        """End the call on the server and wait until it says so (``hangup``): a call
        placed before that is refused with "Already in a call"."""
        if self._hung_up.is_set():
            return  # the connection is already gone: so is the call
        with contextlib.suppress(JanusError):
            await line.hang_up()
        if not self._media_up:
            return  # no connection on the server: the call is over at once
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HANGUP_S):
                await self._hung_up.wait()

    async def _drop_call(self) -> None:
        call = self._call
        if call is not None:
            await call.peer.close()
            if self._call is call:  # forgotten only once closed, so close() can finish it
                self._call = None

    async def _drop_group(self) -> None:
        group = self._group
        if group is not None:
            await group.close()
            if self._group is group:
                self._group = None

    async def _drop_session(self) -> None:
        session, self._session, self._line = self._session, None, None
        if session is not None:
            await session.close()

    def _start_timer(self, seconds: float, then: Callable[[], object]) -> None:
        self._cancel_timer()

        async def wait() -> None:
            await asyncio.sleep(seconds)
            self._timer = None
            then()

        self._timer = self._spawn(wait(), "call-timer")

    def _cancel_timer(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None

    def _spawn(self, work: "asyncio.Future[None] | object", name: str) -> "asyncio.Task[None]":
        task: asyncio.Task[None] = asyncio.ensure_future(work)  # type: ignore[arg-type]
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: "asyncio.Task[None]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task %s failed", task.get_name(), exc_info=task.exception())
            if self._view.phase not in (Phase.IDLE, Phase.OFFLINE):
                self._end(Notice.ENDED)

    def _set(self, view: CallView) -> None:
        if view == self._view:
            return
        log.info(
            "call %s -> %s%s",
            self._view.phase.value,
            view.phase.value,
            f" ({view.notice.value})" if view.notice.value else "",
        )
        self._view = view
        for listener in list(self._listeners):
            listener(view)
