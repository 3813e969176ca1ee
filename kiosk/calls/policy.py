"""Who may ring the centre, and when a call answers itself. Pure rules.

Decisions (for the senior's safety and privacy):
- only configured contacts ring; anyone else is declined at once and logged;
- a call answers itself only if the contact is allow-listed (``auto_answer``),
  ``auto_answer.after_s`` is set, and it is inside the centre's opening hours
  (its days, from ``opens`` up to ``closes``, centre time);
- otherwise it rings until someone presses 받기 or 거절, or the caller gives up.
"""

import datetime as dt
from dataclasses import dataclass

from kiosk_contract.config.calls import AutoAnswer, Calls, Contact
from kiosk_contract.config.programmes import DAYS


@dataclass(frozen=True)
class Ringing:
    """How to treat an incoming call."""

    contact: Contact | None
    """``None``: not a contact, decline."""
    answer_after_s: float | None = None
    """Answer by itself after this many seconds; ``None``: only by a press."""


def is_open(rules: AutoAnswer, now: dt.datetime) -> bool:
    """Inside the centre's opening hours at *now* (centre time)?"""
    if DAYS[now.weekday()] not in rules.days:
        return False
    clock = now.strftime("%H:%M")
    return rules.opens <= clock < rules.closes


def on_incoming(calls: Calls, caller: str, now: dt.datetime) -> Ringing:
    """What to do when *caller* (their name on the server) rings at *now*."""
    contact = calls.caller(caller)
    if contact is None:
        return Ringing(None)
    rules = calls.auto_answer
    if contact.auto_answer and rules.after_s > 0 and is_open(rules, now):
        return Ringing(contact, float(rules.after_s))
    return Ringing(contact)
