"""A private network for city hall's server on this machine (demo and tests).

Janus does not gather ICE candidates on 127.0.0.1, so the server runs in its own
network namespace, joined to this one by a veth pair. Addresses come from
198.18.0.0/15 (reserved for benchmarking) and exist only on the two ends of the
pair; traffic to them never leaves the machine. The same handle cuts the link,
drops UDP (so calls must go through TURN) and removes everything again.
Needs root (CAP_NET_ADMIN).
"""

import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from kiosk.demolink import demo_city_hall_up

log = logging.getLogger(__name__)

PREFIX = "kiosk-ch"
"""Names of namespaces and links made here start with this, so leftovers of a
killed run can be found and removed."""


BLACKHOLE_METRIC = "4000"
"""Below the link's own route (metric 0), so it only counts while the link is down."""


class PrivateNetwork:
    """One namespace (city hall) and the veth pair to it. Close it when done."""

    def __init__(self, index: int = 0) -> None:
        if not 0 <= index < 64:
            raise ValueError("index must be 0..63")
        self.namespace = f"{PREFIX}{index}"
        self.outer = f"kch{index}o"
        """Our end of the pair (this namespace)."""
        self.inner = f"kch{index}i"
        """City hall's end."""
        base = index * 4
        self.kiosk_address = f"198.18.0.{base + 1}"
        self.server_address = f"198.18.0.{base + 2}"
        self.subnet = f"198.18.0.{base}/30"
        self._open = False

    def open(self) -> "PrivateNetwork":
        self.remove_leftovers()
        ip = ["ip"]
        _run([*ip, "netns", "add", self.namespace])
        self._open = True
        try:
            # While the link is down its route goes with it: without this, traffic
            # for city hall would follow the default route off the machine.
            _run([*ip, "route", "add", "blackhole", self.subnet, "metric", BLACKHOLE_METRIC])
            _run([*ip, "link", "add", self.outer, "type", "veth", "peer", "name", self.inner])
            _run([*ip, "link", "set", self.inner, "netns", self.namespace])
            _run([*ip, "addr", "add", f"{self.kiosk_address}/30", "dev", self.outer])
            _run([*ip, "link", "set", self.outer, "up"])
            inside = self.command([])
            _run([*inside, "ip", "addr", "add", f"{self.server_address}/30", "dev", self.inner])
            _run([*inside, "ip", "link", "set", self.inner, "up"])
            _run([*inside, "ip", "link", "set", "lo", "up"])
        except BaseException:
            self.close()
            raise
        log.info(
            "private network %s: %s <-> %s", self.namespace, self.kiosk_address, self.server_address
        )
        return self

    def is_up(self) -> bool:
        """Our end of the pair exists and is up (someone opened this network)."""
        return demo_city_hall_up(self.outer)

    def command(self, argv: Sequence[str]) -> list[str]:
        """*argv* as a command that runs inside city hall's namespace.

        nsenter switches the network namespace only; ``ip netns exec`` also remounts
        /sys and /, which fails where / is not a mount point (a chroot, a container)."""
        return ["nsenter", f"--net=/run/netns/{self.namespace}", "--", *argv]

    def cut(self) -> None:
        """Pull the cable: the link goes down on our side (packets for city hall
        are then dropped here, see :meth:`open`)."""
        _run(["ip", "link", "set", self.outer, "down"])

    def mend(self) -> None:
        """Plug the cable back in."""
        _run(["ip", "link", "set", self.outer, "up"])

    def drop_udp(self, drop: bool = True) -> None:
        """Drop (or let through again) every UDP packet arriving over the link,
        so that calls must go through TURN over TCP. Traffic inside city hall's
        namespace (Janus to its TURN server) is untouched."""
        table = [*self.command(["nft"])]
        if drop:
            _run([*table, "add table inet kiosk_block"])
            _run(
                [
                    *table,
                    "add chain inet kiosk_block input { type filter hook input "
                    "priority 0; policy accept; }",
                ]
            )
            _run(
                [
                    *table,
                    f"add rule inet kiosk_block input iifname {self.inner} meta l4proto udp drop",
                ]
            )
        else:
            _run([*table, "delete table inet kiosk_block"])

    def remove_leftovers(self) -> None:
        """Remove this index's namespace and link if a killed run left them."""
        names = subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True, check=False
        ).stdout.split()
        if self.namespace in names:
            subprocess.run(["ip", "netns", "delete", self.namespace], check=False)
        if Path(f"/sys/class/net/{self.outer}").exists():
            subprocess.run(["ip", "link", "delete", self.outer], capture_output=True, check=False)
        subprocess.run(
            ["ip", "route", "delete", "blackhole", self.subnet, "metric", BLACKHOLE_METRIC],
            capture_output=True,
            check=False,
        )

    def close(self) -> None:
        """Remove the namespace and both ends of the pair. Safe to call twice."""
        if not self._open:
            return
        self._open = False
        self.remove_leftovers()

    def __enter__(self) -> "PrivateNetwork":
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _run(argv: Sequence[str]) -> None:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OSError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
