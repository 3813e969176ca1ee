"""Facts for the technician's diagnostics screen that are not on the status board. Qt-free.

Network checks block (up to a few seconds): call :meth:`BoxFacts.network` off
the GUI thread.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.devices.policy import Choice, camera_mrl, microphone_mrl
from kiosk.paths import Paths
from kiosk.sync.enrolment import load_enrolment
from kiosk_contract.config.calls import Calls


@dataclass(frozen=True)
class BoxFacts:
    paths: Paths
    demo: bool = False
    calls: Calls | None = None
    """City hall's call server and TURN server, to check they answer."""
    """On the demo, a missing camera and microphone are stood in for by a test pattern
    with a tone, so that the preview and the meter can be seen working."""

    def network(self) -> dict[str, dict[str, Any]]:
        from kiosk.doctor import network_report

        calls = self.calls
        if self.demo and calls is not None and calls.server:
            # The demo's city hall lives in a private network only root can make;
            # without it, no packet is sent towards its address.
            from kiosk.demolink import demo_city_hall_up

            if not demo_city_hall_up():
                off = {"checked": False, "why": "demo_city_hall_off"}
                report = network_report(load_enrolment(self.paths), None)
                return {**report, "janus": off, "turn": off}
        from kiosk.identity import client_cert, tls_context

        enrolment = load_enrolment(self.paths)
        return network_report(enrolment, calls, client_cert(self.paths), tls_context(self.paths))

    def sync(self) -> dict[str, Any]:
        """The last configuration check, as ``kiosk sync`` recorded it."""
        try:
            data: dict[str, Any] = json.loads((self.paths.state / "sync-status.json").read_text())
        except (OSError, ValueError):
            return {}
        return data

    def disk_free_gb(self) -> float:
        folder = self.paths.state if self.paths.state.exists() else Path("/")
        return round(shutil.disk_usage(folder).free / 1e9, 1)

    def version(self) -> str:
        return __version__

    def sources(self, choice: Choice) -> tuple[str | None, str | None]:
        """What the preview shows and the meter listens to (libvlc MRLs)."""
        camera = camera_mrl(choice.camera) if choice.camera else None
        microphone = microphone_mrl(choice.microphone) if choice.microphone else None
        if self.demo:
            stand_in = (self.paths.assets / "demo" / "media" / "broadcast-recording.mp4").as_uri()
            camera, microphone = camera or stand_in, microphone or stand_in
        return camera, microphone
