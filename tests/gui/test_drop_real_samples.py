"""Issue 2's acceptance: the six real camera files dropped on the window."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gui.helpers import OFFSCREEN_SIZE_HINTS, all_final, drop, file_urls, sign_in
from thetadesk.gui.photo_model import UploadState

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"

EXPECTED = {  # file: (verdict, state, camera_model on the server or None if not sent)
    "R0014760.JPG": ("ok", UploadState.UPLOADED, "V"),
    "R0010290.JPG": ("ok", UploadState.UPLOADED, "S"),
    "room_5_5k.jpeg": ("warning", UploadState.UPLOADED, "X"),
    "Ver1.10.JPG": ("warning", UploadState.UPLOADED, ""),
    "dualfisheye.jpg": ("needs_review", UploadState.HELD, None),
    "Ricoh.jpg": ("rejected", UploadState.REJECTED, None),
}

pytestmark = [pytest.mark.samples, pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)]


def test_six_samples_show_their_verdicts_and_the_four_good_ones_reach_the_server(
    qtbot, make_window, server
):
    if not SAMPLES.is_dir():
        pytest.skip(f"real camera samples not found at {SAMPLES}")
    window = make_window(sign_in(server.url))
    drop(window, file_urls(*(SAMPLES / name for name in EXPECTED)))
    qtbot.waitUntil(lambda: all_final(window, 6), timeout=60_000)

    tiles = {row.path.name: row for row in window.model.rows}
    assert {name: (row.inspection.verdict.value, row.state) for name, row in tiles.items()} == {
        name: (verdict, state) for name, (verdict, state, _) in EXPECTED.items()
    }
    photos = sign_in(server.url).client.list_photos()
    sent = {Path(name).stem: model for name, (_, _, model) in EXPECTED.items() if model is not None}
    assert {p["title"]: p["camera_model"] for p in photos} == sent
    # The tiles name the photos the server made.
    assert {tiles[name].photo_id for name in EXPECTED if EXPECTED[name][2] is not None} == {
        p["id"] for p in photos
    }
