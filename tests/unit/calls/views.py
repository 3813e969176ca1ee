"""Following what a call desk shows, in order (the real-Janus tests use it too)."""

import asyncio

from kiosk.calls.desk import CallDesk, CallView, Phase


class Views:
    """Every view a desk showed, in order, and how far a test has read them."""

    def __init__(self, desk: CallDesk) -> None:
        self.first = desk.view
        self.views: list[CallView] = []
        self.read = 0
        self.new = asyncio.Event()
        desk.subscribe(self.add)

    def add(self, view: CallView) -> None:
        self.views.append(view)
        self.new.set()

    def phases(self) -> list[Phase]:
        return [view.phase for view in self.views]

    async def reach(self, *phases: Phase) -> CallView:
        """The next view (after the last one returned) in one of *phases*, now or later.

        Reading the history in order means a phase that came and went while the test
        awaited something else is still seen."""
        if self.read == 0 and not self.views and self.first.phase in phases:
            return self.first
        while True:
            while self.read < len(self.views):
                view = self.views[self.read]
                self.read += 1
                if view.phase in phases:
                    return view
            self.new.clear()
            await self.new.wait()
