"""The media library: videos, subtitles and voice prompts, addressed by content hash."""

import json
import shutil
from pathlib import Path
from typing import Any

from kiosk_contract.files import sha256_of, write_atomically
from kiosk_provisioning.problems import Problem, ProvisionError

CATEGORIES = ("singing", "exercise", "subtitle", "voice", "notice")


def add_media(
    repo: Path, file: Path, title: str, category: str, duration_s: float
) -> dict[str, Any]:
    """Copy *file* into ``REPO/media`` under its SHA-256 and list it in the catalogue."""
    if category not in CATEGORIES:
        raise ProvisionError(
            [Problem(str(file), f"unknown category {category!r}", field="category")]
        )
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
