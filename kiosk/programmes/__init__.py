"""Programmes: what plays, when, and who may start it. Qt-free."""
