"""``kiosk enroll`` and ``kiosk sync --once``: one plain line for the technician."""

import argparse
import json
import sys

from kiosk.i18n import Strings
from kiosk.paths import Paths
from kiosk.sync.client import sync_once
from kiosk.sync.enrolment import EnrolmentError, enrol, enrol_with_code, load_enrolment
from kiosk.sync.onscreen import REFUSAL_MESSAGES


def enroll_command(paths: Paths, args: argparse.Namespace) -> int:
    if (args.identity is None) != (args.code is None):
        print("not enrolled: give both --identity and --code (from city hall)", file=sys.stderr)
        return 2
    try:
        root = args.root.read_bytes()
        if args.code is None:
            enrolment = enrol(paths, args.server, args.centre, root)
        else:
            enrolment = enrol_with_code(
                paths, args.server, args.identity, args.centre, args.code, root
            )
    except OSError as err:
        print(f"cannot read the trust root {args.root}: {err.strerror}", file=sys.stderr)
        return 2
    except EnrolmentError as err:
        key = REFUSAL_MESSAGES.get(err.kind)
        if key is not None:  # what the technician must do, in both languages
            print(f"{Strings('ko')[key]}\n{Strings('en')[key]}", file=sys.stderr)
        print(f"not enrolled: {err}", file=sys.stderr)
        return 2
    print(f"enrolled as {enrolment.centre_id} with {enrolment.server}")
    result = sync_once(paths, enrolment)
    print(result.reason)
    return result.exit_code


def sync_command(paths: Paths, check_only: bool = False, as_json: bool = False) -> int:
    enrolment = load_enrolment(paths)
    if enrolment is None:
        print("this box is not enrolled: run kiosk enroll first", file=sys.stderr)
        return 2
    result = sync_once(paths, enrolment, check_only)
    if as_json:
        line = {"outcome": result.outcome.value, "reason": result.reason, "expired": result.expired}
        print(json.dumps(line, ensure_ascii=False))
    else:
        print(result.reason, file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code
