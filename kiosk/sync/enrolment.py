"""Which centre this box belongs to, which server it asks, and whom it trusts.

Enrolment is written once by a technician (``kiosk enroll`` or the on-screen
keypad) into the state folder: ``enrolment.json`` and the trust root
``tuf/metadata/root.json`` that python-tuf starts from. With a one-time code
from city hall (:func:`enrol_with_code`), the box first gets its certificate
from the identity service (:mod:`kiosk.identity`): the configuration server
serves a centre's settings only to the box holding that centre's certificate.
"""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from kiosk.paths import Paths
from kiosk_contract.config.model import on_this_machine
from kiosk_contract.files import write_atomically

if TYPE_CHECKING:
    import requests

_CENTRE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class EnrolmentError(ValueError):
    """The enrolment asked for cannot be done; the message says why, plainly.

    *kind* says which: ``invalid`` (what was typed or given), ``code`` (wrong,
    used or expired code), ``taken`` (another box holds the centre),
    ``too_many`` (too many tries), ``unreachable`` (the identity service),
    ``refused`` (anything else the service refused).
    """

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Enrolment:
    """The box's binding to its centre."""

    server: str
    """Base URL of the published repository (``https://config.example/fleet``)."""
    centre_id: str
    identity: str | None = None
    """Base URL of city hall's identity service (renewals), if enrolled with a code."""


def metadata_dir(paths: Paths) -> Path:
    return paths.state / "tuf" / "metadata"


def enrolment_file(paths: Paths) -> Path:
    return paths.state / "enrolment.json"


def load_enrolment(paths: Paths) -> Enrolment | None:
    """The enrolment, or ``None`` if the box is not enrolled (or its record is unusable)."""
    try:
        data = json.loads(enrolment_file(paths).read_text())
        identity = data.get("identity")
        enrolment = Enrolment(
            str(data["server"]), str(data["centre_id"]), str(identity) if identity else None
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (metadata_dir(paths) / "root.json").exists():
        return None
    return enrolment


def _check_address(what: str, address: str) -> None:
    """An ``https://`` address; ``http://`` only to the box itself (a test, the demo):
    the settings, the certificate request and the code must not cross a network in
    plain text."""
    url = urlparse(address)
    if url.scheme not in ("https", "http") or not url.netloc:
        raise EnrolmentError(f"{what} must be an https address, not {address!r}")
    if url.scheme == "http" and not on_this_machine(url.hostname or ""):
        raise EnrolmentError(f"{what} must be an https address (encrypted), not {address!r}")


def _check_root(root: bytes) -> None:
    from tuf.api.metadata import Metadata, Root  # not on the start-up path of `kiosk run`

    try:
        root_md = Metadata[Root].from_bytes(root)
        if not isinstance(root_md.signed, Root):
            raise TypeError("not a root")
        root_md.signed.verify_delegate(Root.type, root_md.signed_bytes, root_md.signatures)
    except Exception as err:  # noqa: BLE001 - any failure means "not a usable trust root"
        raise EnrolmentError(f"the trust root file is not a valid signed root: {err}") from None


def enrol(
    paths: Paths, server: str, centre_id: str, root: bytes, identity: str | None = None
) -> Enrolment:
    """Bind this box to *centre_id* at *server*, trusting *root*. Raises :class:`EnrolmentError`.

    *identity* is the identity service the box renews its certificate with.
    """
    _check_address("server", server)
    if identity is not None:
        _check_address("identity service", identity)
    if not _CENTRE_ID.match(centre_id):
        raise EnrolmentError(f"centre id {centre_id!r} is not valid (e.g. namwon-001)")
    _check_root(root)
    enrolment = Enrolment(server.rstrip("/"), centre_id, identity.rstrip("/") if identity else None)
    previous = load_enrolment(paths)
    if previous is not None and previous.centre_id != centre_id:
        # Another centre's configuration must not stay on screen here.
        paths.config.unlink(missing_ok=True)
        paths.last_good_config.unlink(missing_ok=True)
        paths.config_trial.unlink(missing_ok=True)
    folder = metadata_dir(paths)
    # A new trust root replaces everything learnt under the old one.
    for old in folder.glob("*.json") if folder.exists() else []:
        old.unlink()
    write_atomically(folder / "root.json", root)
    record = {"server": enrolment.server, "centre_id": centre_id}
    if enrolment.identity:
        record["identity"] = enrolment.identity
    write_atomically(enrolment_file(paths), json.dumps(record).encode())
    return enrolment


CODE_DIGITS = 12
"""City hall's one-time enrolment codes are this many digits (shown 4-4-4)."""

_REFUSALS = {
    403: ("code", "the code is wrong, used or expired: ask city hall for a new one"),
    409: ("taken", "another box holds this centre; ask city hall for a replacement code"),
    429: ("too_many", "too many tries: wait a few minutes, then try again"),
}


def code_digits(code: str) -> str:
    """The code's digits (technicians may type ``1234-5678-9012`` or with spaces)."""
    digits = "".join(c for c in code if c.isdigit())
    if len(digits) != CODE_DIGITS or len(digits) != len(code.replace("-", "").replace(" ", "")):
        raise EnrolmentError(f"the code must be {CODE_DIGITS} digits", "code")
    return digits


def request_certificate(paths: Paths, identity: str, centre_id: str, code: str) -> None:
    """Make the box's key and get its certificate for *centre_id* with the one-time *code*.

    Only the certificate request (public key, centre id) is sent. TLS to the
    identity service is verified as every connection of the box is. Raises
    :class:`EnrolmentError` with a plain reason and its *kind*.
    """
    import requests

    from kiosk.identity import IdentityError, new_request, store_certificate

    try:
        csr = new_request(paths, centre_id)
    except IdentityError as err:
        raise EnrolmentError(str(err), "refused") from None
    body = {"centre_id": centre_id, "code": code, "csr": csr.decode()}
    try:
        reply = requests.post(f"{identity}/v1/enrol", json=body, timeout=(5, 30))
    except requests.RequestException as err:
        why = (
            "its certificate is not trusted"
            if isinstance(err, requests.exceptions.SSLError)
            else type(err).__name__
        )
        raise EnrolmentError(
            f"city hall's identity service is unreachable ({identity}: {why})", "unreachable"
        ) from None
    if reply.status_code != 200:
        kind, words = _REFUSALS.get(
            reply.status_code, ("refused", f"city hall refused (HTTP {reply.status_code})")
        )
        raise EnrolmentError(f"{words}{_said(reply)}", kind)
    try:
        answer = reply.json()
        store_certificate(paths, str(answer["certificate"]).encode(), str(answer["ca"]).encode())
    except (ValueError, KeyError, TypeError) as err:
        raise EnrolmentError(f"city hall's answer is unusable: {err}", "refused") from None


def _said(reply: "requests.Response") -> str:
    """City hall's own words about a refusal (its JSON ``message``), for the record."""
    try:
        message = reply.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f" (city hall: {message})" if isinstance(message, str) and message else ""


def enrol_with_code(
    paths: Paths, server: str, identity: str, centre_id: str, code: str, root: bytes
) -> Enrolment:
    """Check everything that can be checked here, then spend *code* on the box's
    certificate and bind the box to *centre_id* (see :func:`enrol`).

    A replaced box enrols the same way, with a replacement code from city hall.
    """
    _check_address("server", server)
    _check_address("identity service", identity)
    if not _CENTRE_ID.match(centre_id):
        raise EnrolmentError(f"centre id {centre_id!r} is not valid (e.g. namwon-001)")
    digits = code_digits(code)
    _check_root(root)
    identity = identity.rstrip("/")
    request_certificate(paths, identity, centre_id, digits)
    return enrol(paths, server, centre_id, root, identity)


def unenrol(paths: Paths) -> None:
    """Forget the enrolment and everything learnt under its trust root."""
    enrolment_file(paths).unlink(missing_ok=True)
    shutil.rmtree(metadata_dir(paths), ignore_errors=True)


def hardware_id() -> str:
    """A stable id of this machine for technicians (systemd's machine id)."""
    for path in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        try:
            value = path.read_text().strip()
        except OSError:
            continue
        if value:
            return value[:12]
    return "unknown"
