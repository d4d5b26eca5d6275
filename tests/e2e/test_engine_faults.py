"""The engine through a fault-injecting proxy: errors, resets, stalls, and a server away."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.engine_harness import (
    DEMO_USER,
    FAST,
    Background,
    EventLog,
    assert_each_once,
    make_batch,
    signed_in,
)
from tests.support.fault_proxy import FaultPlan, FaultProxy
from tests.support.live_server import start_server
from thetadesk.core.engine import QueueStatus, StatusChanged, UploadEngine
from thetadesk.core.queue_store import ItemState, QueueStore


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_server(tmp_path_factory.mktemp("engine-faults")) as server:
        yield server


@pytest.fixture
def proxy(server):
    with FaultProxy(server.url, seed=4) as proxy:
        yield proxy


@pytest.fixture
def store(tmp_path: Path):
    with QueueStore(tmp_path / "queue.sqlite3") as store:
        yield store


def last_status(events: list) -> StatusChanged:
    return [e for e in events if isinstance(e, StatusChanged)][-1]


def test_thirty_percent_faults_complete_without_duplicates(proxy, server, store, tmp_path):
    files = make_batch(tmp_path / "roll", 20)
    client = signed_in(proxy.url, connect_timeout=2.0)
    client.read_timeout = 1.5  # after sign-in: a stall then costs 1.5 s, not thirty
    events = EventLog()
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST, on_event=events)
    engine.enqueue(files)
    with proxy.faults(FaultPlan(rate=0.3)):
        result = engine.run()
    assert result.status is QueueStatus.IDLE
    assert {i.state for i in engine.items()} == {ItemState.UPLOADED}
    assert_each_once(server.url, files)
    # The faults really happened, of every kind, before and after the server did the work.
    kinds = {key for key, n in proxy.counts.items() if n and key.endswith(("before", "after"))}
    assert {"error_after", "reset_after", "stall_after"} & kinds
    assert sum(n for k, n in proxy.counts.items() if k.endswith(("before", "after"))) >= 6
    assert QueueStatus.WAITING_FOR_SERVER in events.statuses()


def test_server_down_then_back_resumes_by_itself(proxy, server, store, tmp_path):
    files = make_batch(tmp_path / "roll", 10)
    client = signed_in(proxy.url, read_timeout=5.0, connect_timeout=2.0)
    events = EventLog()
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST, on_event=events)
    engine.enqueue(files)
    runner = Background(engine)
    events.wait_items(ItemState.UPLOADED, 1)
    proxy.down = True
    events.wait_status(QueueStatus.WAITING_FOR_SERVER)
    # It keeps probing while the server is away (backoff with jitter, capped at 0.4 s here).
    # An upload already past the proxy when it went down still succeeds, and rightly shows
    # the queue running again for a moment; so wait for probes *and* the waiting status.
    downs = proxy.counts["down"]
    events.wait_for(
        lambda seen: proxy.counts["down"] >= downs + 3
        and last_status(seen).status is QueueStatus.WAITING_FOR_SERVER
    )
    waiting = last_status(events.events)
    assert waiting.status is QueueStatus.WAITING_FOR_SERVER
    # A reset can come before, while or after the request goes out; each says so.
    assert any(
        said in waiting.reason
        for said in ("Cannot reach", "was reset after", "broke before its answer came")
    )
    assert proxy.url in waiting.reason
    assert waiting.retry_at is not None
    proxy.down = False  # back: nobody tells the engine
    result = runner.join()
    assert result.status is QueueStatus.IDLE
    assert {i.state for i in engine.items()} == {ItemState.UPLOADED}
    assert_each_once(server.url, files)
    assert events.statuses()[-2:] == [QueueStatus.RUNNING, QueueStatus.IDLE]


def test_retry_after_from_the_server_is_honoured(proxy, server, store, tmp_path):
    files = make_batch(tmp_path / "roll", 1)
    client = signed_in(proxy.url, read_timeout=5.0)
    events = EventLog()
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST, on_event=events)
    engine.enqueue(files)
    plan = FaultPlan(
        rate=1.0,
        kinds=("error",),
        after_share=0.0,
        paths=("/api/upload-photo/",),
        limit=1,
        retry_after=1,
    )
    with proxy.faults(plan):
        assert engine.run().status is QueueStatus.IDLE
    assert_each_once(server.url, files)
    uploads = [(t, fault) for t, path, fault in proxy.log if path == "/api/upload-photo/"]
    assert [fault for _, fault in uploads] == ["error", None]
    # FAST backs off at most 0.4 s; the server asked for 1 s, and got it.
    assert uploads[1][0] - uploads[0][0] >= 0.95
    waiting = [
        e
        for e in events.events
        if isinstance(e, StatusChanged) and e.status is QueueStatus.WAITING_FOR_SERVER
    ]
    assert waiting and "injected fault" in waiting[0].reason


def test_an_idle_worker_does_not_resend_a_failed_file_before_the_backoff(
    proxy, server, store, tmp_path
):
    """The worker that met the error is descheduled just after it (as on a busy machine):
    the other idle workers must not take the file and send it again before the server's
    Retry-After (seen as a second upload 18 ms after the first, under load)."""
    files = make_batch(tmp_path / "roll", 1)
    client = signed_in(proxy.url, read_timeout=5.0)
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST)  # 3 upload workers
    engine.enqueue(files)
    real_finish, real_trouble = engine._finish, engine._network_trouble

    # Each step after the error takes 0.3 s: long enough for an idle worker to take a
    # ready row if the queue is not already waiting when the row becomes ready.
    def slow_finish(item, **changes):
        if changes.get("state") is ItemState.READY:
            time.sleep(0.3)
        return real_finish(item, **changes)

    def slow_trouble(exc, **kwargs):
        time.sleep(0.3)
        return real_trouble(exc, **kwargs)

    engine._finish = slow_finish  # type: ignore[method-assign]
    engine._network_trouble = slow_trouble  # type: ignore[method-assign]
    plan = FaultPlan(
        rate=1.0, kinds=("error",), after_share=0.0, paths=("/api/upload-photo/",), limit=1,
        retry_after=1,
    )  # fmt: skip
    with proxy.faults(plan):
        assert engine.run().status is QueueStatus.IDLE
    assert_each_once(server.url, files)
    uploads = [t for t, path, _ in proxy.log if path == "/api/upload-photo/"]
    assert len(uploads) == 2
    assert uploads[1] - uploads[0] >= 0.95
