"""Console benchmark: click "전화" on the calls page -> first remote video frame in
the page.

The rig of tests/console/test_calls.py: Janus behind the call gate in its network
namespace, the console serving the same repository, Chromium (Selenium) signed in
as a caller holding city hall's welfare line, and a kiosk's call desk (the real
one, stand-in camera) that answers as soon as it rings. Measured in the page: the
click's time (a capture listener) to the first frame of the remote <video>
(requestVideoFrameCallback), both on the page's performance clock. The answer
comes from Python polling the desk (a few ms), as a person pressing 받기 would not.

Usage (root): .venv/bin/python bench/console_call.py [--rounds 10]
Writes bench/results/console_call.json.
"""

import argparse
import asyncio
import datetime as dt
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import save  # noqa: E402
from kiosk.calls.desk import Phase  # noqa: E402
from kiosk_demo.network import PrivateNetwork  # noqa: E402
from tests.calls.conftest import CENTRE, calls_for, reach, run, started  # noqa: E402
from tests.console.rig import BENCH_NETWORK, console_calls, staff_at_calls  # noqa: E402

WATCH_JS = """
// Bench-side: the click's time, then the first frame the remote <video> shows.
window.__bench = { clicked: null, frame: null };
document.addEventListener("click", function (e) {
  if (!e.target.closest("button.call")) return;
  window.__bench.clicked = performance.now();
  const video = document.getElementById("remote-video");
  (function wait() {
    if (video.srcObject && video.srcObject.getVideoTracks().length) {
      video.requestVideoFrameCallback(function (now) { window.__bench.frame = now; });
    } else {
      requestAnimationFrame(wait);
    }
  })();
}, true);
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    timings: list[float] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        PrivateNetwork(BENCH_NETWORK) as network,
        console_calls(network, Path(tmp)) as rig,
        staff_at_calls(rig, Path(tmp) / "browser") as staff,
    ):
        staff.sign_in("caller")
        staff.open("/calls/")
        staff.find('input[name="line"][value="cityhall-welfare"]').click()
        staff.wait(lambda: staff.find('[data-line-state="cityhall-welfare"]').text == "받는 중")

        async def rounds() -> None:
            desk = await started(calls_for(rig.janus))
            button = f'button.call[data-centre="{CENTRE}"]'
            for _ in range(args.rounds):
                await asyncio.to_thread(staff.driver.execute_script, WATCH_JS)
                await asyncio.to_thread(lambda: staff.find(button).click())
                await reach(desk, Phase.RINGING)
                desk.answer()
                await reach(desk, Phase.IN_CALL)

                def seen() -> float | None:
                    got = staff.driver.execute_script("return window.__bench")
                    if got and got["frame"] is not None:
                        return float(got["frame"]) - float(got["clicked"])
                    return None

                timings.append(await asyncio.to_thread(staff.wait, seen, 30))
                await asyncio.to_thread(lambda: staff.find("#hang-up").click())
                await reach(desk, Phase.IDLE)
                await asyncio.to_thread(
                    staff.wait,
                    lambda: staff.driver.execute_script(
                        "return document.getElementById('calls').dataset.phase === 'idle' "
                        "&& document.getElementById('in-call').hidden"
                    ),
                )
            await desk.close()

        run(rounds(), limit=60 + 30 * args.rounds)
    figures = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "rounds": args.rounds,
        "click_to_first_remote_frame_ms": {
            "median": round(statistics.median(timings), 1),
            "min": round(min(timings), 1),
            "max": round(max(timings), 1),
            "all": [round(t, 1) for t in timings],
        },
    }
    save("console_call", figures)


if __name__ == "__main__":
    main()
