"""A box's fleet link with the real Qt-free parts behind it, for the tests with the
real broker, in the test's process or alone in a child process (``python -m
tests.fleet.box CONFIG ETC STATE``: a box a test can kill)."""

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.fleet.board import AlertBoard
from kiosk.fleet.link import FleetLink
from kiosk.fleet.mqtt import Connect, connect
from kiosk.fleet.report import BoxReport
from kiosk.identity import tls_context
from kiosk.logs import LastError
from kiosk.navigation import Navigator
from kiosk.paths import Paths, default_assets
from kiosk.status import StatusBoard
from kiosk_contract.config import KioskConfig, read_config
from tests.broker import Message, Peer

CENTRE = "c-1"
DISTRICT = "운봉읍"
WAIT_S = 15.0


class Box:
    """A box's fleet link with the real Qt-free parts behind it, on the running loop."""

    def __init__(
        self,
        config: KioskConfig,
        paths: Paths,
        connect: Connect = connect,
        **link: object,
    ) -> None:
        self.config = config
        self.status = StatusBoard()
        self.navigator = Navigator(config.tiles, config.keys, config.idle, time.monotonic)
        self.board = AlertBoard(paths.alerts_record)
        self.changes = asyncio.Event()
        self.board.subscribe(self.changes.set)
        self.report = BoxReport(
            lambda: self.config, self.status, self.navigator, self.board, LastError(), paths.state
        )
        self.link = FleetLink(
            config,
            lambda: tls_context(paths),
            self.board,
            self.report,
            asyncio.get_running_loop(),
            connect=connect,
            gap_s=0.2,
            **link,  # type: ignore[arg-type]
        )
        self.board.attach(self.link.report_receipt)

    async def board_changed(self) -> None:
        await asyncio.wait_for(self.changes.wait(), WAIT_S)
        self.changes.clear()


async def next_on(
    peer: Peer, topic: str, where: Callable[[Message], bool] = lambda _m: True
) -> Message:
    """The next message *peer* gets on *topic* that *where* likes (the loop turns meanwhile)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"nothing on {topic} within {WAIT_S} s"
        message = await asyncio.to_thread(peer.next, left)
        if message.topic == topic and where(message):
            return message


def main(argv: list[str]) -> None:
    """Run a box's link until killed."""
    config = read_config(Path(argv[0]))
    paths = Paths(Path(argv[1]), Path(argv[2]), default_assets())

    async def run() -> None:
        box = Box(config, paths)
        box.link.start()
        await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1:])
