"""Fake devices through umockdev: the real libudev and pyudev see them.

These tests need the umockdev preload library, i.e. pytest running under
``umockdev-wrapper`` (``scripts/test`` does that).
"""

from pathlib import Path

ROOMS = Path(__file__).parent / "rooms"


def load_room(testbed: object, name: str) -> None:
    """Add the devices of ``rooms/<name>.umockdev``."""
    assert testbed.add_from_file(str(ROOMS / f"{name}.umockdev"))  # type: ignore[attr-defined]


class Hotplug:
    """Unplugs and plugs back one USB device of a room, with its children, as the kernel
    reports it: children's uevents first on removal, the parent's first on arrival."""

    def __init__(self, room: str, port: str) -> None:
        blocks = (ROOMS / f"{room}.umockdev").read_text().strip().split("\n\n")
        mine = [b for b in blocks if f"/usb1/{port}\n" in b + "\n" or f"/usb1/{port}/" in b]
        # Without the /dev nodes: umockdev keeps those after a removal, and DEVNAME
        # still names them.
        self.description = "\n\n".join(
            "\n".join(line for line in b.splitlines() if not line.startswith("N:")) for b in mine
        )
        self.paths = ["/sys" + b.splitlines()[0].removeprefix("P: ") for b in mine]

    def unplug(self, testbed: object) -> None:
        for path in sorted(self.paths, key=len, reverse=True):
            testbed.uevent(path, "remove")  # type: ignore[attr-defined]
            testbed.remove_device(path)  # type: ignore[attr-defined]

    def plug(self, testbed: object) -> None:
        assert testbed.add_from_string(self.description + "\n")  # type: ignore[attr-defined]
        for path in sorted(self.paths, key=len):
            testbed.uevent(path, "add")  # type: ignore[attr-defined]
