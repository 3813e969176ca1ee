"""The header (centre name, date, time) and the status strip (camera,
microphone, speaker, network) shown above and below every screen."""

import datetime as dt
from math import ceil

from kiosk.i18n import Strings
from kiosk.status import Level, Status
from kiosk.ui.paint import DrawnText, draw_icon, draw_text, largest_fitting, text_block
from kiosk.ui.qt import (
    QColor,
    QFont,
    QFontMetrics,
    QHBoxLayout,
    QLabel,
    QPainter,
    QPaintEvent,
    QRect,
    QRectF,
    QResizeEvent,
    Qt,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme

MISSING_COLOUR = "#A11D17"
"""Background of an indicator whose device is missing (white text on it: 7.8:1)."""
UNKNOWN_TEXT = "#C3CCDA"
"""Text of an indicator nobody has checked yet (on the background: over 10:1)."""


def _label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
    return label


class Header(QWidget):
    """Centre name on the left, today's date and the time on the right.

    The time keeps its size; where the screen is too narrow for all three (a 4:3
    screen, a long centre name), the date gets smaller first, then the centre's name,
    never under :data:`MIN_TEXT_PX`; if that is not enough, the date gives way.
    """

    def __init__(
        self, centre_name: str, strings: Strings, theme: Theme, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.centre = _label(self)
        self.centre.setText(centre_name)
        self.date = _label(self)
        self.time = _label(self)
        self._row = QHBoxLayout(self)
        self._row.setSpacing(0)
        self._row.addWidget(self.centre)
        self._row.addStretch(1)
        self._row.addWidget(self.date)
        self._row.addWidget(self.time)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style = f"color: {theme.display.text};"
        self.centre.setStyleSheet(style)
        self.date.setStyleSheet(style)
        self.time.setStyleSheet(f"color: {theme.display.accent};")
        pad = theme.px(36)
        self._row.setContentsMargins(pad, theme.px(18), pad, theme.px(6))
        for label in (self.date, self.time):  # a gap before each
            label.setContentsMargins(theme.px(40), 0, 0, 0)
        self.setFixedHeight(theme.px(110))
        self._fit()

    def show_time(self, moment: dt.datetime) -> None:
        self.date.setText(self.strings.date(moment))
        self.time.setText(self.strings.time(moment))
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Font sizes for the centre, date and time that fit the header's width."""
        theme = self.theme
        centre, date, time = theme.font("header"), theme.font("clock", False), theme.font("clock")
        smallest = theme.px(MIN_TEXT_PX)
        margins = self._row.contentsMargins()
        gaps = margins.left() + margins.right() + 2 * theme.px(40)
        room = self.width() - gaps - _width(self.time.text(), time)
        name, today = self.centre.text(), self.date.text()
        date_size = _fitted(today, date, room - _width(name, centre), smallest)
        centre_size: int | None = centre.pixelSize()
        if date_size is None:
            date_size = smallest
            date.setPixelSize(smallest)
            centre_size = _fitted(name, centre, room - _width(today, date), smallest)
        if centre_size is None:  # not even both at the smallest size: the date gives way
            date_size = None
            centre_size = _fitted(name, centre, room, smallest) or smallest
        date.setPixelSize(date_size or smallest)
        centre.setPixelSize(centre_size)
        self.date.setVisible(date_size is not None)
        for label, font in ((self.centre, centre), (self.date, date), (self.time, time)):
            if label.font() != font:
                label.setFont(font)


def _width(text: str, font: QFont) -> int:
    """The width a one-line QLabel asks for *text* in *font* (whole pixels, as it counts)."""
    room = QRect(0, 0, 1_000_000, 1_000)
    return QFontMetrics(font).boundingRect(room, int(Qt.AlignmentFlag.AlignLeft), text).width()


def _fitted(text: str, font: QFont, room: float, smallest: int) -> int | None:
    """The largest size from *font*'s down to *smallest* at which *text* fits *room* on
    one line; None if none does."""
    font = QFont(font)

    def fits(size: int) -> bool:
        font.setPixelSize(size)
        return _width(text, font) <= room

    return largest_fitting(fits, max(font.pixelSize(), smallest), smallest)


class StatusItem(QWidget):
    """One indicator: a picture and a word; a missing device turns it red."""

    def __init__(self, icon: str, text: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = icon
        self.text = text
        self.theme = theme
        self.level = Level.UNKNOWN
        self.drawn: list[DrawnText] = []
        """The text of the last paint (read by accessibility checks)."""
        self.setAccessibleName(text)

    def set_level(self, level: Level) -> None:
        self.level = level
        self.update()

    def needed_width(self) -> int:
        """Picture, gap and the whole word in the current font: nothing is cut off."""
        theme = self.theme
        icon = round(theme.px(64) * 0.7)
        advance = QFontMetrics(self.font()).horizontalAdvance(self.text)
        text = max(advance, ceil(text_block(self.text, self.font(), 1e6, wrap=False).width()))
        return theme.px(10) + icon + theme.px(22) + text + theme.px(12)

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
        text_rect = rect.adjusted(theme.px(10) + icon.width() + theme.px(22), 0, 0, 0)
        self.drawn = []
        draw_text(painter, text_rect, int(Qt.AlignmentFlag.AlignVCenter), self.text, self.drawn)
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
        # Packed to the left, a little apart: a 4:3 screen has room for them all.
        self._row.setSpacing(theme.px(24))
        self.setFixedHeight(theme.px(78))

    def show_status(self, status: Status) -> None:
        self.items["camera"].set_level(status.camera)
        self.items["microphone"].set_level(status.microphone)
        self.items["speaker"].set_level(status.speaker)
        self.items["network"].set_level(status.network)
        self.notice.setText(f"⚠ {self.notice_text}" if status.config_problem else "")
