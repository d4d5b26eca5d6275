"""Damaged files of every shape: inspection and thumbnails answer cleanly, never raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.inspection import Verdict, inspect_file
from thetadesk.core.thumbnails import embedded_thumbnail, thumbnail_image

ROUNDS = 300


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("fuzz")
    path = make_theta_jpeg(folder / "seed.jpg", extended_xmp=True, gpano="split")
    return path.read_bytes()


def damaged(original: bytes, rng: random.Random) -> bytes:
    data = bytearray(original)
    header_end = original.rindex(b"\xff\xda")
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(2, header_end)
        data[at] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    if rng.random() < 0.3:
        del data[rng.randrange(2, len(data)) :]
    return bytes(data)


def test_randomly_damaged_headers_never_crash(original: bytes, tmp_path: Path) -> None:
    rng = random.Random(20240506)
    path = tmp_path / "damaged.jpg"
    verdicts = set()
    for round_number in range(ROUNDS):
        path.write_bytes(damaged(original, rng))
        result = inspect_file(path)
        assert result.reasons and all(result.reasons), round_number
        assert "unexpected error" not in result.reasons[0], (round_number, result.reasons)
        verdicts.add(result.verdict)
        thumb = embedded_thumbnail(path)
        assert thumb is None or thumb.startswith(b"\xff\xd8")
        if round_number % 10 == 0:
            thumbnail_image(path, 64)  # must return an image or None, never raise
    # The damage must actually reach the parser, or this test proves nothing.
    assert Verdict.REJECTED in verdicts and len(verdicts) >= 3
