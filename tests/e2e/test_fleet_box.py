"""A real kiosk on a real X server, enrolled and configured as in the field, on city
hall's real broker: its status reaches ``kiosk-provision status`` and follows the
screen; an emergency alert sent with ``kiosk-provision alert`` takes over a playing
singing class, sounds, and one press acknowledges it back to city hall; the broker
going away and coming back neither freezes the screen nor loses an alert; and a box
that dies is marked offline by its last will."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from kiosk.navigation import ALERT_SETTLE_S
from kiosk_contract.fleet import BoxStatus, Presence, Receipt
from kiosk_provisioning.repository import Repository
from tests.broker import Broker, Peer
from tests.calls.identities import CityHallIdentity
from tests.e2e.xserver import colour_share, running_kiosk, screenshot, xdotool, xvfb
from tests.fleet.field import CENTRE, DISTRICT, build_centre, enrolled_box, singing_class
from tests.webserver import MutualTls, nginx

pytestmark = pytest.mark.xvfb

WAIT_S = 30.0
EMERGENCY_RED = "#991B1B"
PROVISION = Path(sys.executable).parent / "kiosk-provision"


@dataclass
class CityHall:
    repo: Repository
    broker: Broker
    hall: Peer
    """City hall's tools' login, subscribed to everything the box says."""

    def provision(self, *args: str) -> str:
        """Run ``kiosk-provision`` as a technician does; its output."""
        done = subprocess.run(
            [PROVISION, args[0], str(self.repo.path), *args[1:], "--broker", self.broker.tools_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return str(done.stdout)

    def fleet(self) -> dict[str, Any]:
        """The centre as ``kiosk-provision status --json`` lists it."""
        rows = json.loads(self.provision("status", "--json"))
        return next(row for row in rows if row["centre"] == CENTRE)

    def said(self, suffix: str, wanted: "Any", limit_s: float = WAIT_S) -> Any:
        """The box's next message on ``fleet/<centre>/<suffix>`` that *wanted* accepts."""
        topic = f"fleet/{CENTRE}/{suffix}"
        kind: Any = Receipt if suffix.startswith("receipts/") else BoxStatus
        kind = Presence if suffix == "presence" else kind
        deadline = time.monotonic() + limit_s
        while True:
            message = self.hall.next(max(0.01, deadline - time.monotonic()))
            if message.topic == topic and message.payload:
                decoded = msgspec.json.decode(message.payload, type=kind)
                if wanted(decoded):
                    return decoded


@pytest.fixture
def city_hall(tmp_path: Path) -> Iterator[tuple[CityHall, str]]:
    """City hall on this machine: the signed repository behind nginx with mutual TLS, the
    broker as city hall configures it; one centre built with a singing class."""
    repo = Repository(tmp_path / "repo")
    repo.init()
    identity = CityHallIdentity(repo.path, {CENTRE: ()})
    authority = identity.authority
    cert, key = authority.issue_server_cert(["127.0.0.1"], tmp_path / "server-tls")
    tls = MutualTls(cert, key, authority.ca_path, authority.crl_path)
    trust = {"REQUESTS_CA_BUNDLE": str(authority.ca_path), "SSL_CERT_FILE": str(authority.ca_path)}
    with Broker(tmp_path / "broker", identity, {CENTRE: DISTRICT}) as broker:
        build_centre(repo, tmp_path, broker.url, centre=singing_class(repo.path))
        with nginx(repo.public, tmp_path / "nginx", mtls=tls) as url, broker.city_hall() as hall:
            hall.connect()
            hall.subscribe(f"fleet/{CENTRE}/#")
            os.environ.update(trust)
            try:
                yield CityHall(repo, broker, hall), url
            finally:
                for name in trust:
                    os.environ.pop(name, None)


def test_status_alert_and_acknowledgement_through_city_halls_broker(
    city_hall: tuple[CityHall, str], tmp_path: Path
) -> None:
    hall, url = city_hall
    root = (hall.repo.path / "root.json").read_bytes()
    paths = enrolled_box(tmp_path / "box", hall.broker.identity, url, root)
    env = {"KIOSK_ETC_DIR": str(paths.etc), "KIOSK_STATE_DIR": str(paths.state)}
    kiosk_bin = Path(sys.executable).parent / "kiosk"
    subprocess.run([kiosk_bin, "sync", "--once"], env={**os.environ, **env}, check=True)

    with xvfb() as display, running_kiosk(display, tmp_path / "box", ["run"], env) as kiosk:
        kiosk.wait_log("home screen painted", WAIT_S)
        hall.said("presence", lambda p: p.online)
        hall.said("status", lambda s: s.screen == "home")
        row = hall.fleet()
        assert row["state"] == "online" and row["district"] == DISTRICT and row["screen"] == "home"

        # The singing class plays: city hall sees it.
        kiosk.wait_log("downloaded and verified", WAIT_S)
        xdotool(display, "key", "1")
        hall.said("status", lambda s: s.screen == "programme")
        kiosk.wait_log("playback stopped -> recording", WAIT_S)
        playing = screenshot(display)

        # An emergency alert takes over the screen and sounds; the class stops.
        sent = hall.provision(
            "alert", "--level", "긴급", "--text", "산불 주의: 밖에 나가지 마세요", "--all"
        )
        alert_id = sent.split()[0]
        shown = hall.said(f"receipts/{alert_id}", lambda r: r.state == "shown")
        shown_at = time.monotonic()
        assert shown.alert == alert_id
        alert_screen = kiosk.shot("alert-over-programme")
        assert alert_screen != playing
        assert colour_share(alert_screen, EMERGENCY_RED)[0] > 0.3, "the emergency's red fills it"
        kiosk.wait_log("playback of singing stopped")
        kiosk.wait_log(f"alert {alert_id} sounding")
        hall.said("status", lambda s: s.screen == "alert" and s.alert == alert_id)

        # One press of 확인 (once it can have been read): city hall hears it, the
        # screen goes home.
        time.sleep(max(0.0, shown_at + ALERT_SETTLE_S - time.monotonic()))
        xdotool(display, "key", "Return")
        hall.said(f"receipts/{alert_id}", lambda r: r.state == "acknowledged")
        hall.said("status", lambda s: s.screen == "home" and not s.alert)
        assert f"{CENTRE}" in hall.provision("alerts", alert_id)
        assert "acknowledged" in hall.provision("alerts", alert_id)

        # The broker goes away and comes back: the screen answers all along, the box
        # reports again, and an alert sent as it comes back is shown.
        hall.hall.close()
        hall.broker.stop()
        kiosk.wait_log("trying again quietly", WAIT_S)
        home = screenshot(display)
        xdotool(display, "key", "Right")
        wait_for_change(display, home)  # the focus ring moved: the screen never froze
        hall.broker.start()
        with hall.broker.city_hall() as again:
            again.connect()
            again.subscribe(f"fleet/{CENTRE}/#")
            hall.hall = again
            second = hall.provision("alert", "--level", "주의", "--text", "폭염 특보", "--all")
            second_id = second.split()[0]
            hall.said("presence", lambda p: p.online, limit_s=90)
            hall.said(f"receipts/{second_id}", lambda r: r.state == "shown", limit_s=90)
            kiosk.shot("alert-after-broker-came-back")

            # The box dies without a word: its last will marks it offline.
            os.kill(kiosk.process.pid, signal.SIGKILL)
            kiosk.process.wait()
            hall.said("presence", lambda p: not p.online)
            row = hall.fleet()
            assert row["state"] == "offline"
            offline = hall.provision("status", "--offline")
            assert CENTRE in offline
    assert "Traceback" not in kiosk.log_text()


def wait_for_change(display: str, before: Any) -> None:
    deadline = time.monotonic() + 10
    while screenshot(display) == before:
        assert time.monotonic() < deadline, "the screen did not answer a key"
