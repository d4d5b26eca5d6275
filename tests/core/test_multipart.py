from __future__ import annotations

import os
import socket
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from thetadesk.core.errors import Cancelled, FileChanged
from thetadesk.core.http_session import _HTTPConnection, _HTTPSConnection, new_session
from thetadesk.core.multipart import MAX_CHUNK, FileRegion, MultipartFileBody


def parse(body: MultipartFileBody, data: bytes) -> dict[str, tuple[str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + data
    )
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "ünïcode photo.jpg"
    path.write_bytes(bytes(range(256)) * 12000 + b"\xff\xd9")  # ~3 MB, every byte value
    return path


def test_body_streams_fields_and_the_exact_file_bytes(photo: Path):
    progress: list[tuple[int, int]] = []
    body = MultipartFileBody(
        {"title": "Küche 1", "order": "1000"},
        "image",
        photo,
        filename="Küche 1.jpg",
        on_progress=lambda sent, total: progress.append((sent, total)),
    )
    assert not hasattr(body, "read")  # urllib3 would read a file-like body 16 KB at a time
    data = b"".join(body.iter_bytes())

    assert len(data) == len(body) == body.len
    parts = parse(body, data)
    assert parts["title"] == (None, "Küche 1".encode())
    assert parts["order"] == (None, b"1000")
    assert parts["image"][0] == "Küche 1.jpg"
    assert parts["image"][1] == photo.read_bytes()
    sent = [s for s, _ in progress]
    assert sent == sorted(sent) and sent[-1] == body.len == body.sent
    assert {total for _, total in progress} == {body.len}


def test_the_file_goes_as_regions_no_larger_than_the_cap(photo: Path):
    body = MultipartFileBody({"title": "x"}, "image", photo, filename="x.jpg")
    chunks = list(body)
    regions = [c for c in chunks if isinstance(c, FileRegion)]
    assert isinstance(chunks[0], bytes) and isinstance(chunks[-1], bytes)
    assert sum(len(r) for r in regions) == photo.stat().st_size
    assert all(0 < len(r) <= MAX_CHUNK for r in regions)
    # Contiguous, in order.
    offsets = [sum(len(r) for r in regions[:i]) for i in range(len(regions))]
    assert [r.offset for r in regions] == offsets


def test_a_body_is_sent_once(photo: Path):
    body = MultipartFileBody({}, "image", photo, filename="x.jpg")
    list(body)
    with pytest.raises(RuntimeError):
        iter(body)


def test_cancel_stops_between_chunks(photo: Path):
    chunks = 0

    def cancel() -> bool:
        return chunks >= 3

    body = MultipartFileBody({}, "image", photo, filename="x.jpg", should_cancel=cancel)
    with pytest.raises(Cancelled):
        for _chunk in body:
            chunks += 1
    assert chunks == 3
    assert body._file is None or body._file.closed


def test_a_file_that_shrinks_is_not_sent_short(photo: Path):
    body = MultipartFileBody({}, "image", photo, filename="x.jpg")
    with pytest.raises(FileChanged):
        for chunk in body:
            if isinstance(chunk, FileRegion):
                photo.write_bytes(b"short")
                chunk.read_all()


def test_a_file_that_grows_after_it_was_measured_is_not_sent(photo: Path):
    """Still being written: it is checked again, not sent as a prefix of what it becomes."""
    body = MultipartFileBody({}, "image", photo, filename="x.jpg")
    with photo.open("ab") as file:
        file.write(b"appended after the body was measured")
    with pytest.raises(FileChanged):
        b"".join(body.iter_bytes())


def test_a_file_rewritten_in_place_while_it_is_sent_gets_no_tail(photo: Path):
    """Same size, other bytes (an editor saving over it): the body stops before its closing
    boundary, so the server never stores a photo whose bytes were not the ones checked."""
    body = MultipartFileBody({}, "image", photo, filename="x.jpg")
    sent = []
    with pytest.raises(FileChanged):
        for chunk in body:
            sent.append(chunk)
            if isinstance(chunk, FileRegion) and len(sent) == 2:
                data = bytearray(photo.read_bytes())
                data[-10] ^= 0xFF
                photo.write_bytes(bytes(data))  # same size, new modification time
                os.utime(photo, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert not any(isinstance(c, bytes) and c.startswith(b"\r\n--") for c in sent)


def test_a_file_that_changed_since_its_check_is_refused_at_once(photo: Path):
    stat = photo.stat()
    MultipartFileBody({}, "image", photo, filename="x.jpg", expect=(stat.st_size, stat.st_mtime_ns))
    with pytest.raises(FileChanged):
        MultipartFileBody(
            {}, "image", photo, filename="x.jpg", expect=(stat.st_size, stat.st_mtime_ns - 1)
        )


def test_short_reads_are_read_on_to_the_end(photo: Path, monkeypatch):
    """A network file system may return fewer bytes than asked: that is not a shorter file."""
    real_pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, offset: real_pread(fd, min(n, 1000), offset))
    with photo.open("rb") as file:
        assert FileRegion(file, 5, 250_000).read_all() == photo.read_bytes()[5:250_005]


class _Sink:
    """A TCP listener that keeps everything one connection sends."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port_number = self.listener.getsockname()[1]
        self.received = bytearray()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.listener:
            conn, _ = self.listener.accept()
        with conn:
            while data := conn.recv(1 << 16):
                self.received += data

    @property
    def port(self) -> int:
        return self.port_number


def test_connections_send_regions_with_sendfile_and_the_same_bytes(photo: Path):
    sink = _Sink()
    body = MultipartFileBody({"title": "t"}, "image", photo, filename="x.jpg")
    connection = _HTTPConnection("127.0.0.1", sink.port, timeout=10)
    connection.connect()
    for chunk in body:
        connection.send(chunk)
    connection.close()
    sink.thread.join(timeout=30)
    assert len(sink.received) == body.len
    assert parse(body, bytes(sink.received))["image"][1] == photo.read_bytes()


def test_the_session_sends_regions_for_both_schemes_and_verifies_tls():
    session = new_session()
    for url in ("http://127.0.0.1:1/", "https://example.invalid/"):
        pools = session.get_adapter(url).poolmanager.pool_classes_by_scheme
        assert pools["http"].ConnectionCls is _HTTPConnection
        assert pools["https"].ConnectionCls is _HTTPSConnection
    assert session.verify is True


class _NotPlainSocket(socket.socket):
    """Stands for a TLS socket: anything but a plain socket gets the region's bytes."""


def test_connections_send_regions_as_bytes_on_sockets_that_cannot_sendfile(photo, monkeypatch):
    reads: list[int] = []
    read_all = FileRegion.read_all
    monkeypatch.setattr(FileRegion, "read_all", lambda self: reads.append(1) or read_all(self))
    sink = _Sink()
    body = MultipartFileBody({"title": "t"}, "image", photo, filename="x.jpg")
    connection = _HTTPSConnection("127.0.0.1", sink.port, timeout=10)
    connection.sock = _NotPlainSocket()
    connection.sock.connect(("127.0.0.1", sink.port))
    for chunk in body:
        connection.send(chunk)
    connection.sock.close()
    sink.thread.join(timeout=30)
    assert reads  # read in one block each, not sent with sendfile
    assert len(sink.received) == body.len
    assert parse(body, bytes(sink.received))["image"][1] == photo.read_bytes()


def test_a_read_error_is_the_files_not_the_connections(photo: Path, monkeypatch):
    """Over TLS the region is read before it is encrypted: a disk error there must not look
    like a network failure (an OSError would, to the HTTP stack)."""
    from thetadesk.core.errors import FileUnreadable

    def failing(fd, n, offset):  # type: ignore[no-untyped-def]
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "pread", failing)
    with photo.open("rb") as file, pytest.raises(FileUnreadable) as raised:
        FileRegion(file, 0, 1000).read_all()
    assert not isinstance(raised.value, OSError)
