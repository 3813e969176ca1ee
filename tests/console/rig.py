"""City hall's console with calls, for the console's browser tests: a real Janus behind
the call gate in its network namespace (:class:`tests.calls.conftest.CallServer`), the
console serving the same repository (its built centres, its identity) with the gate's
staff listener as ``gate_url``, and Chromium at the console with a camera and a
microphone sending city hall's colour and tone.

Where Chromium runs: in our own namespace, like every console test (chromedriver
beside it, as tests/console/browser.py starts it). It reaches the console on
127.0.0.1 (a secure context: camera and microphone allowed) and the gate over the
veth pair at the namespace's address, as the kiosk desks of the call tests do; it
trusts the gate's certificate by its key alone, and shows its real addresses to
Janus (no mDNS names, which Janus in the namespace could not resolve)."""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kiosk.config import builtin_config
from kiosk_contract.config import KioskConfig
from kiosk_contract.config.calls import Calls
from kiosk_contract.config.model import Centre
from kiosk_demo.network import PrivateNetwork
from kiosk_provisioning.console.models import CallRecord, Role
from tests.calls.chromium import fake_media, spki_pin
from tests.calls.conftest import CENTRE, HALL_COLOUR, HALL_TONE, OTHER, CallServer, calls_for
from tests.console.browser import StaffAtConsole
from tests.console.server import ConsoleServer

NETWORK = 12
"""The console's call tests' network namespace (:class:`PrivateNetwork` index): not the
call tests' 0, which other suites (and the demo) use, so that they can run side by side
(opening a network removes a leftover of the same index: another's live one)."""
BENCH_NETWORK = 13
"""The console's call benchmark's."""
NAMES = {CENTRE: ("향교동 경로당", "향교동"), OTHER: ("산내 경로당", "산내면")}
"""The test centres' names and districts, as the console lists them."""

MEAN_RGB_JS = """
// Test-side: the mean RGB of a 32×24 copy of a <video>'s picture.
function meanRgb(video) {
  const canvas = document.createElement("canvas");
  canvas.width = 32; canvas.height = 24;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  g.drawImage(video, 0, 0, 32, 24);
  const pixels = g.getImageData(0, 0, 32, 24).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < pixels.length; i += 4) {
    sum[0] += pixels[i]; sum[1] += pixels[i + 1]; sum[2] += pixels[i + 2];
  }
  return sum.map(function (v) { return Math.round(v / (pixels.length / 4)); });
}
"""

MEASURE_JS = (
    MEAN_RGB_JS
    + """
// Test-side, injected by Selenium (not part of the console): what the page's remote
// <video> looks like (mean RGB of a 32×24 copy) and sounds like (strongest FFT bin).
const video = document.getElementById("remote-video");
if (!video || !video.srcObject || video.videoWidth === 0) return null;
if (!window.__probe || window.__probe.stream !== video.srcObject) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  const audio = video.srcObject.getAudioTracks();
  if (audio.length) context.createMediaStreamSource(new MediaStream(audio)).connect(analyser);
  window.__probe = { stream: video.srcObject, analyser: analyser, rate: context.sampleRate };
}
const colour = meanRgb(video);
const probe = window.__probe;
const bins = new Float32Array(probe.analyser.frequencyBinCount);
probe.analyser.getFloatFrequencyData(bins);
let best = 0;
for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
return { colour: colour,
         pitch: best * probe.rate / probe.analyser.fftSize, level: bins[best] };
"""
)


def build_centres(repo: Path, janus: CallServer, **changes: Any) -> list[KioskConfig]:
    """Write the test centres' built configurations (as ``kiosk-provision build``
    would) into *repo*: both with *janus*'s calls (its contacts: city hall's lines)."""
    folder = repo / "build" / "centres"
    folder.mkdir(parents=True, exist_ok=True)
    base = builtin_config()
    targets = {"call": "city-hall", "group": "town-meeting"}
    tiles = [
        msgspec.structs.replace(t, target=targets[t.action]) if t.action in targets else t
        for t in base.tiles
    ]
    configs = []
    for centre_id, (name, district) in NAMES.items():
        calls: Calls = calls_for(janus, call_name=centre_id, **changes)
        config = msgspec.structs.replace(
            base,
            centre=Centre(id=centre_id, name=name, district=district),
            calls=calls,
            tiles=tiles,
            revision=1,
        )
        (folder / f"{centre_id}.json").write_bytes(msgspec.json.encode(config))
        configs.append(config)
    return configs


@dataclass
class ConsoleCalls:
    """The console in front of *janus*'s repository (:attr:`console`), accounts
    ``caller`` (caller role), ``caller2`` (caller) and ``host`` (host only)."""

    janus: CallServer
    console: ConsoleServer

    def records(self) -> list[CallRecord]:
        """The console's call table, oldest first."""
        engine = create_engine(self.console.database)
        try:
            with Session(engine) as session:
                return list(session.scalars(select(CallRecord).order_by(CallRecord.started)))
        finally:
            engine.dispose()

    def staff_id(self, login: str) -> int:
        from kiosk_provisioning.console.models import Staff

        engine = create_engine(self.console.database)
        try:
            with Session(engine) as session:
                found = session.scalar(select(Staff.id).where(Staff.login == login))
                assert found is not None, login
                return found
        finally:
            engine.dispose()


@contextlib.contextmanager
def console_calls(network: PrivateNetwork, folder: Path) -> Iterator[ConsoleCalls]:
    """Janus and the gate in *network*, the console beside them (see :class:`ConsoleCalls`)."""
    with CallServer(network, folder / "calls") as janus:
        build_centres(janus.identity.repo, janus)
        console = ConsoleServer(
            janus.identity.repo, folder / "console", gate_url=janus.staff_door.url
        )
        console.add_staff("caller", "김복지", Role.CALLER, department="노인복지과")
        console.add_staff("caller2", "최민원", Role.CALLER, department="민원과")
        console.add_staff("host", "이회의", Role.HOST)
        with console:
            yield ConsoleCalls(janus, console)


@contextlib.contextmanager
def staff_at_calls(
    rig: ConsoleCalls,
    folder: Path,
    colour: tuple[int, int, int] = HALL_COLOUR,
    tone: int = HALL_TONE,
    size: tuple[int, int] = (1366, 768),
) -> Iterator[StaffAtConsole]:
    """Chromium at the console, sending *colour* and *tone*, trusting the gate."""
    folder.mkdir(parents=True, exist_ok=True)
    video, audio = fake_media(folder, colour, tone, seconds=4)
    pin = spki_pin(rig.janus.staff_door.cert)
    browser = StaffAtConsole(
        rig.console.url,
        folder,
        size=size,
        video=video,
        audio=audio,
        extra_args=(
            f"--ignore-certificate-errors-spki-list={pin}",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ),
    )
    try:
        yield browser
    finally:
        browser.close()


def measure(browser: StaffAtConsole) -> dict[str, Any] | None:
    """The page's far side now: ``colour`` (mean RGB), ``pitch`` (Hz), ``level`` (dB)."""
    found = browser.driver.execute_script(MEASURE_JS)
    return found if isinstance(found, dict) else None
