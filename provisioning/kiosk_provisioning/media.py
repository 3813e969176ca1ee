"""The media library: videos, subtitles, pictures and recordings, addressed by content
hash in ``REPO/media`` and listed in its ``catalogue.json``; and the entries of a fleet
file that name them, filled in from the file itself so nobody copies a hash by hand."""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_contract.files import sha256_of, write_atomically
from kiosk_provisioning.problems import Problem, ProvisionError

CATEGORIES = ("singing", "exercise", "other", "subtitle", "voice", "notice")
"""What a file is for: the first three are library videos (their ``category``), a
subtitle is a video's lyrics, a voice a spoken prompt, a notice a notice's picture or
recording."""
VIDEO_CATEGORIES = ("singing", "exercise", "other")
PICTURES = (".png", ".jpg")
RECORDINGS = (".ogg", ".wav", ".mp3")


@dataclass(frozen=True)
class Published:
    """A file ``REPO/media`` holds (and publishes), as its catalogue lists it."""

    sha256: str
    size: int


def add_media(
    repo: Path,
    file: Path,
    title: str,
    category: str,
    duration_s: float,
    subtitles: Path | None = None,
    into: Path | None = None,
    entry_id: str = "",
) -> dict[str, Any]:
    """Copy *file* (and its *subtitles*) into ``REPO/media`` under its SHA-256 and list
    it in the catalogue; returns its catalogue entry.

    With *into* (a fleet file: ``fleet.json``, a district's or a centre's), also fill
    the entry *entry_id* there: a video's library entry (added, or replaced with the
    same id), or a notice's picture or recording (the notice must be in that file).
    """
    if category not in CATEGORIES:
        known = ", ".join(CATEGORIES)
        raise ProvisionError(
            [Problem(str(file), f"unknown category {category!r} ({known})", field="category")]
        )
    if into is not None and not entry_id:
        raise ProvisionError([Problem(str(into), "which entry? (--id)", field="id")])
    if into is not None and category not in (*VIDEO_CATEGORIES, "notice"):
        message = f"a {category} is not named in a fleet file"
        raise ProvisionError([Problem(str(file), message, field="category")])
    if subtitles is not None and category not in VIDEO_CATEGORIES:
        message = f"only a video has subtitles, not a {category}"
        raise ProvisionError([Problem(str(subtitles), message, field="subtitles")])
    document = _fleet_file(into) if into is not None else None
    entry = _copy_in(repo, file, title, category, duration_s)
    lyrics = _copy_in(repo, subtitles, title, "subtitle", 0.0) if subtitles else None
    if into is not None and document is not None:
        if category == "notice":
            _fill_notice(document, into, entry_id, entry)
        else:
            _fill_library(document, entry_id, title, category, entry, lyrics)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if text.encode() != into.read_bytes():  # an unchanged file stays untouched
            write_atomically(into, text.encode())
    return entry


def media_file(entry: dict[str, Any]) -> dict[str, Any]:
    """How a configuration names a file of the catalogue (``MediaFile``)."""
    return {"file": entry["file"], "sha256": entry["sha256"], "size": entry["length"]}


def published_media(repo: Path) -> dict[str, Published]:
    """The files ``REPO/media`` holds, by name (as listed in its catalogue and present)."""
    catalogue = repo / "media" / "catalogue.json"
    if not catalogue.exists():
        return {}
    return {
        e["file"]: Published(e["sha256"], e["length"])
        for e in json.loads(catalogue.read_text())
        if (repo / "media" / e["file"]).is_file()
    }


def _copy_in(
    repo: Path, file: Path, title: str, category: str, duration_s: float
) -> dict[str, Any]:
    if not file.is_file():
        raise ProvisionError([Problem(str(file), "no such file")])
    digest = sha256_of(file)
    name = f"{digest}{file.suffix.lower()}"
    folder = repo / "media"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / name).exists():
        shutil.copyfile(file, folder / f".{name}.tmp")
        (folder / f".{name}.tmp").replace(folder / name)
    catalogue_path = folder / "catalogue.json"
    catalogue: list[dict[str, Any]] = (
        json.loads(catalogue_path.read_text()) if catalogue_path.exists() else []
    )
    entry = {
        "file": name,
        "sha256": digest,
        "length": (folder / name).stat().st_size,
        "title": title,
        "category": category,
        "duration_s": duration_s,
    }
    catalogue = [e for e in catalogue if e["file"] != name] + [entry]
    write_atomically(catalogue_path, json.dumps(catalogue, ensure_ascii=False, indent=1).encode())
    return entry


def _fleet_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise ProvisionError([Problem(str(path), f"cannot read: {err.strerror}")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ProvisionError([Problem(str(path), f"not valid JSON ({err})")]) from None
    if not isinstance(document, dict):
        raise ProvisionError([Problem(str(path), "must hold a JSON object")])
    return document


def _fill_library(
    document: dict[str, Any],
    entry_id: str,
    title: str,
    category: str,
    video: dict[str, Any],
    subtitles: dict[str, Any] | None,
) -> None:
    """The library entry *entry_id*, replaced where it stands or added at the end."""
    filled: dict[str, Any] = {
        "id": entry_id,
        "title": title,
        "category": category,
        "video": media_file(video),
    }
    if subtitles is not None:
        filled["subtitles"] = media_file(subtitles)
    library = document.setdefault("library", [])
    for i, old in enumerate(library):
        if isinstance(old, dict) and old.get("id") == entry_id:
            library[i] = filled
            return
    library.append(filled)


def _fill_notice(
    document: dict[str, Any], path: Path, notice_id: str, file: dict[str, Any]
) -> None:
    """The notice's picture or recording (by the file's kind)."""
    suffix = Path(file["file"]).suffix
    if suffix not in PICTURES + RECORDINGS:
        message = f"a notice takes a picture ({', '.join(PICTURES)}) or a recording"
        raise ProvisionError([Problem(str(path), message, field="notices")])
    part = "picture" if suffix in PICTURES else "voice"
    notices = document.get("notices")
    for notice in notices if isinstance(notices, list) else []:
        if isinstance(notice, dict) and notice.get("id") == notice_id:
            notice[part] = media_file(file)
            return
    raise ProvisionError([Problem(str(path), f"no notice {notice_id!r} here", field="notices")])
