from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from thetadesk.core.errors import Cancelled
from thetadesk.core.multipart import MultipartFileBody


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
    path.write_bytes(bytes(range(256)) * 4000 + b"\xff\xd9")  # ~1 MB, every byte value
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
    chunks = []
    while chunk := body.read(8192):
        chunks.append(chunk)
    data = b"".join(chunks)

    assert len(data) == len(body) == body.len
    parts = parse(body, data)
    assert parts["title"] == (None, "Küche 1".encode())
    assert parts["order"] == (None, b"1000")
    assert parts["image"][0] == "Küche 1.jpg"
    assert parts["image"][1] == photo.read_bytes()
    sent = [s for s, _ in progress]
    assert sent == sorted(sent) and sent[-1] == body.len
    assert {total for _, total in progress} == {body.len}


def test_cancel_stops_between_chunks(photo: Path):
    reads = 0

    def cancel() -> bool:
        return reads >= 3

    body = MultipartFileBody({}, "image", photo, filename="x.jpg", should_cancel=cancel)
    with pytest.raises(Cancelled):
        while body.read(8192):
            reads += 1
    assert reads == 3
