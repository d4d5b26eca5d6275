"""Short blocking jobs on a QThreadPool whose outcome comes back to the GUI thread as data.

After Picard's `picard/util/thread.py`: the job runs in a pool thread and never touches a
widget; its return value (or exception) is emitted on a dispatcher QObject that lives in the
GUI thread, so the callback runs there. A callback whose receiver was deleted meanwhile is
skipped, which is what lets a dialog close while its job is still running.
"""

from __future__ import annotations

import itertools
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
    """Lives in the GUI thread for the application's lifetime; hands outcomes to callbacks.

    The receiver, the callback and the job's function are kept here, on the GUI thread,
    until the outcome is delivered; the pool thread only ever holds the function while it
    runs, and lets go of it before it reports. So the last reference to a dialog (often
    held by a callback's closure) is never dropped in a pool thread, where destroying a
    QObject with timers or children is not safe.
    """

    deliver = Signal(int, object)  # job number, Outcome

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        # job number -> (receiver, callback, function, pool)
        self._waiting: dict[
            int, tuple[QObject, Callable[[Outcome[Any]], None], object, QThreadPool]
        ] = {}
        self._numbers = itertools.count(1)
        self._sweep_at = 64
        # Emitted from pool threads; this object lives in the GUI thread, so it is queued.
        self.deliver.connect(self._call)

    def register(
        self,
        receiver: QObject,
        callback: Callable[[Outcome[Any]], None],
        function: Callable[[], Any],
        pool: QThreadPool,
    ) -> int:
        # Jobs a pool dropped unstarted (pool.clear() on close) never report: forget those
        # whose receiver is gone, so their closures do not pile up. Swept each time the
        # table doubles, so thousands of jobs at once cost linear time, not quadratic.
        if len(self._waiting) >= self._sweep_at:
            gone = [n for n, entry in self._waiting.items() if not shiboken6.isValid(entry[0])]
            for stale in gone:
                del self._waiting[stale]
            self._sweep_at = max(64, 2 * len(self._waiting))
        number = next(self._numbers)
        self._waiting[number] = (receiver, callback, function, pool)
        return number

    def forget(self, pool: QThreadPool) -> None:
        """What is kept for `pool`'s jobs, once none of them runs any more (see stop_pool):
        those it dropped unstarted never report, and nobody waits for the others now."""
        for number in [n for n, entry in self._waiting.items() if entry[3] is pool]:
            del self._waiting[number]

    @Slot(int, object)
    def _call(self, number: int, outcome: Any) -> None:
        entry = self._waiting.pop(number, None)
        if entry is None:
            return  # forgotten: its receiver was gone
        receiver, callback, _function, _pool = entry
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
    def __init__(self, function: Callable[[], Any], dispatcher: _Dispatcher, number: int) -> None:
        super().__init__()
        self._function: Callable[[], Any] | None = function
        self._dispatcher = dispatcher
        self._number = number

    def run(self) -> None:
        function, self._function = self._function, None
        assert function is not None
        try:
            outcome: Outcome[Any] = Outcome(value=function())
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread as data
            outcome = Outcome(error=exc)
        # The dispatcher still holds the function until delivery: this is not the last
        # reference, so nothing it captured is destroyed on this thread.
        del function
        self._dispatcher.deliver.emit(self._number, outcome)


def run_in_pool(
    function: Callable[[], T],
    receiver: QObject,
    callback: Callable[[Outcome[T]], None],
    *,
    pool: QThreadPool | None = None,
) -> None:
    """Run `function` on `pool` (the global one by default); then `callback(outcome)` on the
    GUI thread, unless `receiver` has been deleted by then. Call from the GUI thread."""
    dispatcher = _get_dispatcher()
    pool = pool or QThreadPool.globalInstance()
    number = dispatcher.register(receiver, callback, function, pool)
    pool.start(_Job(function, dispatcher, number))


def stop_pool(pool: QThreadPool, timeout_ms: int) -> bool:
    """Drop `pool`'s jobs not started yet and wait for the running ones; True when none is
    left. Then what run_in_pool kept for its jobs (receivers, callbacks: the dropped ones
    would never report) is let go, here on the GUI thread; outcomes not delivered yet are
    not. For a window or dialog that is closing. Call from the GUI thread."""
    pool.clear()
    done = pool.waitForDone(timeout_ms)
    if done and _dispatcher is not None and shiboken6.isValid(_dispatcher):
        _dispatcher.forget(pool)
    return done
