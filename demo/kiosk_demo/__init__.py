"""A stand-in city hall for the kiosk's demo and its tests: Janus in a private network
on this machine, coturn, a staff desk that answers and places calls, city hall's live
broadcast, and generated media.

Its own distribution (``kiosk-demo``), installed only in the development virtualenv:
never on a box (the ``kiosk`` package) nor at city hall (``kiosk-provisioning``),
both of which it uses.
"""
