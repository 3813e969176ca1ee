"""The header (centre name, date, time) and the status strip (camera,
microphone, speaker, network) shown above and below every screen."""

import datetime as dt

from kiosk.i18n import Strings
from kiosk.status import Level, Status
from kiosk.ui.paint import draw_icon
from kiosk.ui.qt import (
    QColor,
    QFontMetrics,
    QHBoxLayout,
    QLabel,
    QPainter,
    QPaintEvent,
    QRectF,
    Qt,
    QWidget,
)
from kiosk.ui.theme import Theme

MISSING_COLOUR = "#A11D17"
"""Background of an indicator whose device is missing (white text on it: 7.8:1)."""
UNKNOWN_TEXT = "#C3CCDA"
"""Text of an indicator nobody has checked yet (on the background: over 10:1)."""


def _label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
    return label


class Header(QWidget):
    """Centre name on the left, today's date and the time on the right."""

    def __init__(
        self, centre_name: str, strings: Strings, theme: Theme, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.centre = _label(self)
        self.centre.setText(centre_name)
        self.date = _label(self)
        self.time = _label(self)
        self._row = QHBoxLayout(self)
        self._row.addWidget(self.centre)
        self._row.addStretch(1)
        self._row.addWidget(self.date)
        self._row.addSpacing(40)
        self._row.addWidget(self.time)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.centre.setFont(theme.font("header"))
        self.date.setFont(theme.font("clock", bold=False))
        self.time.setFont(theme.font("clock"))
        style = f"color: {theme.display.text};"
        self.centre.setStyleSheet(style)
        self.date.setStyleSheet(style)
        self.time.setStyleSheet(f"color: {theme.display.accent};")
        pad = theme.px(36)
        self._row.setContentsMargins(pad, theme.px(18), pad, theme.px(6))
        self.setFixedHeight(theme.px(110))

    def show_time(self, moment: dt.datetime) -> None:
        self.date.setText(self.strings.date(moment))
        self.time.setText(self.strings.time(moment))


class StatusItem(QWidget):
    """One indicator: a picture and a word; a missing device turns it red."""

    def __init__(self, icon: str, text: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = icon
        self.text = text
        self.theme = theme
        self.level = Level.UNKNOWN
        self.setAccessibleName(text)

    def set_level(self, level: Level) -> None:
        self.level = level
        self.update()

    def needed_width(self) -> int:
        """Picture, gap and the whole word in the current font: nothing is cut off."""
        theme = self.theme
        icon = round(theme.px(64) * 0.7)
        text = QFontMetrics(self.font()).horizontalAdvance(self.text)
        return theme.px(10) + icon + theme.px(22) + text + theme.px(24)

    def text_colour(self) -> str:
        return UNKNOWN_TEXT if self.level is Level.UNKNOWN else self.theme.display.text

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme = self.theme
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        if self.level is Level.MISSING:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(MISSING_COLOUR))
            painter.drawRoundedRect(rect, theme.px(12), theme.px(12))
        if self.level is Level.UNKNOWN:
            painter.setOpacity(0.7)
        side = rect.height() * 0.7
        icon = QRectF(rect.x() + theme.px(10), rect.center().y() - side / 2, side, side)
        draw_icon(painter, theme.icon(f"status-{self.icon}"), icon)
        painter.setOpacity(1.0)
        painter.setPen(QColor(self.text_colour()))
        painter.setFont(self.font())
        text_rect = rect.adjusted(icon.width() + theme.px(22), 0, 0, 0)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter), self.text)
        painter.end()


class StatusStrip(QWidget):
    """Camera, microphone, speaker and network at a glance, and a notice for technicians."""

    def __init__(self, strings: Strings, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items = {
            "camera": StatusItem("camera", strings["status_camera"], theme, self),
            "microphone": StatusItem("microphone", strings["status_microphone"], theme, self),
            "speaker": StatusItem("speaker", strings["status_speaker"], theme, self),
            "network": StatusItem("network", strings["status_network"], theme, self),
        }
        self.notice = _label(self)
        self.notice_text = strings["status_config"]
        self._row = QHBoxLayout(self)
        for item in self.items.values():
            self._row.addWidget(item)
            self._row.addSpacing(theme.px(30))
        self._row.addStretch(1)
        self._row.addWidget(self.notice)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        font = theme.font("status")
        for item in self.items.values():
            item.theme = theme
            item.setFont(font)
            item.setFixedSize(item.needed_width(), theme.px(64))
        self.notice.setFont(font)
        self.notice.setStyleSheet(f"color: {theme.display.accent};")
        pad = theme.px(36)
        self._row.setContentsMargins(pad, 0, pad, theme.px(10))
        self.setFixedHeight(theme.px(78))

    def show_status(self, status: Status) -> None:
        self.items["camera"].set_level(status.camera)
        self.items["microphone"].set_level(status.microphone)
        self.items["speaker"].set_level(status.speaker)
        self.items["network"].set_level(status.network)
        self.notice.setText(f"⚠ {self.notice_text}" if status.config_problem else "")
