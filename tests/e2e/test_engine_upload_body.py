"""The upload body against the real server: a file that changes while it is being sent."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from tests.support.engine_harness import DEMO_USER, FAST, EventLog, sha256_of, signed_in
from tests.support.live_server import start_server
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.engine import ItemChanged, QueueStatus, UploadEngine
from thetadesk.core.queue_store import ItemState, QueueStore


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_server(tmp_path_factory.mktemp("upload-body")) as server:
        yield server


def big_jpeg(path: Path, extra: int, seed: int) -> Path:
    """A valid THETA-like JPEG made `extra` bytes larger with comment segments (so its body
    goes in several file regions)."""
    jpeg = make_theta_jpeg(path, seed=seed).read_bytes()
    chunk = os.urandom(65000)
    comments = b"".join(
        b"\xff\xfe" + struct.pack(">H", len(chunk) + 2) + chunk for _ in range(extra // 65000 + 1)
    )
    path.write_bytes(jpeg[:2] + comments + jpeg[2:])
    os.utime(path, (1e9, 1e9))
    return path


def test_a_file_cut_short_while_it_is_sent_is_never_stored_short(server, tmp_path: Path) -> None:
    photo = big_jpeg(tmp_path / "R0011111.JPG", 3_000_000, seed=41)
    original_sha = sha256_of(photo)
    cut: list[int] = []

    def progress(item_id: int, sent: int, total: int) -> None:
        # After the form fields, before the photo's bytes: the photo loses its second half.
        if not cut and sent < total:
            cut.append(item_id)
            os.truncate(photo, photo.stat().st_size // 2)
            os.utime(photo, (1e9, 1e9))

    events = EventLog()
    with QueueStore(tmp_path / "queue.sqlite3") as store:
        engine = UploadEngine(
            store, signed_in(server.url), DEMO_USER, settings=FAST, on_event=events,
            on_progress=progress,
        )  # fmt: skip
        engine.enqueue([photo])
        assert engine.run().status is QueueStatus.IDLE
        (item,) = engine.items()

    reasons = [e.item.reason for e in events.events if isinstance(e, ItemChanged)]
    assert "changed while being sent; checking again" in reasons
    # Checked again: what is left is a truncated JPEG, which is not sent at all.
    assert item.state is ItemState.FAILED
    held = {p.get("sha256") for p in signed_in(server.url).list_photos()}
    assert original_sha not in held and sha256_of(photo) not in held
