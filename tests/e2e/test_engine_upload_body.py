"""The upload body against the real server: a file that changes while it is being sent."""

from __future__ import annotations

import errno
import os
import socket
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


def test_a_disk_error_while_sending_fails_that_file_only(server, tmp_path: Path, monkeypatch):
    """A card reader's read error mid-upload is the file's fault: that file fails with the
    reason, the queue is not paused as if the server had gone, the others go up."""
    bad = big_jpeg(tmp_path / "R0012222.JPG", 1_000_000, seed=42)
    good = make_theta_jpeg(tmp_path / "R0012223.JPG", seed=43)
    os.utime(good, (1e9, 1e9))
    real_sendfile = socket.socket.sendfile

    def sendfile(sock, file, offset=0, count=None):  # type: ignore[no-untyped-def]
        if os.path.basename(file.name) == bad.name:
            raise OSError(errno.EIO, "Input/output error")
        return real_sendfile(sock, file, offset, count)

    monkeypatch.setattr(socket.socket, "sendfile", sendfile)
    events = EventLog()
    with QueueStore(tmp_path / "queue.sqlite3") as store:
        engine = UploadEngine(
            store, signed_in(server.url), DEMO_USER, settings=FAST, on_event=events
        )
        engine.enqueue([bad, good])
        result = engine.run()
        states = {item.path.name: (item.state, item.reason) for item in engine.items()}
    assert result.status is QueueStatus.IDLE
    assert states[bad.name] == (ItemState.FAILED, "cannot read the file: Input/output error")
    assert states[good.name][0] is ItemState.UPLOADED
    assert QueueStatus.WAITING_FOR_SERVER not in events.statuses()
