"""The ``kiosk`` command. Starts fast: nothing heavy is imported until needed."""

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.logs import setup_logging
from kiosk.paths import resolve_paths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Big-button video terminal for senior centres (경로당).",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("KIOSK_LOG_LEVEL"),
        choices=["debug", "info", "warning", "error"],
        help="least important messages logged to stderr (default: info; warning for "
        "enroll and sync, which print their one-line result themselves)",
    )
    parser.add_argument(
        "--etc-dir", help="identity and settings (default /etc/kiosk, or KIOSK_ETC_DIR)"
    )
    parser.add_argument(
        "--state-dir", help="state and caches (default /var/lib/kiosk, or KIOSK_STATE_DIR)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="show the kiosk (full screen)")
    run.add_argument("--demo", action="store_true", help="use the bundled demo configuration")
    run.add_argument("--windowed", action="store_true", help="a normal window, for development")
    run.add_argument("--language", choices=["ko", "en"], help="override the configured language")
    enroll = commands.add_parser("enroll", help="bind this box to its centre")
    enroll.add_argument("--server", required=True, help="address of the published repository")
    enroll.add_argument("--centre", required=True, help="centre id, e.g. namwon-001")
    enroll.add_argument(
        "--identity", help="city hall's identity service (gives the box its certificate)"
    )
    enroll.add_argument(
        "--code", help="the centre's 12-digit one-time code from city hall (with --identity)"
    )
    enroll.add_argument("--root", required=True, type=Path, help="trust root (root.json)")
    sync = commands.add_parser(
        "sync", help="fetch the configuration now (exit 0 ok, 2 rejected, 3 unreachable)"
    )
    sync.add_argument("--once", action="store_true", required=True, help="check once and exit")
    sync.add_argument(
        "--check-only",
        action="store_true",
        help="verify but leave a new configuration for the running kiosk to apply",
    )
    sync.add_argument("--json", action="store_true", help="the result as one JSON line")
    doctor = commands.add_parser("doctor", help="what is wrong with this box, for technicians")
    doctor.add_argument("--json", action="store_true", help="one JSON object")
    safe = commands.add_parser(
        "safe-screen", help="a calm 'out of service' screen (systemd's, when the kiosk gave up)"
    )
    safe.add_argument(
        "--minutes", type=float, default=30, help="then end, so the kiosk is tried again"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args = _parser().parse_args(argv)
    quiet = args.command in ("enroll", "sync", "doctor")
    setup_logging(args.log_level or ("warning" if quiet else "info"))
    if args.command is None:
        _parser().print_help()
        return 2
    if args.command == "doctor":
        from kiosk.doctor import doctor_command

        return doctor_command(resolve_paths(args.etc_dir, args.state_dir), args.json)
    if args.command == "safe-screen":
        from kiosk.ui.safe import safe_screen

        return safe_screen(resolve_paths(args.etc_dir, args.state_dir), args.minutes)
    if args.command in ("enroll", "sync"):
        from kiosk.sync.commands import enroll_command, sync_command

        paths = resolve_paths(args.etc_dir, args.state_dir)
        if args.command == "enroll":
            return enroll_command(paths, args)
        return sync_command(paths, args.check_only, args.json)
    state_dir = args.state_dir
    if args.demo and not state_dir:
        from kiosk.demolink import demo_state_dir

        state_dir = str(demo_state_dir())
    paths = resolve_paths(args.etc_dir, state_dir)

    from kiosk.app import RunOptions, run

    vlc_args = tuple(os.environ.get("KIOSK_VLC_ARGS", "").split())
    options = RunOptions(paths, args.demo, args.windowed, args.language, vlc_args, started)
    return run(options)
