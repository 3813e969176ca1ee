"""Where every benchmark leaves its figures: ``bench/results/<name>.json``."""

import json
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent / "results"


def save(name: str, figures: dict[str, Any], show: bool = True) -> Path:
    """Write *figures* to ``bench/results/<name>.json`` (and print them, with *show*)."""
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"{name}.json"
    path.write_text(text + "\n")
    if show:
        print(text)
    return path
