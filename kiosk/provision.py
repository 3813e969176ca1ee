"""The ``kiosk-provision`` command: the central side's tool.

For now it checks configuration documents with the very schema the kiosk uses,
so a technician finds a mistake before any box sees it.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.config import ConfigError, read_config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-provision", description=__doc__)
    parser.add_argument("--version", action="version", version=f"kiosk-provision {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = commands.add_parser("check", help="validate configuration documents")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    failures = 0
    for path in args.files:
        try:
            config = read_config(path)
        except ConfigError as err:
            failures += 1
            print(f"{path}: {err}", file=sys.stderr)
        else:
            print(f"{path}: ok ({config.centre.id}, revision {config.revision})")
    return 1 if failures else 0
