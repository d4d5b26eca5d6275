"""Work that can wait until a window has been painted once.

A zero-delay QTimer is not enough: Qt delivers posted events (and zero timers) before the
window-system events that expose and paint a new window, so work started that way still
delays the first paint. Background jobs started before the paint do too: their Python
competes with the GUI thread for the GIL.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 1000  # a window that is never shown (tests, a minimised start) still gets it


class _AfterFirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], object]) -> None:
        super().__init__(widget)
        self._callback: Callable[[], object] | None = callback
        widget.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() is QEvent.Type.Paint and self._callback is not None:
            # After this paint has been delivered, not inside it.
            QTimer.singleShot(0, self, self._run)
        return False

    def _run(self) -> None:
        callback, self._callback = self._callback, None
        if callback is None:
            return
        parent = self.parent()
        if isinstance(parent, QWidget):
            parent.removeEventFilter(self)
        callback()
        self.deleteLater()


def after_first_paint(widget: QWidget, callback: Callable[[], object]) -> None:
    """Call `callback` on the GUI thread once `widget` has painted (or after FALLBACK_MS);
    soon, when it is already on screen."""
    if widget.isVisible():
        QTimer.singleShot(0, widget, callback)
    else:
        _AfterFirstPaint(widget, callback)
