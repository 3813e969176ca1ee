"""The systemd notification protocol (``sd_notify``): READY and WATCHDOG messages.

Without ``NOTIFY_SOCKET`` (not under systemd) every call does nothing.
"""

import logging
import os

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send *message* (e.g. ``READY=1``) to systemd; ``True`` if it was sent."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    import socket  # only under systemd; keeps it off the start-up path otherwise

    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as err:
        log.error("could not notify systemd (%s): %s", message, err)
        return False
    return True


def watchdog_interval_s() -> float | None:
    """How often systemd wants ``WATCHDOG=1`` (``WATCHDOG_USEC``), or ``None`` if it does not.

    ``WATCHDOG_PID`` is not checked: under a kiosk compositor (cage) systemd's
    main process is the compositor and this process pings with NotifyAccess=all.
    """
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None
