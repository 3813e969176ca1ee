"""City hall's side: fleet configuration, signing, publishing, the call server's
configuration (``kiosk-provision``).

Its own distribution (``kiosk-provisioning``): it shares only :mod:`kiosk_contract`
with the box, never imports the box's ``kiosk`` package, and never runs on a box. See
:mod:`kiosk_provisioning.cli` for the commands.
"""

__version__ = "0.1.0"

from kiosk_provisioning.cli import main

__all__ = ["__version__", "main"]
