"""Errors of the central side, each saying where: file, CSV line, field."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake a technician must fix."""

    source: str
    """File the mistake is in (as given on the command line, or a repository path)."""
    message: str
    line: int | None = None
    """CSV line (1-based, as a spreadsheet shows it), if any."""
    field: str = ""
    """Column or configuration field, if any."""

    def __str__(self) -> str:
        where = self.source + (f" line {self.line}" if self.line else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class ProvisionError(Exception):
    """One or more problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
