"""``kiosk-provision console …``: migrate its database, add staff, serve it."""

import argparse
import getpass
import logging
import sys
from pathlib import Path

from kiosk_provisioning.console.settings import ConsoleSettings, default_database
from kiosk_provisioning.problems import Problem, ProvisionError

log = logging.getLogger(__name__)

TRUSTED_PROXY = "127.0.0.1"
"""City hall's nginx, on the console's machine: the one hop whose forwarded headers
(client address, https, host) are believed."""
PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"})
ROLE_WORDS = "caller (전화), host (회의), alerts (알림), admin (관리)"


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    console = commands.add_parser("console", help="city hall's web console for staff")
    sub = console.add_subparsers(dest="console_command", required=True)
    migrate = sub.add_parser("migrate", help="create or bring its database up to date")
    migrate.add_argument("repo", type=Path, metavar="REPO")
    migrate.add_argument("--database", metavar="URL", help="default: REPO/console/console.db")
    staff = sub.add_parser("add-staff", help="a staff account (the password is asked for)")
    staff.add_argument("repo", type=Path, metavar="REPO")
    staff.add_argument("--database", metavar="URL")
    staff.add_argument("--login", required=True)
    staff.add_argument("--name", required=True, help="shown to colleagues and centres")
    staff.add_argument("--department", default="")
    staff.add_argument("--role", action="append", required=True, help=ROLE_WORDS)
    staff.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    serve = sub.add_parser("serve", help="serve the console (behind nginx)")
    serve.add_argument("repo", type=Path, metavar="REPO")
    serve.add_argument("--database", metavar="URL")
    serve.add_argument("--listen", default="127.0.0.1:8070", metavar="IP:PORT")
    serve.add_argument("--broker", metavar="URL", help="default: what broker-config recorded")
    serve.add_argument("--no-broker", action="store_true", help="no fleet channel")
    serve.add_argument("--gate-url", default="", help="the call gate's staff wss:// URL")
    serve.add_argument(
        "--insecure-cookies", action="store_true", help="plain HTTP on loopback (tests only)"
    )


def run_console_command(args: argparse.Namespace) -> int:
    database = args.database or default_database(args.repo)
    if args.console_command == "migrate":
        _migrate(database)
        print(f"console database up to date: {database}")
        return 0
    if args.console_command == "add-staff":
        return _add_staff(args, database)
    if args.console_command == "serve":
        return _serve(args, database)
    raise AssertionError(args.console_command)


def _migrate(database: str) -> None:
    """The database brought up to date, or a :class:`ProvisionError` saying why not
    (a database of a newer console: its revision is unknown here)."""
    from alembic.util import CommandError

    from kiosk_provisioning.console.database import migrate

    try:
        migrate(database)
    except CommandError as err:
        raise ProvisionError(
            [
                Problem(
                    "--database",
                    f"콘솔 데이터베이스를 이 버전에 맞출 수 없습니다; 더 새 콘솔이 쓰던 "
                    f"데이터베이스일 수 있습니다 (cannot migrate: {err})",
                )
            ]
        ) from None


def _add_staff(args: argparse.Namespace, database: str) -> int:
    from kiosk_provisioning.console.accounts import AccountError, add_staff
    from kiosk_provisioning.console.database import Database
    from kiosk_provisioning.console.models import Activity, Role

    try:
        roles = frozenset(Role(r) for r in args.role)
    except ValueError:
        raise ProvisionError([Problem("--role", f"one of {ROLE_WORDS}")]) from None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("비밀번호 (password): ")
        if getpass.getpass("한 번 더 (again): ") != password:
            raise ProvisionError([Problem("password", "두 비밀번호가 다릅니다 (they differ)")])
    _migrate(database)
    db = Database(database)
    try:
        with db.session() as session:
            staff = add_staff(session, args.login, args.name, password, roles, args.department)
            session.add(Activity(staff_id=None, what="staff-added", detail=staff.login))
    except AccountError as err:
        raise ProvisionError([Problem(f"--{err.field}", str(err))]) from None
    finally:
        db.close()
    print(f"{args.login}: account made ({', '.join(sorted(roles))})")
    return 0


def _serve(args: argparse.Namespace, database: str) -> int:
    import waitress

    from kiosk_provisioning.broker.commands import broker_of
    from kiosk_provisioning.console.app import create_app

    host, _, port = args.listen.rpartition(":")
    broker = None if args.no_broker else broker_of(args.repo, args.broker)
    settings = ConsoleSettings(
        repo=args.repo,
        database_url=database,
        broker=broker,
        gate_url=args.gate_url,
        secure_cookies=not args.insecure_cookies,
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _migrate(database)
    app = create_app(settings)
    print(f"ready http://{host}:{port}", flush=True)
    try:
        waitress.serve(
            app,
            host=host,
            port=int(port),
            threads=8,
            ident="kiosk-console",
            # nginx on this machine (provisioning/nginx/kiosk-console.conf) sets these
            # from what it saw; from anyone else waitress drops them.
            trusted_proxy=TRUSTED_PROXY,
            trusted_proxy_count=1,
            trusted_proxy_headers=PROXY_HEADERS,
        )
    finally:
        app.extensions["kiosk_console"].close()
    return 0
