"""``kiosk-provision broker-config``, ``status``, ``alert`` and ``alerts``: the fleet
channel for technicians."""

import argparse
import time
from pathlib import Path

from kiosk_contract.fleet import MAX_PICTURE_BYTES, MAX_VOICE_BYTES, Receipt
from kiosk_provisioning.broker.alerts import (
    LEVEL_WORDS,
    LEVELS,
    PICTURE_KINDS,
    STATES,
    VOICE_KINDS,
    AlertRecord,
    SentAlert,
    check_hours,
    check_text,
    clear,
    latest_receipts,
    make_draft,
    read_media,
    send,
    when,
    withdraw,
)
from kiosk_provisioning.broker.centres import BuiltCentre, built_configs
from kiosk_provisioning.broker.config import (
    BrokerAddress,
    parse_url,
    tools_address,
    write_broker_config,
)
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.broker.status import (
    STATUS_FILTERS,
    fleet_states,
    render_json,
    render_table,
    select,
    summary,
)
from kiosk_provisioning.identity.directory import identity_folder
from kiosk_provisioning.problems import Problem, ProvisionError


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The fleet channel's commands, on ``kiosk-provision``'s parser."""
    config = commands.add_parser("broker-config")
    config.add_argument("repo", type=Path, metavar="REPO")
    config.add_argument("--url", required=True, help="mqtts://HOST[:PORT], as boxes reach it")
    config.add_argument("--out", type=Path, required=True, metavar="DIR")
    config.add_argument("--listen", default="", metavar="IP", help="default: every address")
    config.add_argument("--state", type=Path, default=Path("/var/lib/kiosk-broker"))
    config.add_argument(
        "--tools-port", type=int, default=8884, help="city hall's tools, on 127.0.0.1"
    )
    status = commands.add_parser("status")
    status.add_argument("repo", type=Path, metavar="REPO")
    status.add_argument("--offline", action="store_true", help="offline or never connected")
    status.add_argument("--problems", action="store_true", help="anything to look at")
    status.add_argument("--district", action="append", default=[], metavar="D")
    status.add_argument("--json", action="store_true")
    status.add_argument("--broker", metavar="URL", help="default: what broker-config recorded")

    alert = commands.add_parser("alert")
    alert.add_argument("repo", type=Path, metavar="REPO")
    alert.add_argument("--level", choices=list(LEVELS), help="안내|주의|긴급")
    alert.add_argument("--text", help="Korean, at most 300 characters")
    alert.add_argument("--text-en", default="")
    alert.add_argument("--voice", type=Path, metavar="FILE", help="OGG, WAV or MP3")
    alert.add_argument("--picture", type=Path, metavar="FILE", help="PNG or JPEG")
    alert.add_argument("--all", action="store_true", help="every centre")
    alert.add_argument("--district", nargs="+", action="extend", default=[], metavar="D")
    alert.add_argument("--centre", nargs="+", action="extend", default=[], metavar="C")
    alert.add_argument("--hours", type=float, default=6.0, help="until it expires (6)")
    alert.add_argument("--watch", type=float, metavar="SECONDS", help="follow the receipts")
    alert.add_argument("--withdraw", metavar="ID", help="clear a sent alert's messages")
    alert.add_argument("--broker", metavar="URL", help="default: what broker-config recorded")
    alerts = commands.add_parser("alerts")
    alerts.add_argument("repo", type=Path, metavar="REPO")
    alerts.add_argument("id", nargs="?", metavar="ID")
    alerts.add_argument("--broker", metavar="URL", help="default: what broker-config recorded")


def broker_of(repo: Path, url: str | None) -> BrokerAddress:
    return parse_url(url) if url else tools_address(repo)


def run_broker_command(args: argparse.Namespace) -> int:
    if args.command == "broker-config":
        setup = write_broker_config(
            args.repo, args.url, args.out, args.listen, args.state, args.tools_port
        )
        print(f"{setup.conf} written: boxes connect to {setup.boxes.url} (their fleet.broker),")
        print(f"city hall's tools to {setup.tools.url}; mosquitto's state in {args.state}")
        return 0
    if args.command == "status":
        return _status(args)
    if args.command == "alert":
        return _withdraw(args) if args.withdraw else _alert(args)
    if args.command == "alerts":
        return _alerts(args)
    raise AssertionError(args.command)


def _hall(args: argparse.Namespace) -> HallSession:
    return HallSession.open(broker_of(args.repo, args.broker), identity_folder(args.repo))


def _alert(args: argparse.Namespace) -> int:
    if args.level is None or args.text is None:
        raise ProvisionError([Problem("alert", "--level and --text are needed")])
    check_text(args.text, args.text_en)
    check_hours(args.hours)
    configs = built_configs(args.repo)
    picture = voice = None
    if args.picture:
        picture = read_media(args.picture, PICTURE_KINDS, MAX_PICTURE_BYTES, "picture")
    if args.voice:
        voice = read_media(args.voice, VOICE_KINDS, MAX_VOICE_BYTES, "recording")
    draft = make_draft(
        configs, LEVELS[args.level], args.text, args.text_en, args.all, args.district,
        args.centre, args.hours, voice, picture,
    )  # fmt: skip
    record = AlertRecord(args.repo)
    with _hall(args) as hall:
        alert, cleared = send(args.repo, hall, record, draft)
        spoken = "" if args.voice or draft.voice is None else ", its text spoken by espeak-ng"
        print(
            f"{alert.id} ({LEVEL_WORDS[alert.level]}, #{alert.seq}) sent to {len(draft.centres)} "
            f"centres ({', '.join(alert.topics())}){spoken}; expires {when(alert.expires_at)}"
        )
        if cleared:
            print(f"cleared from the broker: {', '.join(cleared)} (expired or withdrawn)")
        if args.watch:
            _watch(hall, alert.id, draft.centres, args.watch)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    record = AlertRecord(args.repo)
    alert = withdraw(record, args.withdraw)
    with _hall(args) as hall:
        clear(hall, record, [alert])
    print(
        f"{alert.id} withdrawn: boxes that connect from now on do not get it "
        "(a box showing it keeps it until 확인 is pressed)"
    )
    return 0


def _watch(hall: HallSession, alert_id: str, centres: list[str], seconds: float) -> None:
    """Print each centre's receipts as they come, until every centre acknowledged or
    *seconds* have passed; then where each one is."""
    hall.subscribe([f"fleet/+/receipts/{alert_id}"])
    states: dict[str, Receipt] = {}
    print(f"watching {alert_id} for {seconds:g} s: delivered / shown / acknowledged")
    for message in hall.messages(seconds):
        found = latest_receipts({message.topic: message.payload})
        for centre, receipt in found.items():
            if receipt.alert == alert_id and states.get(centre) != receipt:
                states[centre] = receipt
                print(f"  {when(receipt.at)}  {centre}  {receipt.state}", flush=True)
        acknowledged = {c for c, r in states.items() if r.state == "acknowledged"}
        if set(centres) <= acknowledged:
            break
    _receipt_table(centres, states)


def _receipt_table(centres: list[str], states: dict[str, Receipt]) -> None:
    counts = {state: sum(r.state == state for r in states.values()) for state in STATES}
    for centre in centres:
        receipt = states.get(centre)
        print(
            f"{centre:<16} {receipt.state if receipt else 'nothing yet':<13} "
            f"{when(receipt.at) if receipt else ''}"
        )
    print(
        f"{len(centres)} centres: {counts['acknowledged']} acknowledged, {counts['shown']} "
        f"shown, {counts['delivered']} delivered, {len(centres) - len(states)} nothing yet"
    )


def _alerts(args: argparse.Namespace) -> int:
    record = AlertRecord(args.repo)
    alerts = [record.find(args.id)] if args.id else record.alerts()
    receipts: dict[str, dict[str, Receipt]] = {a.id: {} for a in alerts}
    filters = [f"fleet/+/receipts/{a.id}" for a in alerts if a.sent_at]
    unreached = ""
    if filters:
        try:
            with _hall(args) as hall:
                messages = hall.retained(filters)
        except ProvisionError as err:
            unreached = "; ".join(str(p) for p in err.problems)
        else:
            for message in messages:
                for centre, receipt in latest_receipts({message.topic: message.payload}).items():
                    if receipt.alert in receipts:
                        receipts[receipt.alert][centre] = receipt
    now = time.time()
    for alert in alerts:
        state = (
            "not sent (broker not reached)"
            if alert.sent_at is None
            else f"withdrawn {when(alert.withdrawn_at)}"
            if alert.withdrawn_at
            else "expired"
            if alert.expires_at <= now
            else f"until {when(alert.expires_at)}"
        )
        got = receipts[alert.id]
        acknowledged = sum(r.state == "acknowledged" for r in got.values())
        print(
            f"{alert.id}  {LEVEL_WORDS[alert.level]}  {when(alert.issued_at)}  {state}  "
            f"{_audience(alert)}  {acknowledged}/{len(alert.centres)} acknowledged  "
            f"{alert.text[:40]}"
        )
        if args.id:
            _receipt_table(list(alert.centres), got)
    if unreached:
        print(f"receipts not read: {unreached}")
    return 0


def _audience(alert: SentAlert) -> str:
    if alert.audience.kind == "all":
        return "all"
    return f"{alert.audience.kind} {','.join(alert.audience.names)}"


def _status(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    configs = built_configs(args.repo)
    centres = [BuiltCentre(c.centre.id, c.centre.name, c.centre.district) for c in configs]
    revisions = {c.centre.id: c.revision for c in configs}
    address = broker_of(args.repo, args.broker)
    with HallSession.open(address, identity_folder(args.repo)) as hall:
        messages = hall.retained(STATUS_FILTERS)
    rows = fleet_states(messages, centres, revisions)
    shown = select(rows, args.offline, args.problems, args.district)
    if args.json:
        print(render_json(shown))
        return 0
    print(render_table(shown))
    print(f"{summary(rows)} ({time.perf_counter() - started:.1f} s)")
    return 0
