"""One-to-one calls on the line (Janus' VideoCall plugin): ringing, dialling,
answering, and dialling again when a call breaks. Qt-free; on the asyncio loop.

The :class:`OneToOne` job keeps the current call (its contact, its connection) and
reads what the line says about it; every change of phase goes through the desk
(:class:`kiosk.calls.phase.Desk`), which owns the phase and the tasks.

A broken call (the line lost, or media silent for ``GIVE_UP_FACTOR`` times
``no_media_s``) is dialled again as soon as the line is back, for as long as a
call rings (``ring_s``); then it ends with a calm message.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.calls.connection import Connection, NewPeer, SilenceRule, load_media_stack
from kiosk.calls.group import GIVE_UP_FACTOR, WATCH_S
from kiosk.calls.janus import JanusError, SessionLostError
from kiosk.calls.line import CallLine
from kiosk.calls.phase import FREE, CallView, Desk, Notice, Phase
from kiosk.calls.policy import on_incoming
from kiosk.calls.videocall import CallEvent, VideoCallLine
from kiosk_contract.config.calls import Contact

log = logging.getLogger(__name__)

ALREADY_IN_CALL = 480
BUSY_RETRIES = 5
BUSY_PAUSE_S = 0.1
HANGUP_S = 2.0
"""How long a hang-up waits for the server to confirm it."""


@dataclass
class _Call:
    """One call, from its first ring to its end, across reconnections."""

    contact: Contact
    outgoing: bool
    offer: dict[str, str] | None = None
    """The caller's offer (an incoming call)."""
    peer: Connection | None = None
    """The current connection (a new one after each reconnection)."""
    since: float | None = None
    """When the call first connected (kept across reconnections)."""
    rang_at: dt.datetime | None = None
    """When an incoming call began to ring (the centre's time)."""
    answering: bool = False
    """Someone pressed 받기 (or it answered itself): ending now is not a missed call."""


Missed = Callable[[Contact, dt.datetime], None]
"""Told that *contact*'s call, ringing since the time given, ended unanswered."""
Talked = Callable[[Contact], None]
"""Told that a call with *contact* connected (either way)."""


class OneToOne:
    """The centre's one-to-one call, if any. Built and driven by the desk."""

    def __init__(
        self,
        desk: Desk,
        line: CallLine,
        new_peer: NewPeer,
        missed: Missed = lambda contact, at: None,
        talked: Talked = lambda contact: None,
    ) -> None:
        """*missed* hears of each ringing call that ended with nobody answering (the
        caller gave up, or the line went while it rang; not 거절); *talked* of each
        call that connected."""
        self._desk = desk
        self._line = line
        self._new_peer = new_peer
        self._missed = missed
        self._talked = talked
        self._call: _Call | None = None
        self._hung_up = asyncio.Event()
        """Janus closed the current connection (its ``hangup``): only then does the
        VideoCall plugin let go of the call."""
        self._media_up = False
        """The current connection came up on the server (``webrtcup``)."""

    @property
    def active(self) -> bool:
        """A call is ringing, dialling, up or being restored."""
        return self._call is not None

    @property
    def peer(self) -> Connection | None:
        return self._call.peer if self._call is not None else None

    # --- what the senior does ------------------------------------------------------

    def call(self, contact: Contact) -> None:
        """Dial *contact* (the desk checked that the line is up and nothing else runs)."""
        call = self._call = _Call(contact, outgoing=True)
        self._desk.move(CallView(Phase.CALLING, contact.label, contact.label_en))
        self._desk.run(self._dial(call), "call-dial")

    def answer(self) -> None:
        """받기: take the ringing call."""
        call = self._call
        if self._desk.view.phase is Phase.RINGING and call is not None:
            call.answering = True
            self._desk.cancel_timer()
            self._desk.run(self._answer(call), "call-answer")

    def decline(self) -> None:
        """거절: refuse the ringing call."""
        if self._desk.view.phase is Phase.RINGING:
            self._desk.end(Notice.NONE)

    # --- what the line says ----------------------------------------------------------

    def on_event(self, event: CallEvent) -> None:
        phase = self._desk.view.phase
        call = self._call
        if event.name == "webrtcup":
            self._media_up = True
        if event.name == "incomingcall":
            self._incoming(event)
        elif event.name == "accepted" and call and call.outgoing and event.jsep:
            if phase in (Phase.CALLING, Phase.RECONNECTING):  # not once it has ended
                self._desk.run(self._accepted(call, event.jsep), "call-accepted")
        elif event.name == "hangup":
            if event.media:
                self._hung_up.set()  # our connection is gone: the plugin let go of the call
            if phase is Phase.RINGING:
                self._rang_out()
                self._desk.end(Notice.CALLER_LEFT)
            elif phase is Phase.CALLING:
                self._desk.end(Notice.UNAVAILABLE)
            elif phase is Phase.IN_CALL:
                self._desk.end(Notice.ENDED)
            # RECONNECTING: what is hung up is the broken connection, being replaced.
        elif event.name == "error":
            log.warning("call server refused: %s", event.reason)
            if phase is Phase.CALLING:
                self._desk.end(Notice.UNAVAILABLE)

    def line_lost(self) -> None:
        """The line is gone: a ringing call is over, a call in progress is restored."""
        phase = self._desk.view.phase
        if phase is Phase.RINGING:
            self._rang_out()
            self._desk.end(Notice.CALLER_LEFT)
        elif self._call is not None and phase in (
            Phase.CALLING,
            Phase.IN_CALL,
            Phase.RECONNECTING,
        ):
            self._reconnect(self._call)

    # --- tidying up ----------------------------------------------------------------

    async def tidy(self) -> None:
        """The call is over: end it on the server (waiting for Janus to let go of it)
        and close its connection."""
        call = self._call
        if call is None:
            return
        videocall = self._line.videocall
        if videocall is not None:
            await self._hang_up_line(videocall)
        await self.close()

    async def close(self) -> None:
        """Close the connection and forget the call (nothing said to the server)."""
        call = self._call
        if call is not None:
            await self._drop_peer(call)
            if self._call is call:  # forgotten only once closed, so close() can finish it
                self._call = None

    # --- internals -----------------------------------------------------------------

    def _incoming(self, event: CallEvent) -> None:
        desk = self._desk
        ringing = on_incoming(desk.calls, event.peer, desk.wall())
        busy = desk.view.phase not in FREE or desk.busy()
        if ringing.contact is None or busy or event.jsep is None:
            why = "busy" if busy else "not a contact"
            log.info("declined a call from %r (%s)", event.peer, why)
            videocall = self._line.videocall
            if videocall is not None:
                desk.spawn(self._refuse(videocall), "call-refuse")
            return
        contact = ringing.contact
        self._hung_up.clear()
        self._media_up = False
        self._call = _Call(contact, outgoing=False, offer=event.jsep, rang_at=desk.wall())
        answer_at = None
        if ringing.answer_after_s is not None:
            answer_at = desk.now() + ringing.answer_after_s
            desk.start_timer(ringing.answer_after_s, self.answer)
        desk.move(CallView(Phase.RINGING, contact.label, contact.label_en, answer_at=answer_at))
        # The ring shows at once; the connection's libraries load while it rings.
        desk.spawn(load_media_stack(), "call-media-stack")

    def _rang_out(self) -> None:
        """The ringing call ends before anyone answered it: a missed call."""
        call = self._call
        if call is None or call.outgoing or call.answering or call.rang_at is None:
            return
        log.info("nobody answered %s's call", call.contact.id)
        try:
            self._missed(call.contact, call.rang_at)
        except Exception:  # noting it must never keep the call from ending
            log.exception("could not note the missed call from %s", call.contact.id)

    async def _refuse(self, videocall: VideoCallLine) -> None:
        with contextlib.suppress(JanusError):
            await videocall.hang_up()

    def _connection(self, call: _Call) -> Connection:
        """A new connection for *call*, sending fresh tracks, its sound to the speaker."""
        desk = self._desk
        label = f"call {'to' if call.outgoing else 'from'} {call.contact.id}"
        peer = self._new_peer(
            desk.ice, lambda kind, frame: desk.heard(label, kind, frame), label=label
        )
        call.peer = peer
        peer.send(*desk.tracks())
        self._hung_up.clear()
        self._media_up = False
        return peer

    async def _dial(self, call: _Call) -> None:
        desk = self._desk
        desk.start_timer(desk.calls.ring_s, lambda: desk.end(Notice.UNAVAILABLE))
        await load_media_stack()
        await desk.fresh_ice()
        await self._line.wait_up()
        videocall = self._line.videocall
        assert videocall is not None
        offer = await self._connection(call).offer()
        name = call.contact.name
        for attempt in range(1, BUSY_RETRIES + 1):
            try:
                await videocall.call(name, offer)
                return
            except SessionLostError:
                return  # the line is gone: line_lost() dials again once it is back
            except JanusError as err:
                if err.code != ALREADY_IN_CALL or attempt == BUSY_RETRIES:
                    log.warning("could not call %s: %s", name, err)
                    desk.end(Notice.UNAVAILABLE)
                    return
            # Janus tells us our connection is gone a moment before the VideoCall
            # plugin lets go of the last call: a quick redial can land in between.
            await asyncio.sleep(BUSY_PAUSE_S * attempt)

    async def _answer(self, call: _Call) -> None:
        await load_media_stack()  # loading began with the ring: usually done by now
        await self._desk.fresh_ice()
        videocall = self._line.videocall
        assert call.offer is not None
        try:
            if videocall is None:
                raise SessionLostError("the line went down while ringing")
            answer = await self._connection(call).answer(call.offer)
            await videocall.accept(answer)
        except JanusError as err:
            log.warning("could not answer: %s", err)
            self._desk.end(Notice.CALLER_LEFT)
            return
        self._connected(call)

    async def _accepted(self, call: _Call, answer: dict[str, str]) -> None:
        peer = call.peer
        if peer is None:
            return  # accepted as the connection was being replaced: the redial goes on
        await peer.accept(answer)
        self._connected(call)

    def _connected(self, call: _Call) -> None:
        desk = self._desk
        desk.cancel_timer()
        assert call.peer is not None
        call.peer.mark_start()
        first = call.since is None
        since = call.since = desk.now() if call.since is None else call.since
        contact = call.contact
        if first:
            try:
                self._talked(contact)
            except Exception:  # noting it must never keep the call from going on
                log.exception("could not note the call with %s", contact.id)
        desk.move(CallView(Phase.IN_CALL, contact.label, contact.label_en, since=since))
        desk.run(self._watch(call), "call-watch")

    async def _watch(self, call: _Call) -> None:
        """Media silent: say so, then rebuild the connection by dialling again."""
        no_media = self._desk.calls.no_media_s
        rule = SilenceRule(no_media, no_media * GIVE_UP_FACTOR, self._desk.unsteady)
        while True:
            await asyncio.sleep(WATCH_S)
            assert call.peer is not None
            silence = call.peer.silence()
            if rule.give_up(silence):
                log.warning("no media from %s for %.0f s: calling again", call.contact.id, silence)
                self._reconnect(call)
                return

    def _reconnect(self, call: _Call) -> None:
        """The call broke: dial the same contact again while the screen says so."""
        contact = call.contact
        self._desk.move(
            CallView(
                Phase.RECONNECTING,
                contact.label,
                contact.label_en,
                since=call.since or 0.0,
                notice=Notice.RECONNECTING,
            )
        )
        call.outgoing = True  # whoever rang first, the centre rings again
        self._desk.run(self._redial(call), "call-redial")

    async def _redial(self, call: _Call) -> None:
        videocall = self._line.videocall
        if videocall is not None:
            await self._hang_up_line(videocall)
        await self._drop_peer(call)
        await self._dial(call)

    async def _hang_up_line(self, videocall: VideoCallLine) -> None:
        """End the call on the server and wait until it says so (``hangup``): a call
        placed before that is refused with "Already in a call"."""
        if self._hung_up.is_set():
            return  # the connection is already gone: so is the call
        with contextlib.suppress(JanusError):
            await videocall.hang_up()
        if not self._media_up:
            return  # no connection on the server: the call is over at once
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HANGUP_S):
                await self._hung_up.wait()

    async def _drop_peer(self, call: _Call) -> None:
        peer = call.peer
        if peer is not None:
            await peer.close()
            if call.peer is peer:
                call.peer = None
