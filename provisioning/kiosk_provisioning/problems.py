"""Errors of the central side, each saying where: file, CSV line, field."""

from collections.abc import Iterable
from dataclasses import dataclass, replace


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
    centres: tuple[str, ...] = ()
    """The centres it breaks, when the file is shared by several (a fleet or district
    file); none for a centre's own line of the inventory."""

    def __str__(self) -> str:
        where = self.source + (f" line {self.line}" if self.line else "")
        centres = ""
        if len(self.centres) == 1:
            centres = f" (centre {self.centres[0]})"
        elif self.centres:
            more = len(self.centres) - 1
            centres = f" (centres {self.centres[0]} and {more} more)"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}{centres}"


def merged(problems: Iterable[Problem]) -> list[Problem]:
    """*problems* in order, one mistake in a shared file listed once with every centre
    it breaks (a dangling tile in ``fleet.json`` is one problem, not 496)."""
    kept: dict[tuple[str, int | None, str, str], Problem] = {}
    for problem in problems:
        key = (problem.source, problem.line, problem.field, problem.message)
        first = kept.get(key)
        if first is None:
            kept[key] = problem
        else:
            kept[key] = replace(first, centres=first.centres + problem.centres)
    return list(kept.values())


class ProvisionError(Exception):
    """One or more problems (see :func:`merged`); nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = merged(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
