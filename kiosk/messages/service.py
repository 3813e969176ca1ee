"""Video messages as one service of the running kiosk. Qt-free; GUI thread.

Built by the composition root: the spool in ``STATE/messages`` (tidied at start),
the message screen's desk behind the "message" tile, and the uploader, which sends
as the box's identity to city hall's identity service (an enrolled box; before
enrolment messages wait on disk). The home screen's message tile carries a badge
(:meth:`MessageService.badge`): "시청에서 확인했습니다" once staff handled a message,
until the tile is pressed; else "시청에 보냈습니다" while one delivered waits.
"""

import asyncio
import logging
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.devices import policy
from kiosk.devices.model import Device
from kiosk.messages.cityhall import CityHall, CityHallMessages
from kiosk.messages.desk import MessageDesk
from kiosk.messages.recorder import Recording, record_command, watch
from kiosk.messages.spool import Message, Spool, State
from kiosk.messages.uploader import MessageUploader
from kiosk.navigation import Navigator, Screen, View
from kiosk.paths import Paths
from kiosk.status import StatusBoard
from kiosk.work import Worker
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.model import Tile

log = logging.getLogger(__name__)

DeviceInput = Callable[[Device], Sequence[str]]


class MessageService:
    """A service (:mod:`kiosk.services`) from :meth:`start` to :meth:`close`.

    *identity_url*: city hall's identity service (the enrolment's; ``None``: not
    enrolled, nothing is sent); *tls*: the box's TLS context, asked at each request.
    *camera_input* and *microphone_input* say how ffmpeg reads a device (the tests
    give generated pictures and tones)."""

    def __init__(
        self,
        paths: Paths,
        navigator: Navigator,
        status: StatusBoard,
        loop: asyncio.AbstractEventLoop,
        identity_url: str | None,
        tls: Callable[[], ssl.SSLContext | None],
        camera_input: DeviceInput = policy.camera_input,
        microphone_input: DeviceInput = policy.microphone_input,
    ) -> None:
        self.spool = Spool(paths.state / "messages")
        try:
            self.spool.tidy()
        except OSError as err:  # the kiosk runs on; recording will say it cannot
            log.error("messages: cannot use %s: %s", self.spool.root, err)
        self._inputs = (camera_input, microphone_input)
        self._loop = loop
        self._worker = Worker("kiosk-messages", loop)
        self._self_view = Worker("kiosk-message-self-view", loop, threads=2)
        """Reads each recording's self-view for as long as it runs."""
        hall = CityHallMessages(identity_url, tls) if identity_url else None

        def city_hall() -> CityHall | None:
            return hall

        self.uploader = MessageUploader(self.spool, city_hall, self._changed, self._changed)
        self.desk = MessageDesk(
            self.spool,
            lambda: status.status.choice,
            self._record,
            self._worker.run,
            self._queued,
            navigator.go_home,
            navigator.note_input,
        )
        self._listeners: list[Callable[[str], None]] = []
        self._badge = self._read_badge()
        navigator.set_opener("message", self.open_tile)
        self._forget = navigator.subscribe(self._view_changed)

    def start(self) -> None:
        """Start sending (the loop need not run yet)."""
        self.uploader.start(self._loop)

    def open_tile(self, tile: Tile) -> Screen:
        """The message tile (or "의견 남기기" after an unanswered call): its screen. What
        staff handled has now been seen."""
        for message in self.spool.in_state(State.HANDLED):
            self.spool.said(message)
        self._changed()
        self.desk.open()
        return Screen.MESSAGE

    @property
    def badge(self) -> str:
        """Strings key of the message tile's badge ('' for none)."""
        return self._badge

    def subscribe_badge(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """*listener* gets each new badge key; returns the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def reconfigure(self, config: KioskConfig) -> None:
        self.uploader.reconfigure(config)

    async def close(self) -> None:
        """Stop recording and sending. Safe to call twice."""
        self._forget()
        self._forget = lambda: None
        self.desk.leave()
        self._worker.close()
        self._self_view.close()
        await self.uploader.close()

    def _record(self, choice: policy.Choice, out: Path) -> Recording:
        camera_input, microphone_input = self._inputs
        assert choice.microphone is not None
        camera = camera_input(choice.camera) if choice.camera is not None else None
        command = record_command(
            camera, microphone_input(choice.microphone), out, preview=camera is not None
        )
        recording = Recording(command, out)
        watch(recording, self._self_view, self._loop, self.desk.show_preview)
        return recording

    def _queued(self, message: Message) -> None:
        self.uploader.wake()

    def _view_changed(self, view: View) -> None:
        if view.screen is not Screen.MESSAGE:
            self.desk.leave()

    def _read_badge(self) -> str:
        states = {message.state for message in self.spool.messages()}
        if State.HANDLED in states:
            return "message_handled"
        return "message_delivered" if State.DELIVERED in states else ""

    def _changed(self, message: Message | None = None) -> None:
        badge = self._read_badge()
        if badge != self._badge:
            self._badge = badge
            for listener in list(self._listeners):
                listener(badge)
