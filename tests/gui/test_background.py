"""run_in_pool: outcomes come back to the GUI thread, and nothing is freed in a pool thread."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QThreadPool

from thetadesk.gui.background import Outcome, run_in_pool, stop_pool


class _Sentinel:
    """Records the thread that drops the last reference to it."""

    freed_on: list[str] = []

    def __del__(self) -> None:
        _Sentinel.freed_on.append(threading.current_thread().name)


def test_value_and_error_arrive_on_the_gui_thread(qtbot):
    receiver = QObject()
    seen: list[tuple[str, Outcome[int]]] = []

    def fail() -> int:
        raise OSError("disk gone")

    def note(outcome: Outcome[int]) -> None:
        seen.append((threading.current_thread().name, outcome))

    run_in_pool(lambda: 6 * 7, receiver, note)
    run_in_pool(fail, receiver, note)
    qtbot.waitUntil(lambda: len(seen) == 2)
    main = threading.main_thread().name
    assert {name for name, _ in seen} == {main}
    values = {o.value for _, o in seen if o.error is None}
    errors = [str(o.error) for _, o in seen if o.error is not None]
    assert values == {42} and errors == ["disk gone"]


def test_a_deleted_receiver_gets_nothing(qtbot):
    pool = QThreadPool()
    release = threading.Event()
    called: list[Outcome[None]] = []
    receiver = QObject()
    run_in_pool(lambda: release.wait(10), receiver, called.append, pool=pool)
    receiver.deleteLater()
    qtbot.waitUntil(lambda: not _valid(receiver))
    release.set()
    assert pool.waitForDone(10_000)
    qtbot.wait(50)  # let the queued outcome arrive, and be dropped
    assert called == []


def test_what_the_job_and_callback_captured_is_freed_on_the_gui_thread(qtbot):
    """A dialog kept alive only by a callback's closure must not die in a pool thread."""
    pool = QThreadPool()
    release = threading.Event()
    delivered = threading.Event()
    receiver = QObject()
    _Sentinel.freed_on.clear()

    def start() -> None:  # the closures are the only holders of the sentinels
        in_job, in_callback = _Sentinel(), _Sentinel()

        def job() -> int:
            release.wait(10)
            return id(in_job)

        def done(outcome: Outcome[int]) -> None:
            assert outcome.value is not None and in_callback is not None
            delivered.set()

        run_in_pool(job, receiver, done, pool=pool)

    start()
    release.set()
    qtbot.waitUntil(delivered.is_set)
    assert pool.waitForDone(10_000)
    qtbot.wait(50)
    gc.collect()
    assert _Sentinel.freed_on == [threading.main_thread().name] * 2


def test_jobs_a_stopped_pool_dropped_let_go_of_what_they_captured(qtbot):
    """Closing a window or dialog drops its pool's queued jobs: they never report, and what
    they and their callbacks captured must not be kept until the application ends."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    release = threading.Event()
    receiver = QObject()  # still alive: a sweep for gone receivers would not free these
    _Sentinel.freed_on.clear()

    def start() -> None:
        held = _Sentinel()
        run_in_pool(lambda: release.wait(10), receiver, lambda outcome: None, pool=pool)
        run_in_pool(lambda: id(held), receiver, lambda outcome: held, pool=pool)  # queued

    start()
    release.set()
    assert stop_pool(pool, 10_000)
    gc.collect()
    assert _Sentinel.freed_on == [threading.main_thread().name]


def _valid(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)
