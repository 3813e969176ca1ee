"""What a centre's settings point at must exist before city hall signs them.

A tile that names no programme, contact or room, a timetable entry or a programme
that names nothing, a library video or a notice's picture whose file the repository
does not publish: the box would only say "아직 준비 중입니다" (not ready yet), and
nobody at the centre could tell why. :func:`dangling` finds every such reference in
one merged document, before the schema sees it, so that each is named with the file
that wrote it and the tile or entry it is in.

The document is the merged JSON (plain dicts and lists); anything of the wrong shape
is skipped here and refused by the schema afterwards.
"""

from dataclasses import dataclass
from typing import Any

from kiosk_provisioning.media import Published

NOTICES_PAGE = "notices"
"""The one information page a box has: today's notices (the box's ``NOTICES_TARGET``)."""


@dataclass(frozen=True)
class Dangling:
    """A reference to something that does not exist."""

    field: str
    """Where it is, e.g. ``tiles[2]``: the caller names the file that set it."""
    message: str


def dangling(document: dict[str, Any], media: dict[str, Published] | None) -> list[Dangling]:
    """Every reference in *document* to something that does not exist. *media*: the
    files the repository publishes, by name (``None``: not checked)."""
    problems: list[Dangling] = []

    def refuse(field: str, message: str) -> None:
        problems.append(Dangling(field, message))

    def missing(ids: set[str], ref: Any) -> bool:
        return not isinstance(ref, str) or ref not in ids  # a list is no id (nor hashable)

    library = _ids(document.get("library"))
    programmes = _ids(document.get("programmes"))
    calls = document.get("calls")
    calls = calls if isinstance(calls, dict) else {}
    contacts, rooms = _ids(calls.get("contacts")), _ids(calls.get("rooms"))
    server = calls.get("server")
    for i, tile in _items(document.get("tiles")):
        field, action, target = f"tiles[{i}]", tile.get("action"), tile.get("target")
        name = f"tile {tile.get('id')!r} ({tile.get('label')})"
        if action in ("programme", "live") and missing(programmes, target):
            refuse(field, f"{name} plays programme {target!r}, which is not in programmes")
        elif action == "call" and missing(contacts, target):
            refuse(field, f"{name} calls {target!r}, which is not in calls.contacts")
        elif action == "group" and missing(rooms, target):
            refuse(field, f"{name} joins room {target!r}, which is not in calls.rooms")
        elif action == "info" and target != NOTICES_PAGE:
            refuse(field, f"{name} opens page {target!r}; the only page is {NOTICES_PAGE!r}")
        if action in ("call", "group") and not server:
            refuse(field, f"{name} needs calls.server, which is not set")
    for i, programme in _items(document.get("programmes")):
        videos = programme.get("videos")
        named = [*(videos if isinstance(videos, list) else []), programme.get("fallback")]
        for video in named:
            if video is not None and missing(library, video):
                refuse(
                    f"programmes[{i}]",
                    f"programme {programme.get('id')!r} plays video {video!r}, "
                    "which is not in the library",
                )
    for i, slot in _items(document.get("schedule")):
        if missing(programmes, slot.get("programme")):
            refuse(
                f"schedule[{i}]",
                f"timetable entry {i + 1} ({_when(slot)}) starts programme "
                f"{slot.get('programme')!r}, which is not in programmes",
            )
    if media is not None:
        problems += _unpublished(document, media)
    return problems


def _unpublished(document: dict[str, Any], media: dict[str, Published]) -> list[Dangling]:
    """Library videos, lyrics and notices' pictures and recordings the repository does
    not publish as named (file, SHA-256 and size)."""
    problems: list[Dangling] = []
    files: list[tuple[str, str, Any]] = []
    for i, video in _items(document.get("library")):
        for part in ("video", "subtitles"):
            label = f"library entry {video.get('id')!r}: its {part}"
            files.append((f"library[{i}].{part}", label, video.get(part)))
    for i, notice in _items(document.get("notices")):
        for part in ("picture", "voice"):
            label = f"notice {notice.get('id')!r}: its {part}"
            files.append((f"notices[{i}].{part}", label, notice.get(part)))
    for field, label, named in files:
        if not isinstance(named, dict) or not isinstance(named.get("file"), str):
            continue
        name = named["file"]
        published = media.get(name)
        if published is None:
            message = (
                f"{label} {name} is not in the repository's media "
                "(add it with kiosk-provision media add)"
            )
        elif (named.get("sha256"), named.get("size")) != (published.sha256, published.size):
            message = (
                f"{label} {name} is not the repository's file (sha256 or size differ: "
                "fill the entry with kiosk-provision media add --into)"
            )
        else:
            continue
        problems.append(Dangling(field, message))
    return problems


def _items(listed: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(listed, list):
        return []
    return [(i, item) for i, item in enumerate(listed) if isinstance(item, dict)]


def _ids(listed: Any) -> set[str]:
    return {item["id"] for _, item in _items(listed) if isinstance(item.get("id"), str)}


def _when(slot: dict[str, Any]) -> str:
    days = slot.get("days")
    return f"{','.join(map(str, days)) if isinstance(days, list) else '?'} {slot.get('start')}"
