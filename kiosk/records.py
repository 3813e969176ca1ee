"""Small JSON records the box keeps on disk: PIN tries, the configuration's trial, the
programmes that already started. Qt-free; one owner each (the GUI thread).

Each is written whole (:func:`kiosk_contract.files.write_atomically`). One that cannot
be written (a full disk) is said once in the log, and once when it can be again; its
owner keeps the truth in memory meanwhile, so nothing fails open.
"""

import json
import logging
from pathlib import Path

from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)


class Record:
    """*path* holds what its owner calls *what* ("PIN tries"); *meanwhile* says what the
    owner does while it cannot be written ("counting in memory")."""

    def __init__(self, path: Path, what: str, meanwhile: str) -> None:
        self.path = path
        self._what = what
        self._meanwhile = meanwhile
        self._failing = False

    def save(self, data: object) -> bool:
        """Write *data* as JSON; ``False`` (said once) if the disk refused."""
        try:
            write_atomically(self.path, json.dumps(data).encode())
        except OSError as err:
            if not self._failing:
                log.error("cannot record %s (%s): %s", self._what, err, self._meanwhile)
            self._failing = True
            return False
        if self._failing:
            log.info("%s: recorded again", self._what)
        self._failing = False
        return True
