"""The floor for start-up: a bare PySide6 script showing the same six tiles, nothing else.

Run by ``bench/startup.py``; sends READY=1 to ``NOTIFY_SOCKET`` after its first frame.
"""

import os
import socket
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QGridLayout, QPushButton, QWidget

LABELS = ["노래교실", "건강체조", "시청과 화상통화", "마을 회의", "시청 방송", "오늘의 안내"]


class Home(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.painted = False
        grid = QGridLayout(self)
        for index, label in enumerate(LABELS):
            button = QPushButton(label)
            button.setFont(QFont("NanumGothic", 60))
            button.setMinimumHeight(300)
            grid.addWidget(button, index // 3, index % 3)

    def paintEvent(self, event: object) -> None:  # noqa: N802
        if not self.painted:
            self.painted = True
            QTimer.singleShot(0, ready)


def ready() -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.connect(os.environ["NOTIFY_SOCKET"])
    sock.send(b"READY=1")


app = QApplication(sys.argv)
home = Home()
home.showFullScreen()
sys.exit(app.exec())
