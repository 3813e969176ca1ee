"""Staff passes the console mints for the signed-in staff member, and city hall's call
lines a pass may name.

A staff member never types a pass or a call name: the console puts in the pass only
names it chose from city hall's own list (:func:`city_hall_lines`), signs it with the
repository's token key and gives it to the page, which hands it to janus.js as its
``token``; the call gate checks it (see :mod:`kiosk_provisioning.gate`).

The API the pages use is :func:`city_hall_lines` and :func:`mint_pass` (the meeting
page uses :func:`mint_pass` with its room and hosting)."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk_provisioning.broker.centres import built_configs
from kiosk_provisioning.identity.authority import Verifier
from kiosk_provisioning.identity.directory import identity_folder
from kiosk_provisioning.identity.tokens import issue_staff_pass

PASS_TTL_S = 2 * 3600
"""A pass opens a connection at the gate; the gate checks it again every few seconds
and cuts the connection (and the call on it) when it expires. So the calls page takes
a new one while idle once half of it is gone: a call started before then has an hour
at least. Short otherwise, so a pass copied out of a page is soon worthless."""


@dataclass(frozen=True)
class Line:
    """One of city hall's call names that centres may call (a contact in their
    configuration), e.g. ``cityhall-welfare`` shown as "남원시청 복지과"."""

    name: str
    """The VideoCall name (what the staff member's browser registers)."""
    label: str
    """What the centre shows, and what the console shows staff."""


def city_hall_lines(repo: Path) -> list[Line]:
    """Every contact name the built centres know, with its label, by label. Two centres
    giving one name different labels: the first centre's (by id) is shown."""
    lines: dict[str, Line] = {}
    for config in built_configs(repo):
        for contact in config.calls.contacts:
            lines.setdefault(contact.name, Line(contact.name, contact.label))
    return sorted(lines.values(), key=lambda line: (line.label, line.name))


def mint_pass(
    repo: Path,
    login: str,
    names: Sequence[str],
    rooms: Sequence[int] = (),
    host: bool = False,
    ttl_s: int = PASS_TTL_S,
) -> str:
    """A staff pass for *login* naming *names* (the caller has checked them against
    what this staff member may use), *rooms* and hosting, valid *ttl_s* seconds,
    signed with *repo*'s token key. ``OSError`` if the repository has no identity."""
    key = Verifier.open(identity_folder(repo)).token_key
    return issue_staff_pass(key, login, list(names), list(rooms), host, ttl_s)


__all__ = ["PASS_TTL_S", "Line", "city_hall_lines", "mint_pass"]
