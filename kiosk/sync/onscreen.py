"""Enrolment from the box's own screen: the technician types the centre number.

The server address, the centre-id prefix and the trust root come with the box
(``/etc/kiosk/enrolment.json`` and ``/etc/kiosk/root.json``, put there by the
package or the installer image), so nothing but digits needs typing. Qt-free.
"""

import json
from dataclasses import dataclass

from kiosk.paths import Paths
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import EnrolmentError, enrol, unenrol
from kiosk.sync.result import NO_CONFIGURATION, Outcome, SyncResult


@dataclass(frozen=True)
class EnrolmentDefaults:
    """What every box of the fleet is shipped with."""

    server: str
    centre_prefix: str
    """Centre ids are this prefix plus a zero-padded number, e.g. ``namwon-`` + ``007``."""
    digits: int
    root: bytes


def load_defaults(paths: Paths) -> EnrolmentDefaults | None:
    """The shipped defaults, or ``None`` (then only ``kiosk enroll`` can enrol)."""
    try:
        data = json.loads((paths.etc / "enrolment.json").read_text())
        root = (paths.etc / "root.json").read_bytes()
        return EnrolmentDefaults(
            str(data["server"]), str(data["centre_prefix"]), int(data.get("digits", 3)), root
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class CentreNumber:
    """The digits typed so far on the on-screen keypad."""

    def __init__(self, defaults: EnrolmentDefaults) -> None:
        self._defaults = defaults
        self.digits = ""

    def press(self, digit: str) -> None:
        if digit.isdigit() and len(digit) == 1 and len(self.digits) < self._defaults.digits:
            self.digits += digit

    def delete(self) -> None:
        self.digits = self.digits[:-1]

    @property
    def complete(self) -> bool:
        return len(self.digits) == self._defaults.digits

    @property
    def centre_id(self) -> str:
        return self._defaults.centre_prefix + self.digits


class EnrolmentOutcome:
    """Keys of the messages the technician screen shows (see the translation files)."""

    DONE = "enrol_done"
    UNREACHABLE = "enrol_unreachable"
    UNKNOWN_CENTRE = "enrol_unknown_centre"
    REFUSED = "enrol_refused"


def enrol_and_sync(paths: Paths, defaults: EnrolmentDefaults, centre_id: str) -> tuple[str, str]:
    """Enrol and fetch the first configuration (blocking: call from a worker thread).

    Returns a message key and the technical reason. Unless the configuration
    was applied, the enrolment is undone, so the box stays on this screen.
    """
    try:
        enrolment = enrol(paths, defaults.server, centre_id, defaults.root)
    except EnrolmentError as err:
        return EnrolmentOutcome.REFUSED, str(err)
    result: SyncResult = sync_once(paths, enrolment)
    if result.exit_code == 0:
        return EnrolmentOutcome.DONE, result.reason
    unenrol(paths)
    if result.outcome is Outcome.UNREACHABLE:
        return EnrolmentOutcome.UNREACHABLE, result.reason
    if result.reason.startswith(NO_CONFIGURATION):
        return EnrolmentOutcome.UNKNOWN_CENTRE, result.reason
    return EnrolmentOutcome.REFUSED, result.reason
