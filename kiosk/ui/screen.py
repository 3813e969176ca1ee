"""Putting windows on the screen, and stopping cleanly: the Qt side of ``kiosk run``."""

import logging
import signal
import threading
from collections.abc import Callable

from kiosk.ui.qt import (
    QApplication,
    QCloseEvent,
    QEvent,
    QEventLoop,
    QObject,
    Qt,
    QTimer,
    QWidget,
    Signal,
    SignalInstance,
)

log = logging.getLogger(__name__)


def present(window: QWidget, app: QApplication, windowed: bool, show_cursor: bool) -> None:
    """Full screen, frameless, on top and without a cursor, unless *windowed*."""
    if windowed:
        window.resize(1280, 720)
        window.show()
    else:
        window.setProperty("locked", True)
        if show_cursor:
            while app.overrideCursor() is not None:
                app.restoreOverrideCursor()
        elif app.overrideCursor() is None:
            app.setOverrideCursor(Qt.CursorShape.BlankCursor)
        window.setWindowFlags(
            Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        )
        screen = app.primaryScreen()
        if screen is not None:
            window.setGeometry(screen.geometry())
        window.showFullScreen()
    window.activateWindow()


def refuse_if_locked(window: QWidget, event: QCloseEvent) -> bool:
    """A full-screen kiosk window refuses to close: a stray Alt+F4 must not leave a
    senior at an empty screen (the process still ends on SIGTERM)."""
    if window.property("locked"):
        log.info("close request ignored: the kiosk stays on screen")
        event.ignore()
        return True
    return False


class _FirstFrame(QObject):
    painted = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() is QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # Queued: fires once this paint has been done and flushed.
            QTimer.singleShot(0, self.painted.emit)
        return False


def wait_first_frame(window: QWidget, timeout_ms: int = 10_000) -> None:
    """Return once *window* has painted its first frame (no screen: after *timeout_ms*)."""
    watcher = _FirstFrame(window)
    window.installEventFilter(watcher)
    wait_for(watcher.painted, timeout_ms)


def wait_for(signal_: SignalInstance, timeout_ms: int) -> None:
    """Run the Qt loop until *signal_* fires (or *timeout_ms* passes, or the app exits)."""
    waiting = QEventLoop()
    signal_.connect(waiting.quit)
    QTimer.singleShot(timeout_ms, waiting.quit)
    waiting.exec()


class StopRequest:
    """SIGTERM/SIGINT end the kiosk cleanly at any stage.

    Python runs the handler at its next bytecode (the one-second tick at the
    latest). Before the main loop runs, the request ends any local Qt loop and
    is remembered (:attr:`requested`); once it runs, :attr:`on_stop` is called.
    """

    def __init__(self, app: QApplication) -> None:
        self.requested = threading.Event()
        self.on_stop: Callable[[], None] | None = None
        self._app = app
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        log.info("stopping on signal %d", signum)
        self.requested.set()
        if self.on_stop is not None:
            self.on_stop()
        else:
            # exit(), not quit(): quit() asks the windows first, and the kiosk's refuses.
            QTimer.singleShot(0, lambda: self._app.exit(0))
