"""The box's side of city hall's fleet channel: its status report, and alerts that take
over the screen. Qt-free; the UI renders :class:`~kiosk.fleet.board.AlertBoard`."""
