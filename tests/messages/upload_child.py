"""The box's uploader in a process of its own, for a power cut the test can make
(``kill -9``) at a known point.

``python -m tests.messages.upload_child STATE URL``: sends the messages queued in
``STATE/messages`` to the identity service at *URL* as the box enrolled in
``STATE/identity``, exactly as the kiosk does, except that after each chunk city hall
acknowledged it prints city hall's offset and waits for a line on its input.
"""

import asyncio
import sys
from pathlib import Path

from kiosk.identity import tls_context
from kiosk.messages.cityhall import CityHallMessages, Progress
from kiosk.messages.spool import Spool
from kiosk.messages.uploader import MessageUploader
from kiosk.paths import Paths, default_assets


class Paced(CityHallMessages):
    def append(self, message_id: str, offset: int, chunk: bytes) -> Progress:
        answer = super().append(message_id, offset, chunk)
        print(answer.offset, flush=True)
        sys.stdin.readline()
        return answer


async def main(state: Path, url: str) -> None:
    paths = Paths(state.parent / "etc", state, default_assets())
    spool = Spool(state / "messages")
    spool.tidy()
    hall = Paced(url, lambda: tls_context(paths))
    uploader = MessageUploader(spool, lambda: hall)
    uploader.start()
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
