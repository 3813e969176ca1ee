"""A real kiosk under Xvfb (issue 14): alert published -> painted on its screen.

The box is set up as in the field, all on this machine: city hall's repository with
the fleet CA, one centre built by ``kiosk-provision build`` from the example fleet
with a fleet channel (the broker, city hall's alert key), signed and published behind
nginx with mutual TLS; mosquitto as city hall configures it (:class:`tests.broker.Broker`);
the box enrolled with its own key and certificate, its configuration fetched
(``kiosk sync``), then ``kiosk run`` on Xvfb, which paints its home screen and
connects its fleet link.

Then *--alerts* alerts, one at a time, each signed by city hall, published for
everyone (QoS 1, retained) by city hall's tools' login. City hall's tools are
subscribed to the box's receipts, so everything is timed in this process on one
clock (``time.monotonic``), from just before the publish to the arrival of:

- **delivered**: the box's link verified it and the board took it;
- **shown**: the ALERT screen reports it painted (at the end of its paint event; the
  board's "shown", sent by the link): painted plus the receipt's one hop back through
  the broker, a few ms here. A screenshot then checks the screen is no longer home
  (not timed: ``import`` takes ~0.2 s).

The box's link and the broker both set ``TCP_NODELAY``: with Nagle's delay on either
side, a small message waited for the peer's delayed ACK (~40 ms on Linux) at each hop
(45 ms to "shown" before either was set, 61 ms with only the box's side set; 19 ms
with both).

Each alert expires *--expire-s* after it is issued, so that the box takes it off the
screen by itself and the next one meets the home screen again (nothing is pressed).

Needs root (nginx, as the tests run it), Xvfb, mosquitto.

Usage: .venv/bin/python bench/alert_painted.py [--alerts 10] [--expire-s 4]
Writes bench/results/alert_painted.json.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402

from bench.figures import save  # noqa: E402
from kiosk_contract.fleet import BoxStatus, Receipt  # noqa: E402
from kiosk_provisioning.repository import Repository  # noqa: E402
from tests.alerts import AlertDesk  # noqa: E402
from tests.broker import Broker, Peer  # noqa: E402
from tests.calls.identities import CityHallIdentity  # noqa: E402
from tests.e2e.xserver import running_kiosk, screenshot, xvfb  # noqa: E402
from tests.fleet.field import CENTRE, DISTRICT, build_centre, enrolled_box  # noqa: E402
from tests.webserver import MutualTls, nginx  # noqa: E402

WAIT_S = 30.0


def next_receipt(hall: Peer, alert_id: str, state: str, limit_s: float) -> float:
    """The monotonic moment the box's *state* receipt for *alert_id* arrived."""
    topic = f"fleet/{CENTRE}/receipts/{alert_id}"
    deadline = time.monotonic() + limit_s
    while True:
        message = hall.next(max(0.01, deadline - time.monotonic()))
        arrived = time.monotonic()
        if message.topic == topic:
            receipt = msgspec.json.decode(message.payload, type=Receipt)
            if receipt.state == state:
                return arrived


def wait_status(hall: Peer, screen: str | None, limit_s: float) -> None:
    """Until the box's status says it shows *screen* (any status when None)."""
    deadline = time.monotonic() + limit_s
    topic = f"fleet/{CENTRE}/status"
    while True:
        message = hall.next(max(0.01, deadline - time.monotonic()))
        if message.topic == topic:
            status = msgspec.json.decode(message.payload, type=BoxStatus)
            if screen is None or status.screen == screen:
                return


def run(folder: Path, alerts: int, expire_s: int) -> dict[str, Any]:
    repo = Repository(folder / "repo")
    repo.init()
    identity = CityHallIdentity(repo.path, {CENTRE: ()})  # the fleet CA in REPO/identity
    authority = identity.authority
    cert, key = authority.issue_server_cert(["127.0.0.1"], folder / "server-tls")
    tls = MutualTls(cert, key, authority.ca_path, authority.crl_path)
    # The box trusts city hall's servers through the system's trust store; here, the
    # fleet CA that signed them (inherited by the kiosk).
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = str(authority.ca_path)
    desk = AlertDesk()
    delivered: list[float] = []
    shown: list[float] = []
    with Broker(folder / "broker", identity, {CENTRE: DISTRICT}) as broker:
        build_centre(repo, folder, broker.url, [desk.public])
        with (
            nginx(repo.public, folder / "nginx", mtls=tls) as url,
            broker.city_hall().connect() as hall,
            broker.city_hall().connect() as sender,
        ):
            hall.subscribe(f"fleet/{CENTRE}/#")
            paths = enrolled_box(
                folder / "box", identity, url, (repo.path / "root.json").read_bytes()
            )
            env = {"KIOSK_ETC_DIR": str(paths.etc), "KIOSK_STATE_DIR": str(paths.state)}
            # Its configuration first, as after an enrolment (the watch checks later).
            kiosk_bin = Path(sys.executable).parent / "kiosk"
            subprocess.run([kiosk_bin, "sync", "--once"], env={**os.environ, **env}, check=True)
            with xvfb() as display, running_kiosk(display, folder / "box", ["run"], env) as kiosk:
                kiosk.wait_log("home screen painted", WAIT_S)
                wait_status(hall, "home", WAIT_S)
                home = screenshot(display)
                for number in range(alerts):
                    alert = desk.alert(minutes=expire_s / 60)
                    [topic] = alert.topics()
                    envelope = desk.sign(alert)
                    start = time.monotonic()
                    sender.publish(topic, envelope, qos=1, retain=True)
                    delivered.append(next_receipt(hall, alert.id, "delivered", WAIT_S) - start)
                    shown.append(next_receipt(hall, alert.id, "shown", WAIT_S) - start)
                    # Not timed (a screenshot takes ~0.2 s): the screen does show it.
                    if screenshot(display) == home:
                        raise RuntimeError(f"{alert.id} reported shown, the screen is still home")
                    print(
                        f"alert {number + 1}: delivered {1000 * delivered[-1]:.0f} ms, "
                        f"shown {1000 * shown[-1]:.0f} ms",
                        flush=True,
                    )
                    wait_status(hall, "home", expire_s + WAIT_S)  # expired, off the screen
                kiosk.shot("last")
                assert "Traceback" not in kiosk.log_text(), kiosk.log_text()[-3000:]

    def spread(values: list[float]) -> dict[str, float]:
        return {
            "median_ms": round(1000 * statistics.median(values), 1),
            "max_ms": round(1000 * max(values), 1),
            "min_ms": round(1000 * min(values), 1),
            "n": len(values),
        }

    return {
        "published_to_delivered": spread(delivered),
        "published_to_shown": spread(shown),
        "series_ms": {
            "delivered": [round(1000 * d, 1) for d in delivered],
            "shown": [round(1000 * s, 1) for s in shown],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=10)
    parser.add_argument("--expire-s", type=int, default=4, help="each alert's life")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("alert_painted: needs root (nginx as the tests run it)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="alert-painted-"))
    try:
        figures = run(folder, args.alerts, args.expire_s)
    finally:
        if args.keep:
            print(f"the run's folder (kept): {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    results = {
        **figures,
        "machine": f"{platform.node()} {os.cpu_count()} cores, python {platform.python_version()}",
    }
    path = save("alert_painted", results, show=False)
    for what in ("published_to_delivered", "published_to_shown"):
        print(f"{what}: {results[what]}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
