"""``kiosk doctor``: what a technician over SSH needs to know, in words or JSON.

Today it covers the configuration (enrolment, what is in force, the last check
and whether the repository has expired) and how much of the video library is
downloaded; devices and calls join it later. Missing videos are reported but
do not fail the check: the box serves everything else meanwhile.
Exit status 1 with the reason in one line when the box cannot serve as it should.
"""

import json
import sys
from typing import Any

from kiosk import __version__
from kiosk.config import ConfigError, KioskConfig, read_config
from kiosk.media.cache import MediaCache
from kiosk.paths import Paths
from kiosk.sync.enrolment import load_enrolment


def examine(paths: Paths) -> dict[str, Any]:
    """Everything ``kiosk doctor`` reports, as one JSON-ready object."""
    enrolment = load_enrolment(paths)
    config: dict[str, Any] = {
        "enrolled": enrolment is not None,
        "centre": enrolment.centre_id if enrolment else None,
        "server": enrolment.server if enrolment else None,
    }
    media: dict[str, Any] = {"files": 0, "ready": 0, "missing": []}
    try:
        active = read_config(paths.config)
        config.update(revision=active.revision, name=active.centre.name, active=True)
        media = library_report(active, MediaCache(paths.media))
    except ConfigError as err:
        config.update(revision=None, active=False, active_problem=str(err))
    try:
        status = json.loads((paths.state / "sync-status.json").read_text())
    except (OSError, ValueError):
        status = {}
    config.update(
        last_check=status.get("last_check"),
        last_outcome=status.get("last_outcome"),
        last_reason=status.get("last_reason"),
        last_success=status.get("last_success"),
        expired=bool(status.get("expired")),
    )
    return {"version": __version__, "config": config, "media": media}


def library_report(config: KioskConfig, cache: MediaCache) -> dict[str, Any]:
    """How much of the video library is downloaded and verified."""
    files = [(v.title, m) for v in config.library for m in (v.video, v.subtitles) if m]
    missing = [f"{title} ({media.file})" for title, media in files if not cache.ready(media)]
    return {"files": len(files), "ready": len(files) - len(missing), "missing": missing}


def problem(report: dict[str, Any]) -> str | None:
    """The one-line reason the box is not fine, or ``None``."""
    config = report["config"]
    if not config["enrolled"]:
        return "not enrolled: run kiosk enroll (or use the on-screen keypad)"
    if not config["active"]:
        return f"no configuration in force yet: {config.get('active_problem', '')}"
    if config["expired"]:
        return "the configuration repository has expired: is the centre's server re-signing it?"
    return None


def render(report: dict[str, Any]) -> str:
    config = report["config"]
    lines = [f"kiosk {report['version']}", "configuration:"]
    for key in (
        "centre",
        "name",
        "server",
        "revision",
        "last_check",
        "last_outcome",
        "last_reason",
        "last_success",
        "expired",
    ):
        lines.append(f"  {key}: {config.get(key)}")
    media = report["media"]
    lines.append(f"media: {media['ready']}/{media['files']} files downloaded and verified")
    lines += [f"  missing: {name}" for name in media["missing"]]
    return "\n".join(lines)


def doctor_command(paths: Paths, as_json: bool) -> int:
    """``kiosk doctor``: the report on stdout, the problem (if any) on stderr."""
    report = examine(paths)
    print(json.dumps(report, ensure_ascii=False) if as_json else render(report))
    reason = problem(report)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    return 0
