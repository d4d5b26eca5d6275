"""Short blocking jobs on a QThreadPool whose outcome comes back to the GUI thread as data.

After Picard's `picard/util/thread.py`: the job runs in a pool thread and never touches a
widget; its return value (or exception) is emitted on a dispatcher QObject that lives in the
GUI thread, so the callback runs there. A callback whose receiver was deleted meanwhile is
skipped, which is what lets a dialog close while its job is still running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a pool job produced: its value, or the exception it raised."""

    value: T | None = None
    error: Exception | None = None


class _Dispatcher(QObject):
    """Lives in the GUI thread for the application's lifetime; hands outcomes to callbacks."""

    deliver = Signal(object, object, object)  # receiver, callback, Outcome

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        # Emitted from pool threads; this object lives in the GUI thread, so it is queued.
        self.deliver.connect(self._call)

    @Slot(object, object, object)
    def _call(
        self, receiver: QObject, callback: Callable[[Outcome[Any]], None], outcome: Any
    ) -> None:
        if not shiboken6.isValid(receiver):
            return  # the dialog or window that asked is gone
        callback(outcome)


_dispatcher: _Dispatcher | None = None


def _get_dispatcher() -> _Dispatcher:
    global _dispatcher
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("run_in_pool needs a QCoreApplication")
    if QThread.currentThread() is not app.thread():
        raise RuntimeError("run_in_pool must be called from the GUI thread")
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        _dispatcher = _Dispatcher(app)
    return _dispatcher


class _Job(QRunnable):
    def __init__(
        self,
        function: Callable[[], Any],
        dispatcher: _Dispatcher,
        receiver: QObject,
        callback: Callable[[Outcome[Any]], None],
    ) -> None:
        super().__init__()
        self._function = function
        self._dispatcher = dispatcher
        self._receiver = receiver
        self._callback = callback

    def run(self) -> None:
        try:
            outcome: Outcome[Any] = Outcome(value=self._function())
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread as data
            outcome = Outcome(error=exc)
        self._dispatcher.deliver.emit(self._receiver, self._callback, outcome)


def run_in_pool(
    function: Callable[[], T],
    receiver: QObject,
    callback: Callable[[Outcome[T]], None],
    *,
    pool: QThreadPool | None = None,
) -> None:
    """Run `function` on `pool` (the global one by default); then `callback(outcome)` on the
    GUI thread, unless `receiver` has been deleted by then. Call from the GUI thread."""
    job = _Job(function, _get_dispatcher(), receiver, callback)
    (pool or QThreadPool.globalInstance()).start(job)
