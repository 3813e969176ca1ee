"""Video messages to city hall (의견 남기기), the box's side. Qt-free.

A senior records a message from the chosen camera and microphone
(:mod:`kiosk.messages.recorder`, ffmpeg to WebM: VP8 and Opus); the screen's rules
live in :mod:`kiosk.messages.desk`; a message to send waits in ``STATE/messages``
(:mod:`kiosk.messages.spool`) until city hall's identity service has all of it
(:mod:`kiosk.messages.uploader`, a resumable upload as the box's own identity), and
the box then asks now and then whether staff have handled it.
"""
