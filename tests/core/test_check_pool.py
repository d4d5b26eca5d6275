"""Checks in worker processes: the same verdicts, hashes and queue states as in threads;
files still being written wait; a pool that cannot start or breaks falls back to threads.

No server: the engine runs signed out, so it only checks (the window does the same until a
sign-in)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.support.engine_harness import all_checked, run_until
from tests.support.theta_fixtures import make_dualfisheye, make_plain_jpeg, make_theta_jpeg
from thetadesk.core.api import Image360Client
from thetadesk.core.check_pool import CheckPool, CheckPoolUnavailable, CheckRequest, check_one
from thetadesk.core.engine import EngineSettings, UploadEngine
from thetadesk.core.inspection import Inspection, inspect_file
from thetadesk.core.queue_store import ItemState, QueueStore

UNREACHABLE = "http://127.0.0.1:9"


def _old(*paths: Path) -> None:
    for path in paths:
        os.utime(path, (time.time() - 3600, time.time() - 3600))


@pytest.fixture(scope="module")
def pool():
    pool = CheckPool(processes=2)
    yield pool
    pool.shutdown()


def test_check_one_reads_what_a_check_in_threads_reads(tmp_path):
    path = make_theta_jpeg(tmp_path / "R0010001.JPG")
    _old(path)
    outcome = check_one(CheckRequest(path, settle_seconds=2.0))
    assert outcome.status == "done"
    assert outcome.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert outcome.inspection == inspect_file(path)
    assert dict(outcome.inspection.gpano)
    # What a worker process sends back: the GPano fields read-only again on arrival.
    arrived = pickle.loads(pickle.dumps(outcome))
    assert arrived == outcome
    assert isinstance(arrived.inspection.gpano, MappingProxyType)
    assert check_one(CheckRequest(tmp_path / "gone.JPG", 2.0)).status == "gone"
    fresh = make_theta_jpeg(tmp_path / "R0010002.JPG")  # written just now: may still grow
    assert check_one(CheckRequest(fresh, settle_seconds=60.0)).status == "unsettled"


def test_the_engine_checks_in_the_pool_with_the_same_outcome(tmp_path, pool):
    folder = tmp_path / "drop"
    folder.mkdir()
    files = [
        make_theta_jpeg(folder / "R0010001.JPG", seed=1),
        make_theta_jpeg(folder / "R0010002.JPG", model="RICOH THETA", gpano=False, seed=2),
        make_plain_jpeg(folder / "export.jpg", seed=3),
        make_dualfisheye(folder / "R0010004.JPG", seed=4),
    ]
    copy = folder / "R0010001 copy.JPG"
    copy.write_bytes(files[0].read_bytes())  # a second copy, in the same batch
    files += [make_theta_jpeg(folder / f"R00200{n:02d}.JPG", seed=10 + n) for n in range(30)]
    files.append(copy)
    _old(*files)
    inspected: dict[Path, Inspection] = {}
    with (
        QueueStore(tmp_path / "pool.sqlite3") as with_pool,
        QueueStore(tmp_path / "threads.sqlite3") as in_threads,
    ):
        engine = UploadEngine(
            with_pool,
            Image360Client(UNREACHABLE),
            "u",
            check_pool=pool,
            on_inspected=lambda path, inspection: inspected.setdefault(path, inspection),
            inspect=lambda path: pytest.fail("checked in a thread, not in the pool"),
        )
        engine.enqueue(files)
        run_until(engine, lambda: all_checked(with_pool))
        reference = UploadEngine(in_threads, Image360Client(UNREACHABLE), "u")
        reference.enqueue(files)
        run_until(reference, lambda: all_checked(in_threads))

        def summary(store: QueueStore) -> dict[str, tuple[object, ...]]:
            return {
                item.path.name: (item.state, item.verdict, item.sha256, item.reason, item.size)
                for item in store.items()
            }

        assert summary(with_pool) == summary(in_threads)
        skipped = [i for i in with_pool.items() if i.state is ItemState.SKIPPED]
        assert [i.path.name for i in skipped] == [copy.name]
    assert set(inspected) == set(files)
    assert inspected[files[0]] == inspect_file(files[0])
    assert dict(inspected[files[0]].gpano)  # the GPano fields came through the pipe


def test_a_file_still_being_written_waits_for_it_to_settle(tmp_path, pool):
    path = make_theta_jpeg(tmp_path / "R0010001.JPG")  # just written
    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(
            store,
            Image360Client(UNREACHABLE),
            "u",
            settings=EngineSettings(settle_seconds=0.5),
            check_pool=pool,
        )
        engine.enqueue([path])
        run_until(engine, lambda: all_checked(store))
        [item] = store.items()
    assert item.state is ItemState.READY
    assert item.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


class _Broken(CheckPool):
    def submit(self, requests):  # type: ignore[no-untyped-def]
        raise CheckPoolUnavailable("no processes here")


def test_a_pool_that_cannot_start_leaves_the_checks_to_threads(tmp_path):
    files = [make_theta_jpeg(tmp_path / f"R00100{n:02d}.JPG", seed=n) for n in range(20)]
    _old(*files)
    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(store, Image360Client(UNREACHABLE), "u", check_pool=_Broken())
        engine.enqueue(files)
        run_until(engine, lambda: all_checked(store))
        assert {item.state for item in store.items()} == {ItemState.READY}


def _in_the_future(*paths: Path) -> None:
    for path in paths:  # a camera whose clock is an hour ahead, times kept on copying
        os.utime(path, (time.time() + 3600, time.time() + 3600))


def test_a_file_dated_in_the_future_is_not_waited_for(tmp_path, pool):
    """A wrong clock is no sign of a file being written: waiting for such a file to be
    "old enough" (or stable for settle_seconds, one at a time) would hold the batch."""
    path = make_theta_jpeg(tmp_path / "R0010001.JPG")
    _in_the_future(path)
    outcome = check_one(CheckRequest(path, settle_seconds=600.0))
    assert outcome.status == "done"
    files = [make_theta_jpeg(tmp_path / f"R00200{n:02d}.JPG", seed=n) for n in range(6)]
    _in_the_future(*files)
    settings = EngineSettings(settle_seconds=600.0)  # a wait would outlast run_until
    for name, check_pool in (("pool", pool), ("threads", None)):
        with QueueStore(tmp_path / f"{name}.sqlite3") as store:
            engine = UploadEngine(
                store, Image360Client(UNREACHABLE), "u", settings=settings, check_pool=check_pool
            )
            engine.enqueue(files)
            run_until(engine, lambda store=store: all_checked(store))
            assert {item.state for item in store.items()} == {ItemState.READY}, name


def test_a_batch_that_cannot_be_recorded_is_checked_again_here(tmp_path, pool, caplog):
    """The queue file refuses one batch's results (locked, disk full for a moment): its
    files are checked again on the check thread, and later files are still checked."""
    files = [make_theta_jpeg(tmp_path / f"R00100{n:02d}.JPG", seed=n) for n in range(12)]
    _old(*files)
    with QueueStore(tmp_path / "q.sqlite3") as store:
        real_complete = store.complete_checks
        failures = []

        def complete_checks(results):  # type: ignore[no-untyped-def]
            if not failures:
                failures.append(len(results))
                raise sqlite3.OperationalError("database is locked")
            return real_complete(results)

        store.complete_checks = complete_checks  # type: ignore[method-assign]
        engine = UploadEngine(store, Image360Client(UNREACHABLE), "u", check_pool=pool)
        engine.enqueue(files[:6])
        thread = threading.Thread(
            target=lambda: engine.run(until_idle=False, wait_for_sign_in=True)
        )
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while not all_checked(store):
                assert time.monotonic() < deadline, "the first files were not checked"
                time.sleep(0.02)
            engine.enqueue(files[6:])  # the check thread is still alive
            while not all_checked(store):
                assert time.monotonic() < deadline, "later files were not checked"
                time.sleep(0.02)
        finally:
            engine.stop()
            thread.join(30)
        assert failures
        assert {item.state for item in store.items()} == {ItemState.READY}
        assert not engine._jobs  # nothing left claimed in memory either
    assert "could not record" in caplog.text


def _read_by(pool: CheckPool) -> int:
    """Bytes the pool's processes have read so far (Linux's per-process I/O counters)."""
    executor = pool._executor
    total = 0
    for pid in list(executor._processes) if executor is not None else []:  # type: ignore[attr-defined]
        with open(f"/proc/{pid}/io", encoding="ascii") as counters:
            total += int(dict(line.split(": ") for line in counters.read().splitlines())["rchar"])
    return total


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="watches the processes' reads")
def test_a_stop_does_not_wait_for_a_long_read(tmp_path, pool):
    """Quitting while a batch reads a big file (or one on a slow card reader or network
    share): the batch ends at its next read, and its file is back in line for the next run."""
    big = tmp_path / "R0010001.JPG"
    with open(big, "wb") as file:
        file.truncate(8 * 1024**3)  # sparse: no disk space, and seconds of reading
    _old(big)
    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(store, Image360Client(UNREACHABLE), "u", check_pool=pool)
        engine.enqueue([big])
        started = _read_by(pool)
        thread = threading.Thread(
            target=lambda: engine.run(until_idle=False, wait_for_sign_in=True)
        )
        thread.start()
        deadline = time.monotonic() + 30
        while _read_by(pool) - started < 64 * 1024**2:  # the pool is reading it
            assert time.monotonic() < deadline
            time.sleep(0.02)
        engine.stop()
        thread.join(30)
        assert not thread.is_alive()
        [item] = store.items()
        # Stopped mid-read: checked again next time. Read to its end, it would have been
        # rejected (8 GB of zeros are not a JPEG).
        assert item.state is ItemState.QUEUED


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
@pytest.mark.parametrize("checks", ["in check processes", "in the engine's thread"])
def test_a_pipe_named_like_a_photo_is_rejected_without_being_opened(tmp_path, pool, checks):
    """Opening a FIFO waits for a writer, for ever: it must never hold up the queue (a
    new-user trial found `thetadesk upload` hung, and every later run with it)."""
    pipe = tmp_path / "R0010002.JPG"
    os.mkfifo(pipe)
    photo = make_theta_jpeg(tmp_path / "R0010001.JPG")
    _old(pipe, photo)
    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(
            store,
            Image360Client(UNREACHABLE),
            "u",
            check_pool=pool if checks == "in check processes" else None,
            settings=EngineSettings(settle_seconds=0.05),
        )
        engine.enqueue([pipe, photo])
        try:
            run_until(engine, lambda: all_checked(store), timeout=30)
        finally:
            _let_a_reader_go(pipe)  # were it opened: so the test fails instead of hanging
        states = {item.path.name: (item.state, item.reason) for item in store.items()}
    assert states["R0010001.JPG"][0] is ItemState.READY
    assert states["R0010002.JPG"] == (ItemState.FAILED, "not a regular file")


def _let_a_reader_go(pipe: Path) -> None:
    try:  # a writer that opens and closes: the reader's open returns, its read gets EOF
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody has it open for reading
        pass


def test_what_a_check_process_logs_goes_back_and_into_the_log(tmp_path, monkeypatch, caplog):
    """A spawned check process has no log file (a windowed app has no stderr): the
    traceback of an inspection that failed unexpectedly comes back with the outcome, and
    the engine logs it, as the file's reason ("details in the log") promises."""
    from concurrent.futures import Future

    from thetadesk.core import check_pool, inspection

    path = make_theta_jpeg(tmp_path / "R0010001.JPG")
    _old(path)

    def bug(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in the parser")

    monkeypatch.setattr(inspection, "_inspect_jpeg", bug)
    monkeypatch.setattr(check_pool, "_collector", None)
    root_handlers = list(logging.getLogger().handlers)
    try:
        check_pool.collect_worker_logs()  # what a worker process does when it starts
        [outcome] = check_pool.check_many([CheckRequest(path, settle_seconds=0.0)])
    finally:
        logging.getLogger().handlers[:] = root_handlers
    assert outcome.status == "done" and outcome.inspection.verdict.value == "rejected"
    assert any("RuntimeError: a bug in the parser" in line for line in outcome.log)

    class InProcess(CheckPool):
        def submit(self, requests):  # type: ignore[no-untyped-def]
            future: Future = Future()
            future.set_result([outcome for _ in requests])
            return future

    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(store, Image360Client(UNREACHABLE), "u", check_pool=InProcess())
        engine.enqueue([path])
        with caplog.at_level(logging.WARNING, logger="thetadesk.core.engine"):
            run_until(engine, lambda: all_checked(store))
    assert "RuntimeError: a bug in the parser" in caplog.text
    assert "R0010001.JPG" in caplog.text
