"""Download progress, as the leader and technician see it. Plain data: imported at start-up."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Progress:
    """What the leader and technician see about downloads."""

    items_total: int = 0
    items_ready: int = 0
    bytes_total: int = 0
    bytes_ready: int = 0
    current: str = ""
    """Title of the file downloading now ('' when idle)."""
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def items_left(self) -> int:
        return self.items_total - self.items_ready

    @property
    def fraction(self) -> float:
        return self.bytes_ready / self.bytes_total if self.bytes_total else 1.0
