"""The window's worker: engine callbacks from many threads reach the GUI thread in batches."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from thetadesk.core.engine import QueueStatus, StatusChanged
from thetadesk.gui.upload_worker import UploadWorker


def test_reports_from_many_threads_arrive_as_few_batches_on_the_gui_thread(qtbot):
    worker = UploadWorker()
    wakeups: list[QThread] = []
    worker.eventsReady.connect(lambda: wakeups.append(QThread.currentThread()))

    def report(n: int) -> None:
        for sent in range(0, 1001, 10):
            worker._post_progress(1, n, sent, 1000)  # as the engine's on_progress does
        worker.post(1, StatusChanged(QueueStatus.RUNNING, f"thread {n}"))

    threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    qtbot.waitUntil(lambda: len(wakeups) >= 1, timeout=2000)
    batch = worker.take()
    # 404 reports, one wake-up: nothing more is signalled until the buffer is taken.
    assert len(wakeups) == 1
    assert wakeups[0] is QApplication.instance().thread()
    assert batch.progress == {(1, n): (1000, 1000) for n in range(4)}  # the latest of each
    assert sorted(event.reason for _, event in batch.events) == [f"thread {n}" for n in range(4)]
    worker.post(2, StatusChanged(QueueStatus.PAUSED))
    qtbot.waitUntil(lambda: len(wakeups) == 2, timeout=2000)
    assert [generation for generation, _ in worker.take().events] == [2]


def test_once_run_has_returned_the_worker_reports_nothing(qtbot):
    worker = UploadWorker()
    worker.stop()
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.run()  # returns at once: stop() came first
    with qtbot.assertNotEmitted(worker.eventsReady, wait=50):
        worker.post(1, StatusChanged(QueueStatus.RUNNING))
    assert worker.take().events == []
