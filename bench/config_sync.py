"""Central configuration benchmark.

1. build + sign + publish the example fleet (496 centres), median of 5, each into a
   new repository (target <= 5 s);
2. a box's refresh when nothing changed: time and bytes on the wire, requests and
   answers with their headers, as nginx counts them (targets <= 50 ms, <= 2 KB);
   also the same check as the running kiosk makes it, in a child process;
3. a box's refresh when its configuration changed: time until applied.

Usage: .venv/bin/python bench/config_sync.py   (writes bench/results/config_sync.json)
"""

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from kiosk.paths import Paths  # noqa: E402
from kiosk.sync.child import check_in_child  # noqa: E402
from kiosk.sync.client import Synchroniser  # noqa: E402
from kiosk.sync.enrolment import enrol  # noqa: E402
from kiosk.sync.result import Outcome, apply  # noqa: E402
from kiosk_provisioning.build import build, publish  # noqa: E402
from kiosk_provisioning.repository import Repository  # noqa: E402
from tests.provision.fleets import put_example_media  # noqa: E402
from tests.webserver import access_log, nginx  # noqa: E402

EXAMPLES = ROOT / "provisioning" / "examples"


def wire_bytes(lines: list[str]) -> int:
    total = 0
    for line in lines:
        sent = re.search(r"sent=(\d+)", line)
        received = re.search(r"received=(\d+)", line)
        total += int(sent.group(1) if sent else 0) + int(received.group(1) if received else 0)
    return total


def main() -> int:
    publish_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for run in range(5):
            repo = Repository(folder / f"repo-{run}")
            repo.init()
            put_example_media(repo.path)  # the example's library and notices name them
            start = time.perf_counter()
            build(repo.path, EXAMPLES / "fleet", EXAMPLES / "centres.csv")
            publish(repo)
            publish_s.append(time.perf_counter() - start)
        repo = Repository(folder / "repo-0")
        fleet_dir = folder / "fleet"
        fleet_dir.mkdir()
        for item in (EXAMPLES / "fleet").rglob("*.json"):
            target = fleet_dir / item.relative_to(EXAMPLES / "fleet")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.read_bytes())
        state = folder / "box"
        (state / "etc").mkdir(parents=True)
        paths = Paths(state / "etc", state / "state", ROOT / "assets")
        with nginx(repo.public, folder / "nginx") as url:
            enrolment = enrol(paths, url, "namwon-123", (repo.path / "root.json").read_bytes())
            first = Synchroniser(paths, enrolment)
            assert apply(paths, first.check()).outcome is Outcome.APPLIED
            first.close()
            unchanged_s: list[float] = []
            unchanged_bytes: list[int] = []
            requests_per_check: list[int] = []
            for _ in range(30):
                before = len(access_log(folder / "nginx"))
                start = time.perf_counter()
                sync = Synchroniser(paths, enrolment)
                result = sync.check()
                unchanged_s.append(time.perf_counter() - start)
                sync.close()
                assert result.outcome is Outcome.UNCHANGED, result.reason
                lines = access_log(folder / "nginx")[before:]
                unchanged_bytes.append(wire_bytes(lines))
                requests_per_check.append(len(lines))
            child_s: list[float] = []
            for _ in range(10):
                start = time.perf_counter()
                assert check_in_child(paths).outcome is Outcome.UNCHANGED
                child_s.append(time.perf_counter() - start)
            changed_s: list[float] = []
            for step in range(10):
                defaults = json.loads((fleet_dir / "fleet.json").read_text())
                defaults["idle"]["return_home_after_s"] = 130 + step
                (fleet_dir / "fleet.json").write_text(json.dumps(defaults, ensure_ascii=False))
                build(repo.path, fleet_dir, EXAMPLES / "centres.csv")
                publish(repo)
                start = time.perf_counter()
                sync = Synchroniser(paths, enrolment)
                result = apply(paths, sync.check())
                changed_s.append(time.perf_counter() - start)
                sync.close()
                assert result.outcome is Outcome.APPLIED, (
                    result.reason,
                    access_log(folder / "nginx")[-4:],
                )
    summary = {
        "build_sign_publish_496_median_s": round(statistics.median(publish_s), 3),
        "build_sign_publish_496_samples_s": [round(x, 3) for x in publish_s],
        "refresh_unchanged_median_ms": round(statistics.median(unchanged_s) * 1000, 1),
        "refresh_unchanged_p90_ms": round(statistics.quantiles(unchanged_s, n=10)[-1] * 1000, 1),
        "refresh_unchanged_wire_bytes": statistics.median(unchanged_bytes),
        "refresh_unchanged_requests": statistics.median(requests_per_check),
        "refresh_unchanged_in_child_process_median_ms": round(statistics.median(child_s) * 1000),
        "refresh_changed_to_applied_median_ms": round(statistics.median(changed_s) * 1000, 1),
        "targets": {
            "publish <= 5 s": statistics.median(publish_s) <= 5,
            "unchanged <= 50 ms": statistics.median(unchanged_s) <= 0.05,
            "unchanged <= 2 KB": statistics.median(unchanged_bytes) <= 2048,
        },
    }
    save("config_sync", summary, show=False)
    for key, value in summary.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
