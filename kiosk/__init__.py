"""kiosk: the big-button terminal of a senior centre (경로당).

The package is a Qt-free core (configuration, navigation rules, clock, voice
guidance) under a thin Qt front end in :mod:`kiosk.ui`. Only :mod:`kiosk.app`,
the composition root, wires the two together.
"""

__version__ = "0.1.0"
