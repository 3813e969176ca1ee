"""Enrolment from the box's own screen: the technician types the centre number,
then city hall's 12-digit one-time code, on the same keypad.

The server address, the identity service's address, the centre-id prefix and
the trust root come with the box (``/etc/kiosk/enrolment.json`` and
``/etc/kiosk/root.json``, put there by the package or the installer image),
so nothing but digits needs typing. Qt-free.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.identity import certificate, standing
from kiosk.paths import Paths
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import CODE_DIGITS, EnrolmentError, enrol, enrol_with_code, unenrol
from kiosk.sync.result import NO_CONFIGURATION, Outcome, SyncResult


@dataclass(frozen=True)
class EnrolmentDefaults:
    """What every box of the fleet is shipped with."""

    server: str
    centre_prefix: str
    """Centre ids are this prefix plus a zero-padded number, e.g. ``namwon-`` + ``007``."""
    digits: int
    root: bytes
    identity: str | None = None
    """City hall's identity service: with it, enrolment asks for the one-time code."""


def load_defaults(paths: Paths) -> EnrolmentDefaults | None:
    """The shipped defaults, or ``None`` (then only ``kiosk enroll`` can enrol)."""
    try:
        data = json.loads((paths.etc / "enrolment.json").read_text())
        root = (paths.etc / "root.json").read_bytes()
        identity = data.get("identity")
        return EnrolmentDefaults(
            str(data["server"]),
            str(data["centre_prefix"]),
            int(data.get("digits", 3)),
            root,
            str(identity) if identity else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class CentreNumber:
    """The digits typed so far on the on-screen keypad: the centre number, then
    (with an identity service) the one-time code. OK moves from one to the next."""

    def __init__(
        self, defaults: EnrolmentDefaults, holds: Callable[[str], bool] = lambda centre: False
    ) -> None:
        """*holds* tells whether the box already has a working certificate for a centre
        (then no code is asked: it was spent on that certificate)."""
        self._defaults = defaults
        self._holds = holds
        self.digits = ""
        self.code = ""
        self.asking_code = False
        """The centre number is complete and confirmed; the code is being typed."""

    def press(self, digit: str) -> None:
        if not (digit.isdigit() and len(digit) == 1):
            return
        if self.asking_code:
            if len(self.code) < CODE_DIGITS:
                self.code += digit
        elif len(self.digits) < self._defaults.digits:
            self.digits += digit

    def delete(self) -> None:
        """Remove the last digit; from an empty code, back to the centre number."""
        if self.asking_code:
            if self.code:
                self.code = self.code[:-1]
            else:
                self.asking_code = False
        else:
            self.digits = self.digits[:-1]

    def confirm(self) -> bool:
        """OK was pressed: ``True`` when everything needed is typed (then enrol)."""
        if not self.asking_code:
            if len(self.digits) != self._defaults.digits:
                return False
            if self._defaults.identity is None or self._holds(self.centre_id):
                return True
            self.asking_code = True
            return False
        return len(self.code) == CODE_DIGITS

    @property
    def complete(self) -> bool:
        """The part being typed is whole (OK may be pressed)."""
        if self.asking_code:
            return len(self.code) == CODE_DIGITS
        return len(self.digits) == self._defaults.digits

    @property
    def centre_id(self) -> str:
        return self._defaults.centre_prefix + self.digits

    @property
    def code_shown(self) -> str:
        """The code as typed so far, in groups of four with blanks: ``1234 56__ ____``."""
        padded = self.code + "_" * (CODE_DIGITS - len(self.code))
        return " ".join(padded[i : i + 4] for i in range(0, CODE_DIGITS, 4))


class EnrolmentOutcome:
    """Keys of the messages the technician screen shows (see the translation files)."""

    DONE = "enrol_done"
    UNREACHABLE = "enrol_unreachable"
    UNKNOWN_CENTRE = "enrol_unknown_centre"
    REFUSED = "enrol_refused"
    WRONG_CODE = "enrol_wrong_code"
    TAKEN = "enrol_taken"
    TOO_MANY = "enrol_too_many"
    IDENTITY_UNREACHABLE = "enrol_identity_unreachable"


REFUSAL_MESSAGES = {
    "code": EnrolmentOutcome.WRONG_CODE,
    "taken": EnrolmentOutcome.TAKEN,
    "too_many": EnrolmentOutcome.TOO_MANY,
    "unreachable": EnrolmentOutcome.IDENTITY_UNREACHABLE,
}
"""The message key for each kind of :class:`EnrolmentError`."""


def holds(paths: Paths, centre_id: str) -> bool:
    """The box already has a working certificate for *centre_id* (a retry after the
    settings server was away: the one-time code is spent already)."""
    held = certificate(paths)
    return (
        held is not None and held.centre_id == centre_id and standing(paths)["state"] == "enrolled"
    )


def enrol_and_sync(
    paths: Paths, defaults: EnrolmentDefaults, centre_id: str, code: str = ""
) -> tuple[str, str]:
    """Enrol (with the one-time *code* when the fleet has an identity service) and
    fetch the first configuration (blocking: call from a worker thread).

    Returns a message key and the technical reason. Unless the configuration
    was applied, the enrolment is undone, so the box stays on this screen (a
    certificate received is kept: the code is spent, and a retry needs none).
    """
    try:
        if defaults.identity is None:
            enrolment = enrol(paths, defaults.server, centre_id, defaults.root)
        elif holds(paths, centre_id):
            enrolment = enrol(paths, defaults.server, centre_id, defaults.root, defaults.identity)
        else:
            enrolment = enrol_with_code(
                paths, defaults.server, defaults.identity, centre_id, code, defaults.root
            )
    except EnrolmentError as err:
        return REFUSAL_MESSAGES.get(err.kind, EnrolmentOutcome.REFUSED), str(err)
    result: SyncResult = sync_once(paths, enrolment)
    if result.exit_code == 0:
        return EnrolmentOutcome.DONE, result.reason
    unenrol(paths)
    if result.outcome is Outcome.UNREACHABLE:
        return EnrolmentOutcome.UNREACHABLE, result.reason
    if result.reason.startswith(NO_CONFIGURATION):
        return EnrolmentOutcome.UNKNOWN_CENTRE, result.reason
    return EnrolmentOutcome.REFUSED, result.reason
