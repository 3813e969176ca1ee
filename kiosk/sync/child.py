"""The running kiosk checks for configuration in a child process.

The child (``kiosk sync --once --check-only --json``) does the network and
signature work: the GUI process never loads requests, python-tuf or
cryptography (about 28 MB of resident memory, for a check every 15 minutes)
and a crash on untrusted data can never take the screen down. A verified new
configuration comes back through ``pending-config.json``; it is validated
again here before the kiosk uses it. Blocking: call from the watch's thread.
"""

import json
import subprocess
import sys

from kiosk.paths import Paths
from kiosk.sync.result import Outcome, SyncResult, pending_config_path
from kiosk_contract.config import ConfigError, parse_config

TIMEOUT_S = 180


def check_in_child(paths: Paths) -> SyncResult:
    command = [
        sys.executable, "-m", "kiosk", "--etc-dir", str(paths.etc), "--state-dir", str(paths.state),
        "sync", "--once", "--check-only", "--json",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return SyncResult(Outcome.UNREACHABLE, f"the check took longer than {TIMEOUT_S} s")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        outcome = Outcome(answer["outcome"])
        reason = str(answer["reason"])
    except (ValueError, KeyError, IndexError):
        return SyncResult(Outcome.REJECTED, f"the check failed (exit {done.returncode})")
    if outcome not in (Outcome.APPLIED, Outcome.UNCHANGED):
        return SyncResult(outcome, reason, expired=bool(answer.get("expired")))
    # Unchanged still carries the active configuration: a technician may have
    # applied one from the command line that this kiosk is not showing yet.
    source = pending_config_path(paths) if outcome is Outcome.APPLIED else paths.config
    try:
        data = source.read_bytes()
        config = parse_config(data)
    except (ConfigError, OSError) as err:
        return SyncResult(Outcome.REJECTED, f"the checked configuration is unusable: {err}")
    return SyncResult(outcome, reason, config, data)
