"""The home screen: a grid of 2–6 huge tiles, in the configured order."""

from collections.abc import Callable, Sequence

from kiosk.navigation import grid_shape
from kiosk.ui.qt import QHBoxLayout, QVBoxLayout, QWidget
from kiosk.ui.theme import Theme
from kiosk.ui.tile import TileButton
from kiosk_contract.config.model import Tile


class HomeScreen(QWidget):
    """Lays the tiles out in rows; a press calls *on_press* with the tile's index."""

    def __init__(
        self,
        tiles: Sequence[Tile],
        theme: Theme,
        language: str,
        on_press: Callable[[int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.buttons = [TileButton(tile, theme, language, self) for tile in tiles]
        for index, button in enumerate(self.buttons):
            button.clicked.connect(lambda _=False, i=index: on_press(i))
        rows, cols = grid_shape(len(tiles))
        self._column = QVBoxLayout(self)
        for row in range(rows):
            in_row = self.buttons[row * cols : (row + 1) * cols]
            # A shorter last row keeps the tile width and sits in the middle.
            side = 1 + (cols - len(in_row)) * 5
            line = QHBoxLayout()
            line.addStretch(side)
            for button in in_row:
                line.addWidget(button, 10)
            line.addStretch(side)
            self._column.addLayout(line, 1)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        margin = theme.px(12)
        self._column.setContentsMargins(margin, 0, margin, margin)
        self._column.setSpacing(0)
        for button in self.buttons:
            button.set_theme(theme)

    def set_badge(self, action: str, target: str, badge: str) -> None:
        """Put *badge* on the tiles of *action* and *target* (empty: take it off)."""
        for button in self.buttons:
            if button.tile.action == action and button.tile.target == target:
                button.set_badge(badge)

    def set_focus_index(self, index: int) -> None:
        for i, button in enumerate(self.buttons):
            button.set_focused(i == index)
