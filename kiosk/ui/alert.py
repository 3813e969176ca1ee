"""City hall's alert over the whole screen, and as a banner on the call page.

The page shows what :class:`kiosk.alerts.AlertScreens` names and forwards its one
button, 확인. Each level has its colours (red 긴급, amber 주의, blue 안내), the same on
every box whatever the centre's theme: city hall's warnings look alike everywhere.
The text is as large as fits, never cut; a picture, if the alert has one, stands
beside it while the text still fits large (else the text takes the whole width).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.i18n import Strings
from kiosk.ui.paint import (
    DrawnText,
    draw_focus_ring,
    draw_text,
    fitted_size,
    largest_fitting,
    text_block,
)
from kiosk.ui.qt import (
    QAbstractButton,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPointF,
    QRectF,
    Qt,
    QTimer,
    QWidget,
)
from kiosk.ui.theme import MIN_TEXT_PX, Theme
from kiosk_contract.fleet import Alert, Level


@dataclass(frozen=True)
class Palette:
    """One level's colours (each text on its fill reaches at least 7:1)."""

    fill: str
    text: str
    button: str
    button_text: str


PALETTES = {
    Level.EMERGENCY: Palette("#991B1B", "#FFFFFF", "#FFE14D", "#0B1426"),
    Level.CAUTION: Palette("#F59E0B", "#111827", "#0B1426", "#FFFFFF"),
    Level.INFO: Palette("#1E3A8A", "#FFFFFF", "#FFE14D", "#0B1426"),
}

BANNER_CHARS = 60
"""The most of an alert's text the call page's banner shows (two lines on any screen)."""
WRAPPED_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
CENTRED = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap


def first_words(text: str, most: int) -> str:
    """*text* whole if it is at most *most* characters, else its words up to that
    many and "…" (never a word cut in half, unless the first is longer)."""
    line = " ".join(text.split())
    if len(line) <= most:
        return line
    cut = line.rfind(" ", 0, most + 1)
    return line[: cut if cut > 0 else most].rstrip(" ,.:·") + "…"


def level_word(strings: Strings, level: Level) -> str:
    """긴급 / 주의 / 안내, in *strings*' language."""
    return strings[f"alert_level_{level.value}"]


def fit_and_draw(
    painter: QPainter,
    rect: QRectF,
    flags: int,
    text: str,
    font: QFont,
    smallest: int,
    drawn: list[DrawnText],
) -> int:
    """Draw *text* in *rect* at the largest size from *font*'s down to *smallest* at
    which it fits whole (wrapped between words when *flags* say so); returns the size."""
    wrap = bool(flags & Qt.TextFlag.TextWordWrap.value)
    largest = font.pixelSize()
    size = fitted_size(
        text, font, rect.width(), rect.height(), largest, min(smallest, largest), wrap
    )
    font.setPixelSize(min(smallest, largest) if size is None else size)
    painter.setFont(font)
    draw_text(painter, rect, flags, text, drawn)
    return font.pixelSize()


def _pair_fonts(font: QFont, size: int, smallest: int) -> tuple[QFont, QFont]:
    first, second = QFont(font), QFont(font)
    first.setPixelSize(size)
    second.setBold(False)
    second.setPixelSize(max(round(size * 0.6), smallest))
    return first, second


def _pair_blocks(texts: tuple[str, str], fonts: tuple[QFont, QFont], width: float) -> list[QRectF]:
    return [text_block(t, f, width) for t, f in zip(texts, fonts, strict=True) if t]


def pair_size(rect: QRectF, first: str, second: str, font: QFont, smallest: int) -> int | None:
    """The largest size from *font*'s down to *smallest* at which *first*, and *second*
    under it at three fifths of that size, both fit wrapped in *rect*; ``None``: none."""
    gap = smallest / 3

    def fits(size: int) -> bool:
        laid = _pair_blocks((first, second), _pair_fonts(font, size, smallest), rect.width())
        height = sum(b.height() for b in laid) + gap * (len(laid) - 1)
        return max(b.width() for b in laid) <= rect.width() and height <= rect.height()

    return largest_fitting(fits, font.pixelSize(), min(smallest, font.pixelSize()))


def fit_pair(
    painter: QPainter,
    rect: QRectF,
    first: str,
    second: str,
    font: QFont,
    smallest: int,
    drawn: list[DrawnText],
    centred: bool = True,
) -> int:
    """Draw *first*, and under it *second* (an English line, say) smaller and not bold,
    at :func:`pair_size` (or *smallest*); the pair in the middle of *rect* (*centred*)
    or at its top. Returns *first*'s size."""
    size = pair_size(rect, first, second, font, smallest) or min(smallest, font.pixelSize())
    fonts = _pair_fonts(font, size, smallest)
    laid = _pair_blocks((first, second), fonts, rect.width())
    gap = smallest / 3
    height = sum(b.height() for b in laid) + gap * (len(laid) - 1)
    top = rect.top() + (max(rect.height() - height, 0) / 2 if centred else 0)
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
    for text, used, block in zip((first, second), fonts, laid, strict=False):
        spot = QRectF(rect.left(), top, rect.width(), block.height() + 1)
        painter.setFont(used)
        draw_text(painter, spot, flags, text, drawn)
        top = spot.bottom() + gap
    return size


def draw_level_sign(
    painter: QPainter, rect: QRectF, level: Level, colour: QColor, inside: QColor
) -> None:
    """The level's sign, drawn (no font has to carry it): a warning triangle with an
    exclamation mark for 긴급 and 주의, a disc with an "i" for 안내."""
    side = min(rect.width(), rect.height())
    box = QRectF(0, 0, side, side)
    box.moveCenter(rect.center())
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if level is Level.INFO:
        painter.drawEllipse(box)
        stroke, bar_top, dot_top = 0.13, 0.4, 0.2  # "i": the dot above the bar
    else:
        path = QPainterPath()
        path.moveTo(QPointF(box.center().x(), box.top()))
        path.lineTo(QPointF(box.right(), box.bottom()))
        path.lineTo(QPointF(box.left(), box.bottom()))
        path.closeSubpath()
        painter.drawPath(path)
        stroke, bar_top, dot_top = 0.11, 0.33, 0.76  # "!": the dot below the bar
    painter.setBrush(inside)
    bar = side * stroke
    x = box.center().x() - bar / 2
    painter.drawRoundedRect(
        QRectF(x, box.top() + side * bar_top, bar, side * 0.37), bar / 3, bar / 3
    )
    painter.drawEllipse(QRectF(x, box.top() + side * dot_top, bar, bar))


def load_picture(picture: bytes | Path | None) -> QImage | None:
    """A picture from its bytes or its file; ``None`` if there is none or it is not one."""
    if picture is None:
        return None
    image = QImage.fromData(picture) if isinstance(picture, bytes) else QImage(str(picture))
    return None if image.isNull() else image


def draw_picture(painter: QPainter, image: QImage, rect: QRectF) -> QRectF:
    """*image* as large as fits in *rect*, centred, its proportions kept; where it went."""
    scale = min(rect.width() / image.width(), rect.height() / image.height())
    target = QRectF(0, 0, image.width() * scale, image.height() * scale)
    target.moveCenter(rect.center())
    painter.drawImage(target, image)
    return target


class ConfirmButton(QAbstractButton):
    """The one big 확인: always in the focus ring, since Enter presses it."""

    def __init__(self, text: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.palette_ = PALETTES[Level.EMERGENCY]
        self.setText(text)
        self.setAccessibleName(text)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.drawn: list[DrawnText] = []
        """The text of the last paint (read by accessibility checks)."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        theme, colours = self.theme, self.palette_
        ring = theme.focus_width
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect())
        body = outer.adjusted(ring * 2, ring * 2, -ring * 2, -ring * 2)
        fill = QColor(colours.button)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill.darker(120) if self.isDown() else fill)
        painter.drawRoundedRect(body, theme.px(28), theme.px(28))
        draw_focus_ring(painter, outer, QColor(colours.text), ring)
        painter.setPen(QColor(colours.button_text))
        self.drawn = []
        text = body.adjusted(theme.px(20), 0, -theme.px(20), 0)
        fit_and_draw(
            painter,
            text,
            int(Qt.AlignmentFlag.AlignCenter),
            self.text(),
            theme.sized_font(theme.px(120)),
            theme.px(MIN_TEXT_PX),
            self.drawn,
        )
        painter.end()


class AlertPage(QWidget):
    """The ALERT screen: the level in its colour and words, the text very large, the
    picture if any, how many more wait, and 확인."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        on_confirm: Callable[[], object],
        on_painted: Callable[[str], object],
        zone: Callable[[], dt.tzinfo | None],
        parent: QWidget | None = None,
    ) -> None:
        """*on_painted*: told the alert's key once it has been painted; *zone*: the
        centre's time zone (for when the alert was issued)."""
        super().__init__(parent)
        self.strings = strings
        self.english = Strings("en")
        """For the English line under the Korean words (``display.show_english``)."""
        self.theme = theme
        self._on_painted = on_painted
        self._zone = zone
        self.alert: Alert | None = None
        self.key = ""
        self.more = 0
        self.picture: QImage | None = None
        self.picture_shown = False
        """Whether the last paint had room for the picture (read by tests)."""
        self._reported = ""
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self.confirm = ConfirmButton(strings["alert_ok"], theme, self)
        self.confirm.clicked.connect(on_confirm)

    def show_alert(self, key: str, alert: Alert | None, more: int) -> None:
        """Show *alert* (named *key* by the navigator), with *more* waiting behind it."""
        if key != self.key:
            self.picture = load_picture(alert.picture if alert is not None else None)
        self.key, self.alert, self.more = key, alert, more
        if alert is not None:
            self.confirm.palette_ = PALETTES[alert.level]
        self._place()
        self.update()
        self.confirm.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.confirm.theme = theme
        self._place()
        self.update()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        self._place()

    def _place(self) -> None:
        px = self.theme.px
        width = min(self.width() - 2 * px(40), px(1000))
        height = px(230)
        self.confirm.setGeometry(
            (self.width() - width) // 2, self.height() - px(30) - height, width, height
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        alert, theme, strings = self.alert, self.theme, self.strings
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.drawn = []
        if alert is None:
            painter.fillRect(self.rect(), theme.background)
            painter.end()
            return
        colours = PALETTES[alert.level]
        painter.fillRect(self.rect(), QColor(colours.fill))
        px, smallest = theme.px, theme.px(MIN_TEXT_PX)
        margin = px(40)
        area = QRectF(self.rect()).adjusted(margin, px(24), -margin, 0)
        band = QRectF(area.left(), area.top(), area.width(), px(170))
        self._draw_band(painter, band, alert, colours)
        bottom = float(self.confirm.geometry().top() - px(20))
        if self.more:
            line = QRectF(area.left(), bottom - px(70), area.width(), px(70))
            painter.setPen(QColor(colours.text))
            more = strings["alert_more"].format(count=self.more)
            fit_and_draw(
                painter,
                line,
                int(CENTRED),
                more,
                theme.font("detail", bold=False),
                smallest,
                self.drawn,
            )
            bottom = line.top() - px(10)
        body = QRectF(
            area.left(), band.bottom() + px(24), area.width(), bottom - band.bottom() - px(24)
        )
        self._draw_body(painter, body, alert, colours)
        painter.end()
        if self.key != self._reported:
            self._reported = key = self.key
            QTimer.singleShot(0, lambda: self._on_painted(key))

    def _draw_band(self, painter: QPainter, band: QRectF, alert: Alert, colours: Palette) -> None:
        """The sign, the level's word (its English beside it), and who sent it when."""
        theme, strings, px = self.theme, self.strings, self.theme.px
        smallest = px(MIN_TEXT_PX)
        text = QColor(colours.text)
        sign = QRectF(band.left(), band.top(), band.height(), band.height())
        inset = sign.adjusted(px(8), px(8), -px(8), -px(8))
        draw_level_sign(painter, inset, alert.level, text, QColor(colours.fill))
        painter.setPen(text)
        word = level_word(strings, alert.level)
        word_font = theme.sized_font(px(140))
        word_rect = QRectF(sign.right() + px(24), band.top(), band.width(), band.height())
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        word_width = text_block(word, word_font, 1e6, wrap=False).width()
        word_rect.setWidth(word_width + 2)
        fit_and_draw(painter, word_rect, flags, word, word_font, smallest, self.drawn)
        left = word_rect.right() + px(30)
        english = level_word(self.english, alert.level) if strings.language == "ko" else ""
        sent = strings["alert_from"].format(time=self._issued(alert))
        right = QRectF(left, band.top(), band.right() - left, band.height())
        lines = f"{english}\n{sent}" if english and theme.display.show_english else sent
        fit_and_draw(
            painter,
            right,
            int(
                Qt.AlignmentFlag.AlignRight
                | Qt.AlignmentFlag.AlignVCenter
                | Qt.TextFlag.TextWordWrap
            ),
            lines,
            theme.font("detail"),
            smallest,
            self.drawn,
        )

    def _draw_body(self, painter: QPainter, body: QRectF, alert: Alert, colours: Palette) -> None:
        """The text as large as fits (its English smaller under it); the picture beside
        it while the text still fits large."""
        theme, px = self.theme, self.theme.px
        smallest = px(MIN_TEXT_PX)
        text, english = alert.text, alert.text_en if theme.display.show_english else ""
        if self.strings.language == "en" and alert.text_en:
            text, english = alert.text_en, ""
        font = theme.sized_font(px(110))
        beside = body.adjusted(0, 0, -body.width() * 0.4 - px(30), 0)
        self.picture_shown = False
        painter.setPen(QColor(colours.text))
        if self.picture is not None and pair_size(beside, text, english, font, px(64)) is not None:
            self.picture_shown = True
            spot = QRectF(beside.right() + px(30), body.top(), 0, body.height())
            spot.setRight(body.right())
            draw_picture(painter, self.picture, spot)
            body = beside
        fit_pair(painter, body, text, english, font, smallest, self.drawn)

    def _issued(self, alert: Alert) -> str:
        moment = dt.datetime.fromtimestamp(alert.issued_at, self._zone())
        return self.strings.time(moment)


class AlertBar(QWidget):
    """The alert on the call page: its level's colour, word and text, one or two lines."""

    def __init__(self, strings: Strings, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strings = strings
        self.theme = theme
        self.alert: Alert | None = None
        self.drawn: list[DrawnText] = []
        """The texts of the last paint (read by accessibility checks)."""
        self.set_theme(theme)
        self.hide()

    def show_alert(self, alert: Alert | None) -> None:
        self.alert = alert
        self.setVisible(alert is not None)
        self.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setFixedHeight(theme.px(150))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.drawn = []
        alert, theme, px = self.alert, self.theme, self.theme.px
        if alert is None:
            painter.end()
            return
        colours = PALETTES[alert.level]
        body = QRectF(self.rect()).adjusted(0, px(6), 0, -px(6))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colours.fill))
        painter.drawRoundedRect(body, px(20), px(20))
        sign = QRectF(body.left() + px(16), body.top(), body.height() * 0.8, body.height())
        inset = sign.adjusted(0, px(14), 0, -px(14))
        draw_level_sign(painter, inset, alert.level, QColor(colours.text), QColor(colours.fill))
        painter.setPen(QColor(colours.text))
        # The first words: the whole text fills the screen once the call ends.
        text = self.strings["alert_banner"].format(
            level=level_word(self.strings, alert.level), text=first_words(alert.text, BANNER_CHARS)
        )
        inside = body.adjusted(sign.width() + px(36), px(6), -px(24), -px(6))
        fit_and_draw(
            painter,
            inside,
            int(WRAPPED_LEFT),
            text,
            theme.font("detail"),
            px(MIN_TEXT_PX),
            self.drawn,
        )
        painter.end()
