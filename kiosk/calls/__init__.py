"""Calls with city hall through Janus: one-to-one (VideoCall) and group sessions
(VideoRoom). Qt-free: the UI shows what :class:`kiosk.calls.desk.CallDesk` says."""
