"""The centres the fleet knows: those ``kiosk-provision build`` last wrote."""

from dataclasses import dataclass
from pathlib import Path

from kiosk_contract.config import ConfigError, KioskConfig, parse_config
from kiosk_provisioning.problems import Problem, ProvisionError


@dataclass(frozen=True)
class BuiltCentre:
    id: str
    name: str
    district: str


def built_dir(repo: Path) -> Path:
    return repo / "build" / "centres"


def built_configs(repo: Path) -> list[KioskConfig]:
    """Every centre's built configuration, by id; :class:`ProvisionError` for one that
    does not parse (the build writes only valid ones: something else changed it)."""
    configs: list[KioskConfig] = []
    problems: list[Problem] = []
    for path in sorted(built_dir(repo).glob("*.json")):
        try:
            configs.append(parse_config(path.read_bytes()))
        except (OSError, ConfigError) as err:
            problems.append(Problem(str(path), str(err)))
    if problems:
        raise ProvisionError(problems)
    return configs


def built_centres(repo: Path) -> list[BuiltCentre]:
    """The centres of the last build, by id (none before the first build)."""
    return [BuiltCentre(c.centre.id, c.centre.name, c.centre.district) for c in built_configs(repo)]
