"""The leader's list of city-hall contacts (시청에 전화): one big numbered row each, one
press (or its number key) calls that contact.

The page shows the navigator's contacts (:attr:`kiosk.navigation.Navigator.contacts`)
and where its ring is (:attr:`kiosk.navigation.View.entry`), and forwards presses;
placing the call, and what the call screens say when it cannot start, are
:mod:`kiosk.calls.screens`'. With no call server or no contacts it says so plainly.
"""

from collections.abc import Callable, Sequence

from kiosk.i18n import Strings
from kiosk.ui.leader import GREEN
from kiosk.ui.qt import QWidget
from kiosk.ui.rows import GAP_PX, ROW_PX, ListPage, NumberedRow
from kiosk.ui.theme import Theme
from kiosk_contract.config.calls import Contact

TITLE_PX = 120
"""Height of the title, at 1080 lines (the back button is as tall as a row)."""


def contact_label(contact: Contact, language: str) -> str:
    """A contact's name on the leader's list: English on an English screen, if it has one."""
    return contact.label_en if language == "en" and contact.label_en else contact.label


class LeaderCallsPage(ListPage):
    """The title, the contacts as rows (or why there are none), and the back button.

    No line of help: it would cost a row at 1080 lines, and the title and the numbered
    names say what a press does (a call placed by mistake has its own red button)."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        on_call: Callable[[int], object],
        on_focus: Callable[[int], object],
        on_back: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        """*on_call*: a row was pressed; *on_focus*: the ring goes to a row (turning the
        page); *on_back*: back to the leader's screen."""
        super().__init__(strings["leader_calls_title"], theme, on_call, on_focus, parent)
        self.strings = strings
        self.contacts: list[Contact] = []
        self.focus = 0
        self.back = NumberedRow(theme, self)
        self.back.clicked.connect(on_back)
        self.set_theme(theme)

    def show_list(self, contacts: Sequence[Contact], focus: int, missing: str) -> None:
        """*contacts* with the ring on row *focus* (``len(contacts)``: the back button);
        with none, *missing* (a strings key) says why."""
        self.contacts, self.focus = list(contacts), focus
        self.empty.setText(f"{self.strings[missing]}\n{self.strings['leader_calls_ask']}")
        self._place()

    def set_theme(self, theme: Theme) -> None:
        self.back.theme = theme
        super().set_theme(theme)

    # --- internals ---------------------------------------------------------------

    def _place(self) -> None:
        px = self.theme.px
        side = px(36)
        width = self.width() - 2 * side
        self.title.setGeometry(side, px(10), width, px(TITLE_PX))
        count = len(self.contacts)
        back_w, back_h = min(px(760), width), px(ROW_PX)
        colours = (self.theme.display.background, self.theme.display.text)
        self.back.show_row("", self.strings["leader_calls_back"], colours, "")
        self.back.outlined = True
        self.back.focused = self.focus >= count
        self.back.setGeometry(
            (self.width() - back_w) // 2, self.height() - px(20) - back_h, back_w, back_h
        )
        top = px(10 + TITLE_PX + 10)
        room = self.back.y() - px(GAP_PX) - top
        self.empty.setVisible(count == 0)
        self.empty.setGeometry(side, top, width, room)
        more = self.strings["leader_calls_more"]
        self.list.place(count, self.focus, (side, top, width, room), self._show_row, more)

    def _show_row(self, index: int, row: NumberedRow) -> None:
        label = contact_label(self.contacts[index], self.strings.language)
        row.show_row(str(index + 1), label, (GREEN, self.theme.display.text), "")
