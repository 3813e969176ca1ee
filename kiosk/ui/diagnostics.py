"""The technician's diagnostics screen, behind the technician's PIN.

Every device with the chosen ones marked (★), a live camera preview, a moving
microphone level meter, a speaker test (a tone and a spoken sentence), the
network checks with their times, and the box's versions, settings revision,
last check, free disk and downloads. libvlc (preview and meter) starts when
the screen opens and stops when it closes; the network is checked on a
worker thread whose answer comes back through a queued signal.
"""

from collections.abc import Callable
from typing import Any

from kiosk.devices.model import Device, Kind
from kiosk.diagnostics import BoxFacts
from kiosk.i18n import Strings
from kiosk.status import Status
from kiosk.ui.buttons import KEY_COLOUR, KeyButton, style_bar
from kiosk.ui.handback import QtHandBack
from kiosk.ui.playing import VideoSurface
from kiosk.ui.qt import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTimer,
    QVBoxLayout,
    QWidget,
    qVersion,
)
from kiosk.ui.theme import Theme
from kiosk.work import Worker

METER_MS = 50


class DiagnosticsPage(QWidget):
    """The window shows it for ``Screen.DIAGNOSTICS``, between :meth:`opened` and :meth:`closed`."""

    def __init__(
        self,
        strings: Strings,
        theme: Theme,
        facts: BoxFacts,
        speaker_test: Callable[[], object],
        on_leave: Callable[[], object],
        open_monitor: Callable[[], Any],
        revision: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.strings = strings
        self.revision = revision
        """The settings revision in force (``kiosk sync`` records newer facts)."""
        self.facts = facts
        self._open_monitor = open_monitor
        self.monitor: Any = None
        self.status = Status()
        self.title = QLabel(strings["diag_title"], self)
        self.device_lists = {kind: QLabel(self) for kind in Kind}
        self.headings = {
            Kind.CAMERA: QLabel(strings["diag_cameras"], self),
            Kind.MICROPHONE: QLabel(strings["diag_microphones"], self),
            Kind.SPEAKER: QLabel(strings["diag_speakers"], self),
        }
        self.preview_heading = QLabel(strings["diag_preview"], self)
        self.preview_note = QLabel(f"({strings['diag_demo']})", self)
        """Under the heading, in smaller type: what the preview shows is the demo's stand-in."""
        self.preview_note.hide()
        self.preview = VideoSurface(self)
        self.level_heading = QLabel(strings["diag_level"], self)
        self.meter = QProgressBar(self)
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.speaker_button = KeyButton(strings["diag_speaker_test"], KEY_COLOUR, theme, self)
        self.speaker_button.clicked.connect(speaker_test)
        self.network_heading = QLabel(strings["diag_network"], self)
        self.network = QLabel(self)
        self.box_heading = QLabel(strings["diag_box"], self)
        self.box = QLabel(self)
        self.leave = KeyButton(strings["diag_leave"], "#7C2D12", theme, self)
        self.leave.clicked.connect(on_leave)
        self.meter_timer = QTimer(self)
        self.meter_timer.setInterval(METER_MS)
        self.meter_timer.timeout.connect(self._show_level)
        self._worker = Worker("kiosk-diag", QtHandBack(self))
        """Checks the network off the GUI thread (they take up to a few seconds)."""
        self._lay_out()
        self.set_theme(theme)

    def _lay_out(self) -> None:
        # Rows of columns, not a grid: a grid asks its columns for their preferred
        # height as its minimum, and so claimed more room than the page needs.
        left = QVBoxLayout()
        for kind in Kind:
            left.addWidget(self.headings[kind])
            left.addWidget(self.device_lists[kind])
        left.addStretch(1)
        middle = QVBoxLayout()
        middle.addWidget(self.preview_heading)
        middle.addWidget(self.preview_note)
        middle.addWidget(self.preview, 1)
        middle.addWidget(self.level_heading)
        middle.addWidget(self.meter)
        middle.addWidget(self.speaker_button)
        right = QVBoxLayout()
        for label in (self.network_heading, self.network, self.box_heading, self.box):
            right.addWidget(label)
        right.addStretch(1)
        right.addWidget(self.leave)  # at the bottom, as on the leader's page
        columns = QHBoxLayout()
        # Device names are short; the network's and the box's lines are long.
        for part, share in ((left, 2), (middle, 3), (right, 3)):
            columns.addLayout(part, share)
        self._column = QVBoxLayout(self)
        self._column.addWidget(self.title)
        self._column.addLayout(columns, 1)

    # --- open and close ------------------------------------------------------------

    def opened(self) -> None:
        """Start the live checks."""
        self.network.setText(self.strings["diag_checking"])
        self._worker.run(self.facts.network, self._show_network)
        if self.monitor is None:
            self.monitor = self._open_monitor()
        self._restart_live()
        self.meter_timer.start()
        self._show_box()

    def closed(self) -> None:
        """Stop libvlc and the meter."""
        self.meter_timer.stop()
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None

    def release(self) -> None:
        """The window is going: no more checks. Safe to call twice."""
        self.closed()
        self._worker.close()

    def show_status(self, status: Status) -> None:
        """Devices or downloads changed."""
        old_choice = self.status.choice
        self.status = status
        for kind in Kind:
            found = [d for d in status.devices if d.kind is kind]
            self.device_lists[kind].setText(self._list(found))
        if self.monitor is not None and status.choice != old_choice:
            self._restart_live()
        self._show_box()

    # --- internals -------------------------------------------------------------------

    def _list(self, devices: list[Device]) -> str:
        if not devices:
            return self.strings["diag_none"]
        return "\n".join(
            f"{'★' if self.status.choice.chosen(d) else '·'} {d.label}" for d in devices
        )

    def _restart_live(self) -> None:
        camera, microphone = self.facts.sources(self.status.choice)
        stand_in = self.facts.demo and self.status.choice.camera is None
        self.preview_note.setVisible(stand_in)
        window = self.preview.window_id() if self.preview.is_native else None
        self.monitor.show_camera(camera, window)
        self.monitor.microphone.listen(microphone)

    def _show_level(self) -> None:
        if self.monitor is not None:
            self.meter.setValue(round(self.monitor.microphone.level * 100))

    def _show_network(self, report: dict[str, dict[str, Any]]) -> None:
        names = {
            "config_server": "diag_config_server",
            "janus": "diag_janus",
            "turn": "diag_turn",
        }
        lines = []
        for key, check in report.items():
            if not check.get("checked"):
                state = self.strings[f"diag_{check.get('why')}"]
            elif check.get("reachable"):
                state = self.strings["diag_reachable"].format(ms=check["ms"])
            else:
                state = "⚠ " + self.strings["diag_unreachable"]
            lines.append(f"{self.strings[names[key]]}: {state}")
        self.network.setText("\n".join(lines))

    def _show_box(self) -> None:
        strings, sync = self.strings, self.facts.sync()
        vlc = self.monitor.version.split()[0] if self.monitor is not None else "-"
        downloads = self.status.downloads
        lines = [
            strings["diag_versions"].format(kiosk=self.facts.version(), qt=qVersion(), vlc=vlc),
            strings["diag_config"].format(
                revision=sync.get("revision", self.revision),
                last_check=str(sync.get("last_check", "-"))[:16].replace("T", " "),
            ),
            strings["diag_disk"].format(gb=self.facts.disk_free_gb()),
            strings["diag_downloads"].format(
                ready=downloads.items_ready, total=downloads.items_total
            ),
        ]
        self.box.setText("\n".join(lines))

    def set_theme(self, theme: Theme) -> None:
        text, accent = theme.display.text, theme.display.accent
        labels = [(self.title, "title", text)]
        labels += [(h, "detail", accent) for h in self.headings.values()]
        labels += [(self.preview_heading, "detail", accent), (self.level_heading, "detail", accent)]
        labels += [(self.network_heading, "detail", accent), (self.box_heading, "detail", accent)]
        labels += [(v, "status", text) for v in self.device_lists.values()]
        labels += [(self.network, "status", text), (self.box, "status", text)]
        labels += [(self.preview_note, "status", accent)]
        for label, role, colour in labels:
            label.setFont(theme.font(role, bold=role != "status"))
            label.setStyleSheet(f"color: {colour}; background: transparent;")
            label.setWordWrap(True)
        style_bar(self.meter, theme, 60)
        # The picture takes what the page has left; it need not be large to show it works.
        self.preview.setMinimumHeight(theme.px(200))
        self._column.setContentsMargins(*theme.page_margins)
        self._column.setSpacing(theme.page_spacing)
        for button in (self.speaker_button, self.leave):
            button.theme = theme
            button.setFont(theme.font("status"))
            button.setMinimumHeight(theme.px(100))
