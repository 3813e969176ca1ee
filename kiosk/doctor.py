"""``kiosk doctor``: what a technician over SSH needs to know, in words or JSON.

It covers the configuration (enrolment, the box's certificate — serial,
expiry, whether a server refused it —, what is in force, the last check and
whether the repository has expired), how much of the video library is
downloaded, the cameras, microphones and speakers (the chosen ones marked), and
whether the configuration server, city hall's call server, its TURN server and
its fleet broker answer. Missing videos are reported but
do not fail the check: the box serves everything else meanwhile.
Exit status 1 with the reason in one line when the box cannot serve as it should.
"""

import contextlib
import errno
import json
import socket
import ssl
import sys
import time
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.config import ConfigTrial
from kiosk.config.trial import MAX_CRASHES
from kiosk.devices.discover import discover
from kiosk.devices.policy import choose
from kiosk.identity import client_cert, standing, tls_context
from kiosk.media.cache import MediaCache
from kiosk.paths import Paths
from kiosk.sync.enrolment import Enrolment, load_enrolment
from kiosk_contract.config import ConfigError, KioskConfig, parse_config, read_config
from kiosk_contract.config.calls import Calls
from kiosk_contract.config.fleet import FleetChannel
from kiosk_contract.config.model import Devices
from kiosk_contract.config.parsing import read_document


def examine(paths: Paths) -> dict[str, Any]:
    """Everything ``kiosk doctor`` reports, as one JSON-ready object."""
    enrolment = load_enrolment(paths)
    config, active = config_report(paths, enrolment)
    media: dict[str, Any] = {"files": 0, "ready": 0, "missing": []}
    if active is not None:
        media = library_report(active, MediaCache(paths.media))
    calls = active.calls if active else None
    tls = tls_context(paths)
    network = network_report(enrolment, calls, client_cert(paths), tls)
    network["fleet_broker"] = broker_report(active.fleet if active else None, tls)
    report: dict[str, Any] = {"version": __version__, "config": config, "media": media}
    report.update(devices_report(active.devices if active else Devices()))
    report["network"] = network
    return report


def config_report(
    paths: Paths, enrolment: "Enrolment | None"
) -> tuple[dict[str, Any], KioskConfig | None]:
    """Enrolment, the configuration in force (and its trial), the last check; with
    the configuration the kiosk runs (``None`` if there is none yet)."""
    config: dict[str, Any] = {
        "enrolled": enrolment is not None,
        "centre": enrolment.centre_id if enrolment else None,
        "server": enrolment.server if enrolment else None,
        "identity": standing(paths),
    }
    active = None
    try:
        data = read_document(paths.config)
        active = parse_config(data)
        config.update(revision=active.revision, name=active.centre.name, active=True)
        trial = ConfigTrial(paths.config_trial, paths.last_good_config)
        config["trial"] = trial.standing(data)
        if config["trial"]["refused"]:
            # The kiosk runs the last good one (or the built-in one) instead.
            good = _config_or_none(paths.last_good_config)
            revision = good.revision if good is not None else None
            config.update(refused_revision=active.revision, revision=revision)
            active = good
    except ConfigError as err:
        config.update(revision=None, active=False, active_problem=str(err))
    try:
        status = json.loads((paths.state / "sync-status.json").read_text())
    except (OSError, ValueError):
        status = {}
    config.update(
        last_check=status.get("last_check"),
        last_outcome=status.get("last_outcome"),
        last_reason=status.get("last_reason"),
        last_success=status.get("last_success"),
        expired=bool(status.get("expired")),
    )
    return config, active


def _config_or_none(path: Path) -> KioskConfig | None:
    try:
        return read_config(path)
    except ConfigError:
        return None


def network_report(
    enrolment: "Enrolment | None",
    calls: Calls | None,
    cert: tuple[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    """Can the box reach its configuration server (presenting *cert*, the box's
    certificate and key files), city hall's call server (with *tls*, the box's TLS
    context) and its TURN (or STUN) server, and how fast? Blocks for up to a few
    seconds."""
    from kiosk.calls.probe import check_ice, check_janus

    config_server = (
        reach(f"{enrolment.server}/metadata/timestamp.json", cert)
        if enrolment
        else {"checked": False, "why": "not_enrolled"}
    )
    janus = (
        check_janus(calls.server, tls)
        if calls is not None and calls.server
        else {"checked": False, "why": "calls_not_configured"}
    )
    relays = [s for s in (calls.ice_servers if calls else ()) if s.urls.startswith("turn")]
    stuns = [s for s in (calls.ice_servers if calls else ()) if s.urls.startswith("stun")]
    relay = (relays or stuns)[:1]
    turn = check_ice(relay[0]) if relay else {"checked": False, "why": "no_turn_server"}
    return {"config_server": config_server, "janus": janus, "turn": turn}


ACCEPTED_AFTER_S = 0.5
"""A broker still listening this long after the handshake took the box's certificate."""


def broker_report(fleet: FleetChannel | None, tls: ssl.SSLContext | None) -> dict[str, Any]:
    """Does city hall's fleet broker take the box's certificate, and how fast? A TLS
    handshake only: logging in would push the running kiosk's own connection off (the
    broker knows a box by its certificate, one connection each). Blocks a few seconds
    at most."""
    if fleet is None:
        return {"checked": False, "why": "no_fleet_channel"}
    if tls is None:
        return {"checked": False, "why": "no_certificate"}
    url = fleet.broker.rstrip("/")
    began = time.monotonic()
    shaken = False
    try:
        with (
            socket.create_connection((fleet.host, fleet.port), timeout=3) as raw,
            tls.wrap_socket(raw, server_hostname=fleet.host) as sock,
        ):
            shaken = True
            # TLS 1.3 refuses a certificate after the handshake: a broker that took it
            # waits for the login, one that did not hangs up at once.
            sock.settimeout(ACCEPTED_AFTER_S)
            try:
                if sock.recv(1) == b"":
                    raise ConnectionResetError(errno.ECONNRESET, "hung up")
            except TimeoutError:
                pass
            with contextlib.suppress(OSError):  # taken: a clean goodbye is a courtesy
                sock.unwrap()
    except OSError as err:
        why = _tls_error(err)
        if shaken:
            why = f"the broker refused this box's certificate ({why})"
        return {"checked": True, "reachable": False, "url": url, "error": why}
    ms = round((time.monotonic() - began) * 1000)
    return {"checked": True, "reachable": True, "url": url, "ms": ms}


def _tls_error(error: OSError) -> str:
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or error}"
    return error.strerror or type(error).__name__


def devices_report(policy: Devices) -> dict[str, Any]:
    """``cameras``, ``microphones`` and ``speakers``, each device with ``chosen``."""
    import pyudev

    devices = discover(pyudev.Context())
    choice = choose(devices, policy)
    lists: dict[str, Any] = {"cameras": [], "microphones": [], "speakers": []}
    for device in devices:
        lists[f"{device.kind.value}s"].append(
            {
                "name": device.name,
                "node": device.node,
                "link": device.link.value,
                "chosen": choice.chosen(device),
            }
        )
    lists["missing_devices"] = [kind.value for kind in choice.missing]
    return lists


def reach(url: str, cert: tuple[str, str] | None = None) -> dict[str, Any]:
    """Whether *url* answers, and how fast (TLS verified; presenting *cert* if given)."""
    import requests

    began = time.monotonic()
    try:
        reply = requests.get(url, timeout=(3, 5), cert=cert)
    except requests.RequestException as err:
        return {"checked": True, "reachable": False, "url": url, "error": type(err).__name__}
    ms = round((time.monotonic() - began) * 1000)
    ok = reply.status_code < 400
    return {"checked": True, "reachable": ok, "url": url, "status": reply.status_code, "ms": ms}


def library_report(config: KioskConfig, cache: MediaCache) -> dict[str, Any]:
    """How much of the video library is downloaded and verified."""
    files = [(v.title, m) for v in config.library for m in (v.video, v.subtitles) if m]
    missing = [f"{title} ({media.file})" for title, media in files if not cache.ready(media)]
    return {"files": len(files), "ready": len(files) - len(missing), "missing": missing}


def problem(report: dict[str, Any]) -> str | None:
    """The one-line reason the box is not fine, or ``None``."""
    config = report["config"]
    if not config["enrolled"]:
        return "not enrolled: run kiosk enroll (or use the on-screen keypad)"
    identity = config.get("identity", {})
    if identity.get("state") == "refused":
        return (
            f"this box's certificate is refused ({identity['refused']}): it gets no new "
            f"settings; ask city hall for a replacement code and enrol again"
        )
    if identity.get("state") == "expired":
        return (
            f"this box's certificate expired on {identity['not_after']}: ask city hall "
            f"for a replacement code and enrol again"
        )
    if not config["active"]:
        return f"no configuration in force yet: {config.get('active_problem', '')}"
    if config.get("refused_revision") is not None:
        return (
            f"configuration revision {config['refused_revision']} refused: the kiosk stopped "
            f"{MAX_CRASHES} times running it; it runs revision {config['revision'] or 'built-in'}"
        )
    if config["expired"]:
        return "the configuration repository has expired: is the centre's server re-signing it?"
    missing = report.get("missing_devices") or []
    if missing:
        return f"no {' and no '.join(missing)} found: calls need them; plug them in (USB)"
    network = report.get("network", {})
    for key, what in (
        ("config_server", "the configuration server"),
        ("janus", "city hall's call server (Janus)"),
        ("turn", "the TURN server"),
        ("fleet_broker", "city hall's fleet broker"),
    ):
        check = network.get(key, {})
        if check.get("checked") and not check.get("reachable"):
            plugins = check.get("missing_plugins")
            lacking = f" (it lacks {', '.join(plugins)})" if plugins else ""
            return f"{what} does not answer as it should{lacking}: {check.get('url')}"
    return None


def render(report: dict[str, Any]) -> str:
    config = report["config"]
    lines = [f"kiosk {report['version']}", "configuration:"]
    identity = config.get("identity", {})
    for key in (
        "centre",
        "name",
        "server",
        "revision",
        "refused_revision",
        "trial",
        "last_check",
        "last_outcome",
        "last_reason",
        "last_success",
        "expired",
    ):
        lines.append(f"  {key}: {config.get(key)}")
    lines.append(f"  certificate: {_certificate_line(identity)}")
    for key, title in (("cameras", "cameras"), ("microphones", "microphones")):
        lines.append(f"{title}:")
        lines += _device_lines(report[key])
    lines.append("speakers:")
    lines += _device_lines(report["speakers"])
    lines.append("network:")
    for name, check in report["network"].items():
        if not check.get("checked"):
            lines.append(f"  {name}: not checked ({str(check.get('why')).replace('_', ' ')})")
        elif check.get("reachable"):
            lines.append(f"  {name}: reachable in {check['ms']} ms ({check['url']})")
        else:
            lines.append(f"  {name}: NOT reachable ({check['url']})")
    media = report["media"]
    lines.append(f"media: {media['ready']}/{media['files']} files downloaded and verified")
    lines += [f"  missing: {name}" for name in media["missing"]]
    return "\n".join(lines)


def _certificate_line(identity: dict[str, Any]) -> str:
    state = identity.get("state", "none")
    if state == "none":
        return "none (enrolled without a code: the servers will refuse this box)"
    line = f"serial {identity['serial']}, valid until {identity['not_after']}"
    if identity.get("renewal_due"):
        line += ", renewal due"
    if state == "refused":
        line += f"; REFUSED: {identity['refused']} (since {identity['refused_at']})"
    elif state == "expired":
        line += "; EXPIRED"
    return line


def _device_lines(devices: list[dict[str, Any]]) -> list[str]:
    if not devices:
        return ["  (none)"]
    return [
        f"  {'*' if d['chosen'] else ' '} {d['name'] or '(no name)'}  {d['node']}  [{d['link']}]"
        for d in devices
    ]


def doctor_command(paths: Paths, as_json: bool) -> int:
    """``kiosk doctor``: the report on stdout, the problem (if any) on stderr."""
    report = examine(paths)
    print(json.dumps(report, ensure_ascii=False) if as_json else render(report))
    reason = problem(report)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    return 0
