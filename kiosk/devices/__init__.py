"""Cameras, microphones and speakers: what is attached, and which to use. Qt-free."""
