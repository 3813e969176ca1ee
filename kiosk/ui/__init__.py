"""The Qt front end: renders the core's state and forwards presses.

Widgets hold no rules. Every PySide6 import goes through :mod:`kiosk.ui.qt`.
Background threads never touch widgets: they hand results to the GUI thread
through the asyncio loop (qasync) or a queued signal.
"""
