"""The central side: fleet configuration, signing, publishing (``kiosk-provision``).

Qt-free and never run on a box. See :mod:`kiosk.provision.cli` for the commands.
"""

from kiosk.provision.cli import main

__all__ = ["main"]
