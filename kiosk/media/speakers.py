"""Programmes, voice prompts and the ring follow the chosen speaker. Qt-free.

Calls follow it themselves (:class:`kiosk.calls.local.DeviceMedia`).
"""

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from kiosk.status import Status, StatusBoard
from kiosk_contract.config import KioskConfig

log = logging.getLogger(__name__)


class SpeakerUser(Protocol):
    def use_speaker(self, device: str) -> None:
        """Play on the ALSA *device* from now on (also once the player has started)."""


class SpeakerFollower:
    """Tells every :class:`SpeakerUser` when the chosen speaker changes; a service
    (:mod:`kiosk.services`) from :meth:`start` to :meth:`close`. GUI thread."""

    def __init__(self, status: StatusBoard, users: Sequence[SpeakerUser]) -> None:
        self._status = status
        self._users = list(users)
        self._device: str | None = None
        self._forget: Callable[[], None] = _nothing

    def start(self) -> None:
        self._forget = self._status.subscribe(self.follow)
        self.follow(self._status.status)

    def follow(self, status: Status) -> None:
        speaker = status.choice.speaker
        if speaker is None or speaker.node == self._device:
            return  # none attached: keep the last (sound comes back when it does)
        self._device = speaker.node
        log.info("sound goes to %s (%s)", speaker.label, speaker.node)
        for user in self._users:
            user.use_speaker(speaker.node)

    def reconfigure(self, config: KioskConfig) -> None:
        """Nothing to read: the choice itself follows the device policy (the device watch)."""

    async def close(self) -> None:
        self._forget()
        self._forget = _nothing


def _nothing() -> None:
    pass
