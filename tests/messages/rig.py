"""City hall's real identity service (TLS on loopback, the real fleet CA) with a box of
one centre enrolled into a kiosk state folder, and real messages recorded by the
box's own ffmpeg command from ffmpeg's generated camera and microphone."""

import datetime as dt
import subprocess
import uuid
from pathlib import Path

from kiosk.identity import tls_context
from kiosk.messages.cityhall import CityHallMessages
from kiosk.messages.recorder import record_command
from kiosk.messages.spool import Message, Spool
from kiosk.paths import Paths
from kiosk_provisioning.identity.service import RunningService, start
from kiosk_provisioning.messages import MessageStore
from tests.calls.identities import CityHallIdentity
from tests.conftest import ASSETS

CENTRE = "namwon-001"
WHEN = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def camera(seconds: float, realtime: bool = False) -> list[str]:
    """ffmpeg's generated camera: its test pattern at a webcam's 640x480, 15 fps."""
    pace = ["-re"] if realtime else []
    return [*pace, "-f", "lavfi", "-i", f"testsrc=s=640x480:r=15:duration={seconds}"]


def microphone(seconds: float, realtime: bool = False) -> list[str]:
    """ffmpeg's generated microphone: a 440 Hz tone."""
    pace = ["-re"] if realtime else []
    return [*pace, "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


def streams(path: Path) -> list[str]:
    """ffprobe's codec, width and height of each stream, as ``vp8 480x360`` / ``opus``."""
    found = subprocess.run(
        [
            "ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
            "-of", "csv=p=0", str(path),
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    described = []
    for line in found.split():
        codec, *size = [part for part in line.split(",") if part]
        described.append(f"{codec} {'x'.join(size)}".strip())
    return described


def decodes(path: Path) -> bool:
    """ffmpeg decodes every frame of *path* without an error."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.returncode == 0 and not done.stderr.strip()


class CityHallRig:
    """The service (:attr:`url`, restartable on the same port) and the box's paths."""

    def __init__(self, folder: Path) -> None:
        self.identity = CityHallIdentity(folder / "repo", {CENTRE: ()})
        self.cert, self.key = self.identity.authority.issue_server_cert(
            ["127.0.0.1"], folder / "server"
        )
        self.paths = Paths(folder / "etc", folder / "state", ASSETS)
        self.identity.enrol(CENTRE, self.paths.state / "identity")
        self.service: RunningService | None = None
        self.port = 0
        self.up()
        self.spool = Spool(self.paths.state / "messages")
        self.spool.tidy()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def up(self) -> None:
        self.service = start(self.identity.folder, self.cert, self.key, port=self.port)
        self.port = int(self.service.url.rsplit(":", 1)[1])

    def down(self) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None

    def close(self) -> None:
        self.down()

    def city_hall(self) -> CityHallMessages:
        """The box's client, as the kiosk makes it (its identity from its state folder)."""
        return CityHallMessages(self.url, lambda: tls_context(self.paths))

    def store(self) -> MessageStore:
        return MessageStore.open(self.identity.repo)

    def record(self, seconds: float) -> Message:
        """A message of *seconds* recorded with the box's own command (generated devices,
        as fast as ffmpeg goes) and queued."""
        out = self.spool.recording_path(uuid.uuid4().hex)
        command = record_command(camera(seconds), microphone(seconds), out)
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
        return self.spool.queue(out, seconds, WHEN)
