"""Our presence in one group session: our camera published, the others received.

A :class:`GroupCall` lives for one attempt at being in the room: when the
session is lost or media stops for too long, :meth:`GroupCall.run` returns why,
the desk closes it and, after a pause, opens a new one (aiortc cannot restart
ICE, so a new connection is the only repair).

One watched feed silent on its own while the others still arrive (its connection
failed, or Janus hung it up) is watched again on a new connection after the same
time the whole room is given (``give_up_s``), then after twice as long each time up
to :data:`REWATCH_MAX` times: the others' media would otherwise hide it, and the
seniors would hear the speakers with city hall's picture gone for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kiosk.calls.connection import (
    Connection,
    FrameListener,
    IceServer,
    NewPeer,
    SilenceRule,
    new_connection,
)
from kiosk.calls.janus import JanusError, JanusSession
from kiosk.calls.videoroom import Feed, Publisher, Subscriber, read_event

if TYPE_CHECKING:
    from aiortc.mediastreams import MediaStreamTrack

log = logging.getLogger(__name__)

MAX_SHOWN = 5
"""The host large and up to four other centres small (the call screen's column holds
four beside the host; more would make each too small to see)."""
WATCH_S = 0.2
"""How often a call's or session's media is checked for silence."""
GIVE_UP_FACTOR = 5
"""Media silent for this many times ``no_media_s``: the connection is rebuilt."""
REWATCH_MAX = 8
"""A feed silent on its own waits at most this many times ``give_up_s`` before it is
watched again (a publisher that truly sends nothing costs a subscription that often)."""


class Watched:
    """One remote feed and the connection it arrives on."""

    def __init__(self, feed: Feed, subscriber: Subscriber, peer: Connection) -> None:
        self.feed = feed
        self.subscriber = subscriber
        self.peer = peer


class GroupCall:
    """One attempt at being in room *room*: publish, subscribe, watch."""

    def __init__(
        self,
        session: JanusSession,
        room: int,
        display: str,
        ice: Sequence[IceServer],
        host: str | None,
        on_frame: Callable[[int, str, object], None] | None = None,
        new_peer: NewPeer = new_connection,
        heard_only: bool = False,
        on_gone: Callable[[int], None] | None = None,
    ) -> None:
        """*heard_only*: watch only the feeds that carry sound (in a town meeting: the
        host and the speakers, not the centres the host only looks at); *on_gone(feed)*
        once a feed is no longer watched (its sound is no longer mixed)."""
        self._session = session
        self._room = room
        self._display = display
        self._ice = list(ice)
        self._host = host
        self._on_frame = on_frame
        self._new_peer = new_peer
        self._publisher: Publisher | None = None
        self.own: Connection | None = None
        self.sound = False
        """Whether what :attr:`own` sends has sound (a centre only looked at sends none)."""
        self._heard_only = heard_only
        self._on_gone = on_gone
        self.watched: dict[int, Watched] = {}
        self._waiting: list[Feed] = []
        self._rewatched: dict[int, int] = {}
        """Feed -> how many times it was watched again after falling silent on its own."""
        self._hangups_expected = 0
        """Janus hangs up our sending connection once for each time we stop sending."""
        self.changed: Callable[[], None] = lambda: None
        """Called when feeds come or go (the screen re-lays itself out)."""

    async def open(self, tracks: Sequence[MediaStreamTrack] | None) -> None:
        """Join as a publisher, send *tracks* (``None``: only watch, as a centre
        without the floor does), subscribe to those already there."""
        self._publisher = await Publisher.join(self._session, self._room, self._display)
        if tracks is not None:
            await self.speak(tracks)
        for feed in self._publisher.already:
            if self._wanted(feed):
                await self._subscribe(feed)

    @property
    def speaking(self) -> bool:
        """Whether the centre's camera (and microphone, if :attr:`sound`) go to the room."""
        return self.own is not None

    async def speak(self, tracks: Sequence[MediaStreamTrack]) -> None:
        """Send *tracks* to the room, on a connection of their own (nothing if sent
        already)."""
        assert self._publisher is not None
        if self.own is not None:
            for track in tracks:
                track.stop()
            return
        own = self.own = self._new_peer(self._ice, label=f"{self._display} publishing")
        own.send(*tracks)
        self.sound = any(track.kind == "audio" for track in tracks)
        try:
            answer = await self._publisher.publish(await own.offer(), self.sound)
            await own.accept(answer)
        except BaseException:
            if self.own is own:  # refused (or cancelled): not sending after all
                self.own = None
                await own.close()
            raise
        log.info(
            "room %d: %s sending %s",
            self._room,
            self._display,
            "camera and microphone" if self.sound else "camera only",
        )

    async def stop_speaking(self) -> None:
        """Stop sending: the room no longer sees or hears the centre, which goes on
        watching (:class:`JanusError` if Janus refused: still sending)."""
        own = self.own
        if own is None or self._publisher is None:
            return
        self._hangups_expected += 1
        try:
            await self._publisher.unpublish()
        except BaseException:
            # Still sending (Janus refuses to unpublish a feed whose media is not up
            # yet): the caller tries again; a lost session ends the attempt anyway.
            self._hangups_expected -= 1
            raise
        self.own = None
        await own.close()
        log.info("room %d: %s no longer sending", self._room, self._display)

    def shown(self) -> list[Watched]:
        """Feeds on screen, the host first."""
        feeds = sorted(
            self.watched.values(),
            key=lambda w: (w.feed.display != self._host, w.feed.id),
        )
        return feeds[:MAX_SHOWN]

    async def run(
        self, no_media_s: float, give_up_s: float, unsteady: Callable[[bool], None]
    ) -> str:
        """Follow the room until it breaks; returns why (``lost``, ``no media``, ``refused``).

        Media silent for *no_media_s* calls *unsteady(True)* (the screen says so)
        and keeps waiting, since a short outage heals by itself; silent for
        *give_up_s*, the connection is given up.
        """
        assert self._publisher is not None
        events = self._publisher.handle.events
        rule = SilenceRule(no_media_s, give_up_s, unsteady)
        while True:
            event = None
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that lands as the queue hands over an item.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_S):
                    event = await events.get()
            if event is not None:
                room = read_event(event)
                if room.kind == "lost":
                    return "lost"
                if room.kind == "hangup" and self._hangups_expected:
                    self._hangups_expected -= 1  # we stopped sending: we go on watching
                    continue
                if room.kind in ("hangup", "detached"):
                    return "refused"
                for feed in room.joined:
                    self._waiting.append(feed)
                for feed_id in room.left:
                    await self._unsubscribe(feed_id)
                if room.left:  # not waiting for one that has gone either
                    self._waiting = [f for f in self._waiting if f.id not in room.left]
            if rule.give_up(self._silence()):
                return "no media"
            await self._rewatch_silent(no_media_s, give_up_s)
            await self._subscribe_waiting()

    async def close(self) -> None:
        for feed_id in list(self.watched):
            await self._unsubscribe(feed_id)
        if self.own is not None:
            await self.own.close()
        if self._publisher is not None:
            with contextlib.suppress(JanusError):
                await self._publisher.leave()
            with contextlib.suppress(JanusError):
                await self._publisher.handle.detach()

    # --- internals -------------------------------------------------------------

    def _silence(self) -> float:
        """Seconds since anything arrived from the feeds we watch (0 with none)."""
        if not self.watched:
            return 0.0
        return min(w.peer.silence() for w in self.watched.values())

    async def _rewatch_silent(self, no_media_s: float, give_up_s: float) -> None:
        """Watch again, on a new connection, each feed silent on its own for longer
        than its turn (*give_up_s*, doubling with each time, at most
        :data:`REWATCH_MAX` times it) while another still arrives (the room silent for
        *no_media_s* is the whole connection's trouble: :meth:`run` gives it up). A
        feed that carries media again starts its turns over."""
        if self._silence() >= no_media_s:
            return
        for feed_id, watched in list(self.watched.items()):
            times = self._rewatched.get(feed_id, 0)
            silence = watched.peer.silence()
            if times and silence < no_media_s and self._came(watched):
                del self._rewatched[feed_id]  # mended: the next time waits give_up_s
                continue
            if silence < give_up_s * min(2**times, REWATCH_MAX):
                continue
            self._rewatched[feed_id] = times + 1
            log.warning(
                "room %d: nothing from %s for %.0f s while the others arrive: watching it again",
                self._room, watched.feed.display or feed_id, silence,
            )  # fmt: skip
            await self._unsubscribe(feed_id)
            self._waiting.append(watched.feed)

    @staticmethod
    def _came(watched: Watched) -> bool:
        """Whether anything has arrived on *watched*'s connection (a new one: not yet)."""
        return watched.peer.picture() is not None or watched.peer.sound() is not None

    async def _subscribe_waiting(self) -> None:
        # The host first: a newcomer never takes the last place from city hall's
        # picture (watched again, or not ready at first).
        waiting = sorted(self._waiting, key=lambda feed: feed.display != self._host)
        self._waiting = []
        for feed in waiting:
            if feed.id not in self.watched and self._wanted(feed) and len(self.watched) < MAX_SHOWN:
                await self._subscribe(feed)

    def _wanted(self, feed: Feed) -> bool:
        # The host is watched with or without sound (a host without a microphone).
        return feed.sound or not self._heard_only or feed.display == self._host

    async def _subscribe(self, feed: Feed) -> None:
        try:
            subscriber = await Subscriber.open(self._session, self._room, feed)
        except JanusError as err:
            if err.code == 428:  # not up yet: Janus names it again when it is
                log.info("feed %s not ready yet", feed.display)
                self._waiting.append(feed)
                return
            raise
        label = f"{self._display} watching {feed.display}"
        peer = self._new_peer(self._ice, self._frame_listener(feed.id), label=label)
        # Watched at once, so that close() closes it whatever happens next.
        self.watched[feed.id] = Watched(feed, subscriber, peer)
        await subscriber.start(await peer.answer(subscriber.offer))
        peer.mark_start()
        log.info("room %d: %s watching %s", self._room, self._display, feed.display or feed.id)
        self.changed()

    async def _unsubscribe(self, feed_id: int) -> None:
        watched = self.watched.get(feed_id)
        if watched is None:
            return
        await watched.peer.close()
        self.watched.pop(feed_id, None)  # only now: a cancelled close is finished by close()
        if self._on_gone is not None:
            self._on_gone(feed_id)
        with contextlib.suppress(JanusError):
            await watched.subscriber.close()
        log.info("room %d: %s left", self._room, watched.feed.display or feed_id)
        self.changed()

    def _frame_listener(self, feed_id: int) -> FrameListener | None:
        listener = self._on_frame
        if listener is None:
            return None
        return lambda kind, frame: listener(feed_id, kind, frame)
