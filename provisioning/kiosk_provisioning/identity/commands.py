"""``kiosk-provision code/codes/boxes/revoke/staff-pass/server-cert``: identity for
technicians."""

import argparse
import csv
import datetime as dt
import sys

from kiosk_provisioning.identity.authority import Authority, IdentityError
from kiosk_provisioning.identity.directory import identity_folder, load_directory
from kiosk_provisioning.identity.tokens import issue_staff_pass
from kiosk_provisioning.inventory import read_inventory

REVOKED_WITHIN = (
    "the call gate and the identity service refuse it within 10 s; the configuration "
    "server once nginx has reloaded the revocation list (kiosk-crl.path does it within "
    "seconds)"
)


def grouped(code: str) -> str:
    """A code as the box's keypad shows it: 1234 5678 9012."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def run_identity_command(args: argparse.Namespace) -> int:
    authority = Authority.open(identity_folder(args.repo))
    try:
        if args.command == "code":
            for centre in args.centres:
                code = authority.issue_code(centre, replace=args.replace)
                print(f"{centre}  {grouped(code)}  (one use, 14 days)")
        elif args.command == "codes":
            return _codes(authority, args)
        elif args.command == "boxes":
            _boxes(authority, args.centre)
        elif args.command == "revoke":
            revoked = authority.revoke(args.centre)
            serials = ", ".join(box.serial for box in revoked)
            print(f"{args.centre}: revoked {serials}; {REVOKED_WITHIN}")
        elif args.command == "staff-pass":
            directory = load_directory(authority.folder)
            centres = set(directory.centres) | {e.call_name for e in directory.centres.values()}
            if taken := sorted(set(args.name) & centres):
                raise IdentityError("taken", f"{', '.join(taken)}: a centre's name, not staff's")
            token = issue_staff_pass(
                authority.token_key,
                args.login,
                args.name,
                args.room,
                args.host,
                int(args.hours * 3600),
            )
            print(token)
        elif args.command == "server-cert":
            cert, key = authority.issue_server_cert(args.names, args.out)
            print(f"{cert} and {key} (0600): valid 365 days for {', '.join(args.names)}")
    except IdentityError as err:
        print(f"{err}", file=sys.stderr)
        return 1
    return 0


def _codes(authority: Authority, args: argparse.Namespace) -> int:
    held = {box.centre_id for box in authority.boxes() if box.live}
    # A code already handed out stays good: a new one would void it (unless --again).
    waiting = set() if args.again else authority.open_codes()
    rows = [row for row in read_inventory(args.inventory) if row.centre_id not in held | waiting]
    args.out.touch(mode=0o600)
    args.out.chmod(0o600)
    with args.out.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "이름", "code", "valid_until"])
        until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).date().isoformat()
        for row in rows:
            name = str(row.settings.get("centre.name", ""))
            writer.writerow(
                [row.centre_id, name, grouped(authority.issue_code(row.centre_id)), until]
            )
    print(
        f"{len(rows)} codes written to {args.out} ({len(held)} centres already have a box, "
        f"{len(waiting - held)} have a code not used yet: --again replaces those)"
    )
    return 0


def _boxes(authority: Authority, centre: str | None) -> None:
    print(f"{'centre':<14} {'certificate':<34} {'enrolled':<17} {'expires':<11} state")
    for box in authority.boxes():
        if centre and box.centre_id != centre:
            continue
        state = (
            f"revoked {box.revoked_at:%Y-%m-%d %H:%M}"
            if box.revoked_at
            else ("live" if box.live else "expired")
        )
        print(
            f"{box.centre_id:<14} {box.serial:<34} {box.enrolled_at:%Y-%m-%d %H:%M} "
            f"{box.not_after:%Y-%m-%d} {state}"
        )
