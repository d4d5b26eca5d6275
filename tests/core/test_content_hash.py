"""The content identity every queue row and upload rests on."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from thetadesk.core.content_hash import CHUNK_BYTES, sha256_of_file


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 2 * CHUNK_BYTES + 7])
def test_the_digest_is_sha256_of_every_byte(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    assert sha256_of_file(path, lambda: False) == hashlib.sha256(data).hexdigest()


def test_asking_to_stop_gives_up_between_chunks(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff" * (3 * CHUNK_BYTES))
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) == 2

    assert sha256_of_file(path, stop) is None
    assert len(asked) == 2  # it stopped when told, not after reading the whole file


def test_a_missing_file_raises_for_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        sha256_of_file(tmp_path / "gone.jpg", lambda: False)
