"""Which centre this box belongs to, which server it asks, and whom it trusts.

Enrolment is written once by a technician (``kiosk enroll`` or the on-screen
keypad) into the state folder: ``enrolment.json`` and the trust root
``tuf/metadata/root.json`` that python-tuf starts from.
"""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from kiosk.paths import Paths
from kiosk_contract.files import write_atomically

_CENTRE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class EnrolmentError(ValueError):
    """The enrolment asked for cannot be done; the message says why, plainly."""


@dataclass(frozen=True)
class Enrolment:
    """The box's binding to its centre."""

    server: str
    """Base URL of the published repository (``https://config.example/fleet``)."""
    centre_id: str


def metadata_dir(paths: Paths) -> Path:
    return paths.state / "tuf" / "metadata"


def enrolment_file(paths: Paths) -> Path:
    return paths.state / "enrolment.json"


def load_enrolment(paths: Paths) -> Enrolment | None:
    """The enrolment, or ``None`` if the box is not enrolled (or its record is unusable)."""
    try:
        data = json.loads(enrolment_file(paths).read_text())
        enrolment = Enrolment(str(data["server"]), str(data["centre_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (metadata_dir(paths) / "root.json").exists():
        return None
    return enrolment


def enrol(paths: Paths, server: str, centre_id: str, root: bytes) -> Enrolment:
    """Bind this box to *centre_id* at *server*, trusting *root*. Raises :class:`EnrolmentError`."""
    url = urlparse(server)
    if url.scheme not in ("https", "http") or not url.netloc:
        raise EnrolmentError(f"server must be an http(s) address, not {server!r}")
    if not _CENTRE_ID.match(centre_id):
        raise EnrolmentError(f"centre id {centre_id!r} is not valid (e.g. namwon-001)")
    from tuf.api.metadata import Metadata, Root  # not on the start-up path of `kiosk run`

    try:
        root_md = Metadata[Root].from_bytes(root)
        if not isinstance(root_md.signed, Root):
            raise TypeError("not a root")
        root_md.signed.verify_delegate(Root.type, root_md.signed_bytes, root_md.signatures)
    except Exception as err:  # noqa: BLE001 - any failure means "not a usable trust root"
        raise EnrolmentError(f"the trust root file is not a valid signed root: {err}") from None
    enrolment = Enrolment(server.rstrip("/"), centre_id)
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
    write_atomically(enrolment_file(paths), json.dumps(record).encode())
    return enrolment


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
