"""The example city, end to end: ``provisioning/examples/`` with its media put in by
``add-media``, built and published (as ``kiosk-provision build`` and ``publish`` do),
served by nginx with mutual TLS, and a real kiosk enrolled as namwon-001 with its own
key and certificate on a real X server. Its 노래교실
plays 아리랑 through libvlc to the end, and its 시청과 화상통화 tile reaches city hall:
the call goes through the call gate to a real Janus (in its own network namespace),
where a staff desk registered as the example's 복지정책과 sees the call come from
namwon-001, answers, and each side sees the other's picture."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kiosk.calls.local import CAMERA_OFF
from kiosk.calls.tracks import ColourTrack, ToneTrack
from kiosk.ui.qt import QImage
from kiosk_contract.config import parse_config
from kiosk_demo.network import PrivateNetwork
from kiosk_demo.staff import StaffDesk
from kiosk_provisioning.build import build, publish
from kiosk_provisioning.repository import Repository
from tests.calls.identities import CallServer
from tests.calls.signals import mean_rgb, near
from tests.e2e.xserver import colour_share, running_kiosk, screenshot, wait_for, xdotool, xvfb
from tests.fleet.field import enrolled_box
from tests.provision.test_example_city import EXAMPLES, TOOLS
from tests.webserver import MutualTls, nginx

pytestmark = pytest.mark.xvfb

T = TypeVar("T")
CENTRE = "namwon-001"
ROOM = 1001
NETWORK = 41
"""The private network's index: one no other test of this project takes (two tests
with one index on this machine at once would tear down each other's namespace)."""
WAIT_S = 60.0
HALL_COLOUR = (40, 60, 200)
"""What city hall's desk sends, to find it on the centre's screen."""
SINGING_RED = "#9b1c1c"
"""The 노래교실 tile's colour (gone while the class fills the screen)."""


class CityHallDesk:
    """A city-hall staff member's desk (the demo's :class:`StaffDesk`, as the
    tests' far side) registered as *name* through the call gate with a staff pass,
    on its own event loop in its own thread, so that the test can wait on the kiosk
    meanwhile. Use it in a ``with`` block: its thread ends with it, even when the
    desk could not register."""

    def __init__(self, server: CallServer, name: str) -> None:
        self._server = server
        self._name = name
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="city-hall-desk")
        self.desk: StaffDesk | None = None

    def __enter__(self) -> "CityHallDesk":
        self._thread.start()
        try:
            self.desk = self._run(
                StaffDesk.open(
                    self._server.url,
                    self._name,
                    lambda: (ToneTrack(1000), ColourTrack(HALL_COLOUR)),
                    open_session=self._server.staff_session((self._name,)),
                )
            )
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.desk is not None:
                self._run(self.desk.close())
        finally:
            self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(WAIT_S)

    def answer_next_call(self) -> str:
        """Wait for a call, answer it; who called, as the gate vouches for it."""
        desk = self.desk
        assert desk is not None

        async def answer() -> str:
            incoming = await desk.next("incomingcall")
            await desk.answer(incoming)
            return incoming.peer

        return self._run(answer())

    def sees(self, colour: tuple[int, int, int]) -> bool:
        """The picture the centre sends is near *colour*."""
        desk = self.desk
        assert desk is not None

        async def look() -> bool:
            picture = desk.peer.picture() if desk.peer else None
            return picture is not None and near(mean_rgb(picture), colour)

        return self._run(look())


def share_near(image: QImage, rgb: tuple[int, int, int], step: int = 24) -> float:
    """Fraction of sampled pixels near *rgb* (VP8 and scaling change colours a little)."""
    hits = total = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            colour = image.pixelColor(x, y)
            total += 1
            hits += near((colour.red(), colour.green(), colour.blue()), rgb, 40)
    return hits / total


@pytest.fixture
def network() -> Iterator[PrivateNetwork]:
    if os.geteuid() != 0:
        pytest.fail("city hall's Janus runs in a network namespace: run the tests as root")
    with PrivateNetwork(NETWORK) as net:
        yield net


def built_example(repo: Repository, call_server: str, tmp_path: Path) -> None:
    """The example city built and published into *repo* as the README says (the media
    through ``add-media``), with three changes for this machine in namwon-001's own
    file: its call server is the test's, it has no fleet broker (none runs here; so its
    town meeting has no floor, which needs one), and no timetable (the daily exercise
    would start by itself at 14:00 in the middle of it)."""
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES / "fleet", fleet)
    env = {**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [EXAMPLES / "add-media", repo.path, fleet / "fleet.json"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    own = fleet / "centres" / f"{CENTRE}.json"
    settings = json.loads(own.read_text())
    settings["calls"]["server"] = call_server
    rooms = json.loads((fleet / "fleet.json").read_text())["calls"]["rooms"]
    settings["calls"]["rooms"] = [{k: v for k, v in r.items() if k != "floor"} for r in rooms]
    settings.update(fleet=None, schedule=[])
    own.write_text(json.dumps(settings, ensure_ascii=False))
    build(repo.path, fleet, EXAMPLES / "centres.csv")
    publish(repo)


def test_the_example_citys_box_plays_its_singing_class_and_reaches_city_hall(
    network: PrivateNetwork, tmp_path: Path
) -> None:
    repo = Repository(tmp_path / "repo")
    repo.init()
    # City hall's identity in the repository: the fleet CA, the call gate and Janus with
    # the example's town-meeting room.
    server = CallServer(network, tmp_path, {CENTRE: (ROOM,)}, {ROOM: "남원시 마을 회의"}, CENTRE)
    authority = server.identity.authority
    built_example(repo, server.url, tmp_path)
    config = parse_config((repo.path / "build" / "centres" / f"{CENTRE}.json").read_bytes())
    singing = config.programme(config.tiles[0].target)
    hall = config.calls.contact(config.tiles[2].target)
    assert singing is not None and hall is not None
    arirang = config.video(singing.videos[0])
    assert arirang is not None and arirang.subtitles is not None

    cert, key = authority.issue_server_cert(["127.0.0.1"], tmp_path / "server-tls")
    tls = MutualTls(cert, key, authority.ca_path, authority.crl_path)
    trust = {"REQUESTS_CA_BUNDLE": str(authority.ca_path), "SSL_CERT_FILE": str(authority.ca_path)}
    with nginx(repo.public, tmp_path / "nginx", mtls=tls) as url, server:
        root = (repo.path / "root.json").read_bytes()
        os.environ.update(trust)  # the box trusts the fleet CA's servers, as enrolled
        try:
            paths = enrolled_box(tmp_path / "centre", server.identity, url, root)
        finally:
            for name in trust:
                os.environ.pop(name, None)
        env = {"KIOSK_ETC_DIR": str(paths.etc), "KIOSK_STATE_DIR": str(paths.state), **trust}
        subprocess.run(
            [Path(sys.executable).parent / "kiosk", "sync", "--once"],
            env={**os.environ, **env},
            check=True,
            timeout=120,
        )
        with (
            CityHallDesk(server, hall.name) as desk,
            xvfb() as display,
            running_kiosk(display, tmp_path / "centre", ["run"], env) as kiosk,
        ):
            kiosk.wait_log("home screen painted", WAIT_S)
            home = kiosk.shot("home")
            assert _share(home, SINGING_RED) > 0.02, "the 노래교실 tile"
            assert share_near(home, HALL_COLOUR) < 0.01, "nothing of city hall's colour yet"

            # 노래교실: 아리랑 and its lyrics downloaded from city hall and checked,
            # then played by libvlc from its first picture to its end.
            for media in (arirang.video, arirang.subtitles):
                kiosk.wait_log(f"downloaded and verified {media.file}", WAIT_S)
            xdotool(display, "key", "1")
            kiosk.wait_log(f"playback stopped -> recording ({arirang.id})", WAIT_S)
            wait_for(
                lambda: _share(screenshot(display), SINGING_RED) < 0.001,
                10,
                "the class filling the screen",
            )
            kiosk.shot("singing-class")
            kiosk.wait_log("playback recording -> stopped", WAIT_S)
            assert "could not be played" not in kiosk.log_text()
            assert "playback of singing stopped" not in kiosk.log_text(), "ran to its end"

            # 시청과 화상통화: city hall's 복지정책과 is rung by namwon-001 (the gate
            # vouches for the name), answers, and each side sees the other.
            kiosk.wait_log(f"registered with city hall as {CENTRE}", WAIT_S)
            xdotool(display, "key", "3")
            assert desk.answer_next_call() == CENTRE
            kiosk.wait_log("call calling -> in_call", WAIT_S)
            # City hall's picture fills the far side's frame (a 4:3 picture in it: about
            # a sixth of the screen); the centre's "camera off" picture reaches city hall.
            wait_for(
                lambda: share_near(screenshot(display), HALL_COLOUR) > 0.1,
                30,
                "city hall's picture on the call screen",
            )
            kiosk.shot("call-with-city-hall")
            wait_for(lambda: desk.sees(CAMERA_OFF), 20, "the centre's picture at city hall")
            xdotool(display, "key", "Escape")
            kiosk.wait_log("call ended -> idle", WAIT_S)
    assert "Traceback" not in kiosk.log_text()


def _share(image: QImage, colour: str) -> float:
    return colour_share(image, colour)[0]
