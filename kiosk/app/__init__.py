"""The composition root: ``kiosk run`` builds every part of the kiosk here, and only here.

Imports run one way, checked by import-linter (see ``pyproject.toml``): the command
line, this package, the Qt screens (:mod:`kiosk.ui`), the services, the core, the
configuration. Inside it too: :mod:`~kiosk.app.start` (the first frame) →
:mod:`~kiosk.app.loop` (after it) → :mod:`~kiosk.app.services` →
:mod:`~kiosk.app.kiosk` (parts and window) → :mod:`~kiosk.app.parts` (Qt-free).
Nothing outside it creates long-lived collaborators; they are passed in.
"""

from kiosk.app.options import RunOptions
from kiosk.app.start import run

__all__ = ["RunOptions", "run"]
