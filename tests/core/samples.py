"""Where the real camera files live (never copied into the repository) and what they are."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"

# From ../shared/samples/SOURCES.md: proves the file is the one the table talks about.
SHA256 = {
    "R0014760.JPG": "4d23012f975d4c0811e1a2c1ade2d2337e83b41323658d42372c5525da1881bc",
    "R0010290.JPG": "043a01a6ba20ad4777c97b4d60a2a8236c4d62127f8f3d882dd866923a56b002",
    "room_5_5k.jpeg": "10cfd16e6d658dc246c718187e124783a2fa56b249701192ad437146a8286f51",
    "Ver1.10.JPG": "dc8cbf5632690a1ef51e0b2336540befa5afcb725b31daca191c02762457ea16",
    "dualfisheye.jpg": "328a1b290c19a20cf62837e9b5669636cf431055626dce6ac12b952450619c76",
    "Ricoh.jpg": "c563500ea71e9221b896b7c226d5db6f88e4ff32f11236fa7070a906be1bb621",
}


def sample(name: str) -> Path:
    """The sample's path, or skip the test with a message saying where it was looked for."""
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(
            f"real camera sample {name} not found in {SAMPLES.resolve()} "
            "(the shared samples folder sits beside the repository; see SOURCES.md there)"
        )
    return path
