"""The call's camera, microphone and speaker, built when the first call needs them.

:class:`kiosk.calls.local.DeviceMedia` loads PyAV and aiortc and starts a speaker
thread; a box waiting for a call needs none of it. :class:`DeferredDeviceMedia`
keeps the device choice as it changes and builds the real thing at the first call
(by then :func:`kiosk.calls.connection.load_media_stack` has loaded its libraries).
Qt-free; GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.devices.policy import Choice

if TYPE_CHECKING:
    from aiortc.mediastreams import MediaStreamTrack
    from av import AudioFrame

    from kiosk.calls.local import DeviceMedia


class DeferredDeviceMedia:
    """A :class:`kiosk.calls.desk.LocalMedia` that is :class:`DeviceMedia` from the
    first call on."""

    def __init__(self) -> None:
        self.choice = Choice(None, None, None)
        self.built: DeviceMedia | None = None

    def use(self, choice: Choice) -> None:
        """The devices chosen now (followed during a call too)."""
        self.choice = choice
        if self.built is not None:
            self.built.use(choice)

    def tracks(self) -> tuple[MediaStreamTrack, MediaStreamTrack]:
        return self._media().tracks()

    def picture(self) -> MediaStreamTrack:
        return self._media().picture()

    def hear(self, source: object, frame: AudioFrame) -> None:
        self._media().hear(source, frame)

    def silence(self) -> None:
        if self.built is not None:
            self.built.silence()

    def forget(self, source: object) -> None:
        if self.built is not None:
            self.built.forget(source)

    def change_volume(self, delta: int) -> int:
        return self._media().change_volume(delta)

    def _media(self) -> DeviceMedia:
        if self.built is None:
            from kiosk.calls.local import DeviceMedia

            self.built = DeviceMedia()
            self.built.use(self.choice)
        return self.built
