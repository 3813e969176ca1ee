"""The one module that imports PySide6 (a ruff rule bans it elsewhere)."""

import linecache
import sys
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QEventLoop,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
    qVersion,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QAbstractButton",
    "QApplication",
    "QCloseEvent",
    "QColor",
    "QEvent",
    "QEventLoop",
    "QFont",
    "QFontMetrics",
    "QFontMetricsF",
    "QGridLayout",
    "QHBoxLayout",
    "QImage",
    "QKeyEvent",
    "QLabel",
    "QListWidget",
    "QListWidgetItem",
    "QMouseEvent",
    "QObject",
    "QPaintEvent",
    "QPainter",
    "QPainterPath",
    "QPen",
    "QPoint",
    "QPointF",
    "QProgressBar",
    "QRect",
    "QRectF",
    "QResizeEvent",
    "QShowEvent",
    "QSize",
    "QSizePolicy",
    "QStackedWidget",
    "QSvgRenderer",
    "QTimer",
    "QVBoxLayout",
    "QWidget",
    "Qt",
    "Signal",
    "SignalInstance",
    "qVersion",
]


def _mentions_pyside(module: object) -> bool:
    """Whether *module*'s source mentions PySide6: what PySide6's import hook asks of
    every module imported after it (for ``from __feature__ import``). PySide6 asks
    through ``inspect.getsource``, and linecache then keeps the lines of every module
    the kiosk imports (~12 MB, measured); this gives the same answer and keeps nothing."""
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    if not origin.endswith(".py"):
        return False
    try:
        return b"PySide6" in Path(origin).read_bytes()
    except OSError:
        return False


def _forget_sources() -> None:
    """Swap PySide6's check for :func:`_mentions_pyside` (its private
    ``support.feature._mod_uses_pyside``, PySide6 6.10; where it is missing nothing
    changes but the memory: ``tests/ui/test_qt_memory.py`` notices) and drop what it
    cached already."""
    feature = sys.modules.get("PySide6.support.feature")
    if feature is not None and hasattr(feature, "_mod_uses_pyside"):
        setattr(feature, "_mod_uses_pyside", _mentions_pyside)  # noqa: B010 - private
    linecache.clearcache()


_forget_sources()
