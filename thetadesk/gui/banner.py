"""The banner above the grid that says why uploads are not moving, with what to do about it.

It shows the engine's queue status: offline and retrying in N s (with "Retry Now"), the
server busy, sign-in needed ("Sign In…"), paused by the user ("Resume"), or another thetadesk
running the queue. It hides while uploads can go.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from thetadesk.core.engine import QueueStatus, StatusChanged


def banner_text(status: StatusChanged, *, now: Callable[[], float] = time.time) -> str:
    """The banner's sentence for a queue status; empty when there is nothing to say."""
    match status.status:
        case QueueStatus.WAITING_FOR_SERVER:
            wait = max(0, round((status.retry_at or now()) - now()))
            when = f"Retrying in {wait} s." if wait > 0 else "Retrying now…"
            if status.offline:
                return f"Offline: {status.reason}. {when}"
            return f"The server is busy or having trouble: {status.reason}. {when}"
        case QueueStatus.SIGN_IN_NEEDED:
            reason = status.reason.removeprefix("Sign-in needed: ").rstrip(".")
            return f"Sign-in needed ({reason}). Uploads wait until you sign in."
        case QueueStatus.PAUSED:
            return "Uploads are paused."
        case QueueStatus.STOPPED if status.reason and status.reason != "stopped":
            return status.reason
    return ""


class QueueBanner(QFrame):
    """Signals:
    retryNow(): "Retry Now" was pressed (waiting for the server).
    signIn(): "Sign In…" was pressed.
    resume(): "Resume" was pressed (paused).
    """

    retryNow = Signal()
    signIn = Signal()
    resume = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queueBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self._status = StatusChanged(QueueStatus.IDLE)
        self._busy = ""

        self.icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        # A QIcon renders at the screen's device pixel ratio: crisp on high-DPI screens.
        self.icon.setPixmap(warning.pixmap(QSize(size, size), self.devicePixelRatioF()))
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry Now")
        self.retry_button.clicked.connect(self.retryNow)
        self.sign_in_button = QPushButton("Sign In…")
        self.sign_in_button.clicked.connect(self.signIn)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.resume)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        for button in (self.retry_button, self.sign_in_button, self.resume_button):
            layout.addWidget(button)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh)
        self.hide()

    @property
    def status(self) -> StatusChanged:
        return self._status

    def show_status(self, status: StatusChanged) -> None:
        self._status = status
        self._refresh()

    def show_busy(self, message: str) -> None:
        """Another process runs the queue ("" when that is over)."""
        self._busy = message
        self._refresh()

    def _refresh(self) -> None:
        status = self._status.status
        text = banner_text(self._status) or self._busy
        self.text.setText(text)
        self.retry_button.setVisible(status is QueueStatus.WAITING_FOR_SERVER)
        self.sign_in_button.setVisible(status is QueueStatus.SIGN_IN_NEEDED)
        self.resume_button.setVisible(status is QueueStatus.PAUSED)
        self.setVisible(bool(text))
        counting = status is QueueStatus.WAITING_FOR_SERVER and bool(text)
        if counting and not self._tick.isActive():
            self._tick.start()
        elif not counting:
            self._tick.stop()
