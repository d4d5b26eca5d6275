"""The benchmark harness (benchmarks/, issue 6) runs end to end on a tiny batch.

Nothing here is timed and no number is judged: the suite never asserts on speed. This only
checks that each measurement finds what it measures, so a change to the app that breaks
the harness shows up before someone needs the numbers.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks import check, corpus, report
from benchmarks.harness import child_env, run_child
from thetadesk.core.inspection import Verdict, inspect_file
from thetadesk.core.jpeg_segments import iter_segments


def test_the_batch_is_real_format_theta_files_with_every_verdict_path(tmp_path: Path) -> None:
    paths = corpus.build_batch(tmp_path / "v", 30, "small")
    verdicts = {inspect_file(path).verdict for path in paths}
    assert {Verdict.OK, Verdict.WARNING, Verdict.REJECTED} <= verdicts
    big = corpus.build_batch(tmp_path / "big", 1, "v")[0]
    inspection = inspect_file(big)
    assert (inspection.width, inspection.height) == (5376, 2688)
    assert inspection.has_embedded_thumbnail and inspection.has_gps
    assert inspection.gpano["ProjectionType"] == "equirectangular"
    assert big.stat().st_size > 2_000_000  # a real scan, not a stub


def test_the_floor_reads_the_header_segments_and_the_tail(tmp_path: Path) -> None:
    path = corpus.build_batch(tmp_path, 1, "v")[0]
    with path.open("rb") as stream:
        *_, (marker, body_start, body_length) = iter_segments(stream, path.stat().st_size)
    assert marker == 0xDA  # the walk ends at the start of scan
    assert check.floor_read(str(path)) == body_start + body_length + 4096


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_the_check_section_measures_all_four_readers(tmp_path: Path) -> None:
    section = check.run_section(tmp_path, report.Scale.quick(), rounds=1)
    rows = {row.name: row for row in section.rows}
    assert all(row.runs and row.median > 0 for row in rows.values())
    assert "installed CLI ÷ exiftool" in rows
    assert "CLI from this checkout ÷ exiftool" in rows


def test_the_installed_copy_runs_its_own_compiled_package(tmp_path: Path) -> None:
    python = check.installed_copy(tmp_path / "installed")
    env = {k: v for k, v in child_env(tmp_path).items() if k != "PYTHONPATH"}
    shown = subprocess.run(
        [str(python), "-c", "import thetadesk, requests; print(thetadesk.__cached__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    cached = Path(shown)
    assert cached.is_file()  # compiled when installed, not at the first run
    assert str(tmp_path / "installed") in shown  # not this checkout's package


def test_the_window_child_fills_every_tile(tmp_path: Path) -> None:
    corpus.build_batch(tmp_path / "drop", 6, "small")
    result = run_child("benchmarks.grid", ["fill", str(tmp_path / "drop")], child_env(tmp_path))
    assert result["files"] == 6
    assert "thumbnails_and_verdicts" in result["marks"]
    assert result["longest_stall_ms"] is not None
    assert result["after_kb"] > 0


def test_a_run_is_appended_under_the_issue_heading(tmp_path: Path, monkeypatch) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Someone else's section\n\nkept\n")
    monkeypatch.setattr(report, "RESULTS", results)
    report.append_to_results("### Run one\n")
    report.append_to_results("### Run two\n")
    text = results.read_text()
    assert "kept" in text and text.count(report.HEADING) == 1
    assert text.index("### Run one") < text.index("### Run two")
