"""The persistent queue: schema, migrations, crash recovery, odd paths, dedupe."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from thetadesk.core.queue_store import (
    GPS_HELD_REASON,
    MIGRATIONS,
    AddOutcome,
    ItemState,
    QueueStore,
    QueueStoreError,
)

SERVER, USER = "http://127.0.0.1:1/", "tutorial"


@pytest.fixture
def store(tmp_path: Path):
    with QueueStore(tmp_path / "queue.sqlite3") as store:
        yield store


def test_new_file_has_the_current_schema_and_wal(store: QueueStore) -> None:
    assert store.schema_version == len(MIGRATIONS)
    with sqlite3.connect(store.db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.integrity_check() == "ok"


def test_forward_migration_keeps_rows(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    with QueueStore(db) as old:
        old.add(SERVER, USER, tmp_path / "a.jpg")

    def add_note_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE items ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    with QueueStore(db, migrations=(*MIGRATIONS, add_note_column)) as new:
        assert new.schema_version == len(MIGRATIONS) + 1
        (item,) = new.items()
        assert item.path == tmp_path / "a.jpg"
    # Reopening with an older build is refused instead of guessing.
    with pytest.raises(QueueStoreError, match="newer thetadesk"):
        QueueStore(db)


def test_a_damaged_file_is_a_readable_error(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(QueueStoreError, match="cannot be used"):
        QueueStore(db)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are always Unicode")
def test_non_utf8_and_non_ascii_paths_survive(store: QueueStore, tmp_path: Path) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9-\xff.jpg"))
    nice = tmp_path / "Zürich 東京 🌍.JPG"
    for path in (odd, nice):
        store.add(SERVER, USER, path)
    paths = [item.path for item in store.items()]
    assert paths == [odd, nice]
    assert os.fsencode(paths[0]).endswith(b"/caf\xe9-\xff.jpg")
    assert "\\xe9" in store.items()[0].to_json()["path"]  # printable, not a crash
    assert store.find_by_path(odd)[0].path == odd


def test_adding_the_same_path_twice_keeps_one_row(store: QueueStore, tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    first, outcome = store.add(SERVER, USER, path)
    assert outcome is AddOutcome.ADDED
    again, outcome = store.add(SERVER, USER, str(path))
    assert outcome is AddOutcome.ALREADY and again.id == first.id
    # Another account has its own row.
    _, outcome = store.add(SERVER, "someone-else", path)
    assert outcome is AddOutcome.ADDED


def test_failed_rows_come_back_when_added_again(store: QueueStore, tmp_path: Path) -> None:
    item, _ = store.add(SERVER, USER, tmp_path / "a.jpg")
    store.update(item.id, state=ItemState.FAILED, reason="no", retryable=True)
    again, outcome = store.add(SERVER, USER, tmp_path / "a.jpg")
    assert outcome is AddOutcome.REQUEUED
    assert again.state is ItemState.QUEUED and again.reason == ""


def test_an_uploaded_file_added_again_asks_the_server_before_any_send(
    store: QueueStore, tmp_path: Path
) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"photo")
    item, _ = store.add(SERVER, USER, path, fields={"title": "first"})
    info = path.stat()
    store.update(item.id, state=ItemState.UPLOADED, sha256="ab" * 32, size=info.st_size,
                 mtime_ns=info.st_mtime_ns, photo_id=7)  # fmt: skip
    store.update(item.id, attempts=2, server_errors=1)
    again, outcome = store.add(SERVER, USER, path, fields={"title": "second"})
    assert outcome is AddOutcome.REQUEUED
    # Checked again (today's rules apply; its hash is kept, the file being unchanged), and
    # unclear: the server is asked first, and it is sent only if it is gone from there.
    assert (again.state, again.unclear, again.sha256) == (ItemState.QUEUED, True, "ab" * 32)
    assert (again.photo_id, again.attempts, again.server_errors) == (7, 0, 0)
    assert again.fields == {"title": "second"}


def test_added_again_as_private_before_it_is_sent_it_goes_private(
    store: QueueStore, tmp_path: Path
) -> None:
    edited = {"title": "Kitchen", "is_public": "true"}
    queued, _ = store.add(SERVER, USER, tmp_path / "a.jpg", fields=edited)
    held, _ = store.add(SERVER, USER, tmp_path / "b.jpg", fields={"title": "b"})
    store.update(held.id, state=ItemState.HELD, reason=f"{GPS_HELD_REASON}; stitched")
    private = {"title": "other", "is_public": "false"}
    again, outcome = store.add(SERVER, USER, tmp_path / "a.jpg", fields=private)
    assert outcome is AddOutcome.ALREADY
    assert again.fields == {"title": "Kitchen", "is_public": "false"}  # only that changes
    released, outcome = store.add(SERVER, USER, tmp_path / "b.jpg", fields=private)
    assert outcome is AddOutcome.REQUEUED
    assert (released.state, released.reason) == (ItemState.READY, "stitched")
    # Never the other way round: a re-add does not publish what was made private.
    public = {"title": "other", "is_public": "true"}
    same, _ = store.add(SERVER, USER, tmp_path / "a.jpg", fields=public)
    assert same.fields["is_public"] == "false"


def test_crash_recovery_marks_interrupted_uploads_unclear(store: QueueStore, tmp_path) -> None:
    a, _ = store.add(SERVER, USER, tmp_path / "a.jpg")
    b, _ = store.add(SERVER, USER, tmp_path / "b.jpg")
    store.update(a.id, state=ItemState.UPLOADING)
    store.update(b.id, state=ItemState.CHECKING)
    assert store.recover_interrupted(SERVER, USER) == 2
    a2, b2 = store.get(a.id), store.get(b.id)
    assert a2 is not None and a2.state is ItemState.READY and a2.unclear
    assert b2 is not None and b2.state is ItemState.QUEUED and not b2.unclear


def test_claims_are_exclusive_across_threads(store: QueueStore, tmp_path: Path) -> None:
    for n in range(50):
        store.add(SERVER, USER, tmp_path / f"{n}.jpg")
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all() -> None:
        while (item := store.claim_next(SERVER, USER)) is not None:
            with lock:
                claimed.append(item.id)

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 50
    assert {i.state for i in store.items()} == {ItemState.CHECKING}


def test_identical_content_checked_at_once_is_kept_once(store: QueueStore, tmp_path) -> None:
    a, _ = store.add(SERVER, USER, tmp_path / "a.jpg")
    b, _ = store.add(SERVER, USER, tmp_path / "copy of a.jpg")
    for item in (a, b):
        store.update(item.id, state=ItemState.CHECKING)
    common = {"sha256": "ab" * 32, "size": 1, "mtime_ns": 1, "verdict": "ok", "fields": {}}
    first = store.complete_check(a.id, state=ItemState.READY, reason="", **common)
    second = store.complete_check(b.id, state=ItemState.READY, reason="", **common)
    assert first is not None and first.state is ItemState.READY
    assert second is not None and second.state is ItemState.SKIPPED
    assert second.duplicate_of == a.id and "a.jpg" in second.reason


def test_retry_remove_and_clear_finished(store: QueueStore, tmp_path: Path) -> None:
    ids = [store.add(SERVER, USER, tmp_path / f"{n}.jpg")[0].id for n in range(4)]
    store.update(ids[0], state=ItemState.UPLOADED)
    store.update(ids[1], state=ItemState.FAILED, reason="boom")
    store.update(ids[2], state=ItemState.SKIPPED)
    rejected = store.add(SERVER, USER, tmp_path / "fisheye.jpg")[0].id
    store.update(rejected, state=ItemState.FAILED, verdict="rejected", reason="stitch it")
    assert store.retry() == 1  # not the rejected file: its bytes would be rejected again
    assert store.get(ids[1]).state is ItemState.QUEUED  # type: ignore[union-attr]
    assert store.get(rejected).state is ItemState.FAILED  # type: ignore[union-attr]
    assert store.retry([rejected]) == 1  # asked for by name, it is checked again
    assert store.clear_finished() == 2
    assert store.remove([ids[3], rejected]) == 2
    assert [i.id for i in store.items()] == [ids[1]]


def test_update_of_a_removed_row_is_a_no_op(store: QueueStore, tmp_path: Path) -> None:
    item, _ = store.add(SERVER, USER, tmp_path / "a.jpg")
    store.remove([item.id])
    assert store.update(item.id, state=ItemState.UPLOADED) is None


def test_update_with_expect_does_not_overwrite_another_state(store, tmp_path) -> None:
    item, _ = store.add(SERVER, USER, tmp_path / "a.jpg")
    assert store.update(item.id, expect={ItemState.UPLOADING}, state=ItemState.UPLOADED) is None
    assert store.get(item.id).state is ItemState.QUEUED  # type: ignore[union-attr]
