"""Helpers for the upload engine's end-to-end tests: batches, event waits, server checks."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.api import Image360Client
from thetadesk.core.engine import (
    Backoff,
    EngineEvent,
    EngineSettings,
    ItemChanged,
    QueueStatus,
    RunResult,
    StatusChanged,
    UploadEngine,
)
from thetadesk.core.queue_store import ItemState, QueueStore

DEMO_USER, DEMO_PASSWORD = "tutorial", "theta360DotGuide"

FAST = EngineSettings(
    parallel=3,
    settle_seconds=0.2,
    backoff=Backoff(initial=0.05, factor=2.0, maximum=0.4, jitter=0.5),
)


_seeds = itertools.count(1000)


def make_batch(folder: Path, count: int, *, prefix: str = "R") -> list[Path]:
    """THETA-like JPEGs, each with content no other test made (a shared server stays clean),
    dated in the past so none looks like a copy still in progress."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = make_theta_jpeg(folder / f"{prefix}{n:07d}.JPG", seed=next(_seeds))
        past = time.time() - 3600
        os.utime(path, (past, past))
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def signed_in(url: str, **kwargs: Any) -> Image360Client:
    client = Image360Client(url, **kwargs)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    return client


def assert_each_once(server_url: str, files: Iterable[Path]) -> None:
    """Every file's content is on the server exactly once, and nothing there twice."""
    photos = signed_in(server_url).list_photos()
    held = Counter(p.get("sha256") for p in photos)
    wanted = {sha256_of(f) for f in files}
    duplicates = sorted(k for k, v in held.items() if v > 1)
    missing = sorted(k for k in wanted if held[k] == 0)
    assert not duplicates and not missing, f"duplicates: {duplicates}, missing: {missing}"


class EventLog:
    """An on_event callback that records events and lets a test wait for a condition."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: EngineEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[EngineEvent]], bool], timeout: float = 30) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.events), timeout):
                raise AssertionError(f"condition not met within {timeout} s")

    def statuses(self) -> list[QueueStatus]:
        with self._cond:
            return [e.status for e in self.events if isinstance(e, StatusChanged)]

    def wait_status(self, status: QueueStatus, timeout: float = 30) -> None:
        self.wait_for(
            lambda events: any(isinstance(e, StatusChanged) and e.status is status for e in events),
            timeout,
        )

    def count_state(self, state: ItemState) -> int:
        with self._cond:
            return len(
                {
                    e.item.id
                    for e in self.events
                    if isinstance(e, ItemChanged) and e.item.state is state
                }
            )

    def wait_items(self, state: ItemState, count: int, timeout: float = 30) -> None:
        self.wait_for(
            lambda events: (
                len(
                    {
                        e.item.id
                        for e in events
                        if isinstance(e, ItemChanged) and e.item.state is state
                    }
                )
                >= count
            ),
            timeout,
        )


class Background:
    """engine.run() on a thread; join() returns its RunResult (or re-raises its error).

    Every runner still going when its test ends is stopped by `stop_stragglers()` (an
    autouse fixture in tests/e2e/conftest.py), so a failed assertion cannot leave an engine
    running against a closed queue while later tests run.
    """

    running: list[Background] = []

    def __init__(self, engine: UploadEngine, **kwargs: Any) -> None:
        self.result: RunResult | None = None
        self.error: BaseException | None = None
        self._engine = engine
        self._thread = threading.Thread(target=self._run, args=(engine, kwargs), daemon=True)
        Background.running.append(self)
        self._thread.start()

    @classmethod
    def stop_stragglers(cls, timeout: float = 30) -> None:
        while cls.running:
            runner = cls.running.pop()
            if runner._thread.is_alive():
                runner._engine.stop()
                runner._thread.join(timeout)

    def _run(self, engine: UploadEngine, kwargs: dict[str, Any]) -> None:
        try:
            self.result = engine.run(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test in join()
            self.error = exc

    def join(self, timeout: float = 60) -> RunResult:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"engine still running after {timeout} s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def run_until(engine: UploadEngine, done: Callable[[], bool], timeout: float = 60) -> None:
    """Run the engine (waiting for a sign-in, as a window signed out does) until `done()`,
    then stop it."""
    thread = threading.Thread(target=lambda: engine.run(until_idle=False, wait_for_sign_in=True))
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the engine did not get there in time"
            time.sleep(0.02)
    finally:
        engine.stop()
        thread.join(30)


def all_checked(store: QueueStore) -> bool:
    return not store.items(states=[ItemState.QUEUED, ItemState.CHECKING])
