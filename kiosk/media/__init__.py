"""Sound and video through libvlc. Only this package imports ``vlc``."""
