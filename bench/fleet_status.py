"""A stand-in for ``kiosk-provision status`` while it is not there: what any answer
"from the broker's retained state" must do at least, timed by bench/fleet.py as a
subprocess.

Logs in as city hall (paho, TLS with its certificate), subscribes to every box's
status and presence, then publishes a marker on a topic of city hall's own that it
is also subscribed to: the broker sends the retained messages of a subscription
before it handles the next packet, so once the marker is back every retained
status is in. Decodes each (:class:`BoxStatus`, :class:`Presence`) and prints one
line per centre, sorted by district and centre.

Usage: fleet_status.py HOST PORT CA CERT KEY
"""

import secrets
import ssl
import sys
import threading

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from kiosk_contract.fleet import BoxStatus, Presence


def main() -> int:
    host, port, ca, cert, key = sys.argv[1:6]
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "city-hall-status", clean_session=True)
    client.tls_set_context(context)
    marker = f"city-hall/status-fence/{secrets.token_hex(8)}"
    statuses: dict[str, BoxStatus] = {}
    online: dict[str, bool] = {}
    done = threading.Event()

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.topic == marker:
            done.set()
        elif message.topic.endswith("/status"):
            statuses[message.topic.split("/")[1]] = msgspec.json.decode(
                message.payload, type=BoxStatus
            )
        elif message.topic.endswith("/presence"):
            presence = msgspec.json.decode(message.payload, type=Presence)
            online[message.topic.split("/")[1]] = presence.online

    def on_subscribe(_c: object, _u: object, _mid: int, _codes: object, _p: object) -> None:
        client.publish(marker, b"", qos=1)

    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.on_connect = lambda c, *_: c.subscribe(
        [("fleet/+/status", 1), ("fleet/+/presence", 1), (marker, 1)]
    )
    client.connect(host, int(port))
    client.loop_start()
    if not done.wait(30):
        print("status: no answer from the broker within 30 s", file=sys.stderr)
        return 1
    client.disconnect()
    client.loop_stop()
    rows = sorted(statuses.values(), key=lambda s: (s.district, s.centre))
    lines = [
        f"{s.district:<14} {s.centre:<12} {'online' if online.get(s.centre) else 'offline':<8} "
        f"{s.version:<14} r{s.revision:<5} {s.screen:<10} {s.last_error}"
        for s in rows
    ]
    print("\n".join(lines))
    print(f"{len(rows)} centres, {sum(online.values())} online")
    return 0


if __name__ == "__main__":
    sys.exit(main())
