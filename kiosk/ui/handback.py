"""Handing work's results back to the GUI thread before (or without) the asyncio loop:
the Qt side of :class:`kiosk.work.HandBack`."""

from collections.abc import Callable

from kiosk.ui.qt import QObject, Signal


class QtHandBack(QObject):
    """``call_soon_threadsafe`` through a queued Qt signal: the callback runs on the
    thread this object lives on (create it on the GUI thread). Works before qasync's
    loop exists (the enrolment screen) and alongside it."""

    _called = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._called.connect(self._call)

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: object) -> None:
        self._called.emit(callback, args)

    def _call(self, callback: Callable[..., object], args: tuple[object, ...]) -> None:
        callback(*args)
